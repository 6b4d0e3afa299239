package report

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestWriteFileAtomicAndPrivate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "r.json")
	if err := os.WriteFile(path, []byte("old complete report"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A write that fails halfway leaves the old file as it was and no
	// temporary file behind.
	err := WriteFile(path, func(w io.Writer) error {
		io.WriteString(w, "half a rep")
		return syscall.ENOSPC
	})
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("got %v", err)
	}
	b, _ := os.ReadFile(path)
	if string(b) != "old complete report" {
		t.Fatalf("report replaced by a partial one: %q", b)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("temporary files left behind: %v", entries)
	}
	// A successful write replaces it, mode 0600.
	if err := WriteFile(path, func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err }); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", st.Mode().Perm())
	}
}

func TestWriteFileDeviceFull(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full")
	}
	err := WriteFile("/dev/full", func(w io.Writer) error {
		_, err := io.WriteString(w, strings.Repeat("x", 1<<16))
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "/dev/full") {
		t.Fatalf("got %v", err)
	}
	if st, err := os.Stat("/dev/full"); err != nil || st.Mode().IsRegular() {
		t.Fatal("/dev/full was replaced")
	}
}
