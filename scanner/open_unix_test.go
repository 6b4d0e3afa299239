//go:build unix

package scanner

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
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

// A rawFile reads as an *os.File does: its size, the whole content by
// Read until io.EOF, any part by ReadAt (short at the end, with io.EOF),
// and nothing once closed (a second Close is an error, not a second close
// of a descriptor number the process may have reused).
func TestRawFileReadsAsOSFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data.txt")
	content := bytes.Repeat([]byte("0123456789abcdef\n"), 10000) // 170,000 bytes
	if err := os.WriteFile(path, content, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := openFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := f.Size(); err != nil || n != int64(len(content)) {
		t.Fatalf("Size() = %d, %v; want %d", n, err, len(content))
	}
	var got []byte
	buf := make([]byte, 4096)
	for {
		n, err := f.Read(buf)
		got = append(got, buf[:n]...)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(got, content) {
		t.Fatalf("Read gave %d bytes, not the file's %d", len(got), len(content))
	}
	for _, c := range []struct{ off, n int }{{0, 10}, {17, 17}, {100000, 5000}, {len(content) - 3, 3}} {
		p := make([]byte, c.n)
		if n, err := f.ReadAt(p, int64(c.off)); err != nil || n != c.n || !bytes.Equal(p, content[c.off:c.off+c.n]) {
			t.Errorf("ReadAt(%d bytes at %d) = %d, %v", c.n, c.off, n, err)
		}
	}
	p := make([]byte, 10)
	if n, err := f.ReadAt(p, int64(len(content)-4)); n != 4 || err != io.EOF || string(p[:4]) != "def\n" {
		t.Errorf("ReadAt across the end = %d, %v, %q; want 4, EOF", n, err, p[:n])
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Read(buf); err == nil {
		t.Error("Read after Close succeeded")
	}
	if _, err := f.ReadAt(p, 0); err == nil {
		t.Error("ReadAt after Close succeeded")
	}
	if _, err := f.Size(); err == nil {
		t.Error("Size after Close succeeded")
	}
	if err := f.Close(); err == nil {
		t.Error("a second Close succeeded")
	}
	if _, err := openFile(filepath.Join(t.TempDir(), "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("opening a missing file: %v, want not exist", err)
	}
}
