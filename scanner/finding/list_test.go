package finding

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestSpoolPrivateAndRemoved: a list past its threshold writes a 0600 file
// in a 0700 folder of its own, gives back the findings appended, sorted,
// and removes the folder when closed.
func TestSpoolPrivateAndRemoved(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	old := SetSpillThresholdForTest(3)
	defer SetSpillThresholdForTest(old)
	l := NewList()
	for i := 9; i >= 0; i-- {
		f := Finding{RuleID: "r", Path: fmt.Sprintf("p%d", i%3), Line: i, Secret: fmt.Sprintf("s%d", i)}
		if err := l.Append(&f); err != nil {
			t.Fatal(err)
		}
	}
	if !l.Spilled() {
		t.Fatal("10 findings past a threshold of 3 did not spill")
	}
	path := l.SpoolPath()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("spool mode %v", st.Mode().Perm())
	}
	if dst, err := os.Stat(filepath.Dir(path)); err != nil || dst.Mode().Perm() != 0o700 {
		t.Errorf("spool folder: %v %v", dst.Mode(), err)
	}
	if err := l.Sort(); err != nil {
		t.Fatal(err)
	}
	fs, err := l.Slice()
	if err != nil || len(fs) != 10 {
		t.Fatalf("%d findings, %v", len(fs), err)
	}
	for i := 1; i < len(fs); i++ {
		a, b := fs[i-1], fs[i]
		if a.Path > b.Path || (a.Path == b.Path && a.Line > b.Line) {
			t.Fatalf("not sorted at %d: %s:%d before %s:%d", i, a.Path, a.Line, b.Path, b.Line)
		}
	}
	for _, f := range fs {
		if f.Secret != fmt.Sprintf("s%d", f.Line) || f.Path != fmt.Sprintf("p%d", f.Line%3) {
			t.Fatalf("finding changed in the spool: %s:%d", f.Path, f.Line)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Dir(path)); !os.IsNotExist(err) {
		t.Errorf("spool folder still there after Close: %v", err)
	}
}
