package scanner

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"strings"
	"testing"
)

// TestScanCommitsOnlyWhatTheRangeAdded: a range reports the secrets its
// commits added, with the commit that added them, and nothing that was
// there before, even in a file the range changes.
func TestScanCommitsOnlyWhatTheRangeAdded(t *testing.T) {
	r := newRepo(t)
	r.write("a.env", "T="+tokA+"\n")
	r.write("app/.env.production", "X=1\n")
	base := r.commit("before the range")

	r.write("a.env", "T="+tokA+"\nplain=1\n") // changed, old secret kept
	r.write("app/.env.production", "X=2\n")   // changed: was already there
	r.write("b.env", "B="+tokB+"\n")          // new secret
	r.write("other/.env.production", "Y=1\n") // new path-only finding
	c1 := r.commit("first in range")
	r.write("a.env", "T="+tokA+"\nplain=1\nC="+tokC+"\n")
	r.write("b.env", "B="+tokB+"\nmore\n") // rewritten: tokB stays with c1
	c2 := r.commit("second in range")

	var w warnings
	res, err := ScanGit(context.Background(), testOptions(t, &w), GitOptions{Revisions: []string{base + "..HEAD"}}, r.dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range res.Findings {
		got = append(got, fmt.Sprintf("%s:%d %s %s %s", f.Path, f.Line, f.RuleID, f.Git.Commit[:7], f.Git.Message))
	}
	want := []string{
		fmt.Sprintf("a.env:3 test-token %s second in range", c2[:7]),
		fmt.Sprintf("b.env:1 test-token %s first in range", c1[:7]),
		fmt.Sprintf("other/.env.production:0 test-env-file %s first in range", c1[:7]),
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got\n%q\nwant\n%q", got, want)
	}
	if res.Stats.Commits != 2 {
		t.Errorf("commits walked: %d, want 2", res.Stats.Commits)
	}

	// The whole history from the root, as a new branch is pushed.
	res, err = ScanGit(context.Background(), testOptions(t, &w), GitOptions{Revisions: []string{"HEAD"}}, r.dir)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(res.Findings); n != 5 {
		t.Fatalf("root range: %d findings, want 5: %+v", n, summarize(res.Findings))
	}
	if w.joined() != "" {
		t.Errorf("warnings: %s", w.joined())
	}
}

func TestPrePushRevisions(t *testing.T) {
	const (
		a    = "1111111111111111111111111111111111111111"
		b    = "2222222222222222222222222222222222222222"
		gone = "3333333333333333333333333333333333333333"
		zero = "0000000000000000000000000000000000000000"
	)
	have := func(sha string) bool { return sha != gone }
	for _, tc := range []struct{ in, want string }{
		{"refs/heads/main " + a + " refs/heads/main " + b + "\n", "[" + b + ".." + a + "]"},
		{"refs/heads/new " + a + " refs/heads/new " + zero + "\n", "[" + a + " --not --remotes]"},
		{"(delete) " + zero + " refs/heads/old " + b + "\n", "[]"},
		{"refs/heads/main " + a + " refs/heads/main " + gone + "\n", "[" + a + " --not --remotes]"},
		{"", "[]"},
	} {
		got, err := prePushRevisions(strings.NewReader(tc.in), have)
		if err != nil || fmt.Sprint(got) != tc.want {
			t.Errorf("%q: got %q %v, want %s", tc.in, got, err, tc.want)
		}
	}
	if _, err := prePushRevisions(strings.NewReader("main HEAD\n"), have); err == nil {
		t.Error("a malformed line was accepted")
	}
}

func TestScanCommitsWarnsOnShallowClone(t *testing.T) {
	r := newRepo(t)
	r.write("a.env", "x\n")
	r.commit("one")
	r.write("b.env", "y\n")
	r.commit("two")
	clone := t.TempDir()
	r.git("clone", "-q", "--depth=1", "file://"+r.dir, clone)
	var w warnings
	if _, err := ScanGit(context.Background(), testOptions(t, &w), GitOptions{Revisions: []string{"HEAD"}}, clone); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(w.joined(), "shallow clone") {
		t.Fatalf("no shallow warning: %q", w.joined())
	}
}

func TestReadBatchRejects(t *testing.T) {
	const a = "1111111111111111111111111111111111111111"
	for name, out := range map[string]string{
		"negative size":     a + " blob -1\n",
		"size past the end": a + " blob 99999999999\nshort\n",
		"no newline after":  a + " blob 3\nabcX",
		"another object":    "2222222222222222222222222222222222222222 blob 1\nx\n",
	} {
		err := readBatch(bufio.NewReader(strings.NewReader(out)), []string{a}, func(string, []byte) {}, func(string) {})
		if err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestRawLineRejects(t *testing.T) {
	const a, b = "1111111111111111111111111111111111111111", "2222222222222222222222222222222222222222"
	if _, _, _, ok := rawLine(":100644 100644 " + a + " " + b + " M\tp"); !ok {
		t.Fatal("a raw line was rejected")
	}
	for _, line := range []string{":100644 100644 abc M\tp", ":100644 100644 " + a + " HEAD M\tp", "::100644 100644 " + a + " " + b + " M\tp"} {
		if h, _, _, ok := rawLine(line); ok {
			t.Errorf("%q: took blob %q", line, h)
		}
	}
}

// readBatch reads every answer whole, as the fuzz target and the tests
// check them.
func readBatch(r *bufio.Reader, hashes []string, fn func(hash string, data []byte), missing func(hash string)) error {
	return readNamed(r, hashes, math.MaxInt64, func(b blob, _ io.Reader) error { fn(b.hash, b.data); return nil }, missing)
}
