//go:build unix

package scanner

import (
	"os"
	"path/filepath"
	"testing"
)

// A folder's file that became a symlink between the walk and the open is
// not followed: the open fails, so nothing outside the tree is read.
func TestOpenFileRefusesSymlink(t *testing.T) {
	dir := t.TempDir()
	outside := filepath.Join(t.TempDir(), "outside.env")
	if err := os.WriteFile(outside, []byte("AWS_SECRET=x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "config.env")
	if err := os.Symlink(outside, link); err != nil {
		t.Fatal(err)
	}
	if f, err := openFile(link); err == nil {
		f.Close()
		t.Fatal("openFile followed a symlink")
	}
	regular := filepath.Join(dir, "plain.txt")
	if err := os.WriteFile(regular, []byte("hello\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := openFile(regular)
	if err != nil {
		t.Fatalf("openFile on a regular file: %v", err)
	}
	defer f.Close()
	buf := make([]byte, 16)
	if n, _ := f.Read(buf); string(buf[:n]) != "hello\n" {
		t.Fatalf("read %q", buf[:n])
	}
}
