package cli

import (
	"fmt"
	"strings"
	"testing"
)

// TestTextReportOrderAndSummary: the text report puts what needs action
// first (high confidence still at HEAD, then high confidence removed, then
// lower confidence), and the summary counts findings by confidence and
// verification in the singular and plural as English has them.
func TestTextReportOrderAndSummary(t *testing.T) {
	r := newGitRepo(t)
	// Sorted by path, the low-confidence finding would come first.
	r.write("a/settings.py", "api_token = \"q7Zk2mX9vWp3Rr8tNn4lCc6bJj1h\"\n")
	r.write("b/removed.env", "AWS_ACCESS_KEY_ID=AKIAZ3MSJV4WQPTHKR7N\n")
	r.write("c/present.env", "AWS_ACCESS_KEY_ID=AKIAQYLPMN5HHHFPZAM2\n")
	r.run("git", "add", "-A")
	r.run("git", "commit", "-qm", "add")
	r.run("git", "rm", "-q", "b/removed.env")
	r.run("git", "commit", "-qm", "remove")
	res := r.achilles(r.dir, "", nil, "git", ".", "--no-progress", "--no-color")
	if res.code != ExitFindings {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	present := strings.Index(res.stdout, "c/present.env")
	removed := strings.Index(res.stdout, "b/removed.env")
	low := strings.Index(res.stdout, "a/settings.py")
	if present < 0 || removed < 0 || low < 0 || !(present < removed && removed < low) {
		t.Errorf("order: present at %d, removed at %d, low confidence at %d; want that order:\n%s", present, removed, low, res.stdout)
	}
	for _, want := range []string{"3 findings", "findings: not verified", "confidence 2 high, 1 low", "2 still at HEAD"} {
		if !strings.Contains(res.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, res.stderr)
		}
	}
	if strings.Contains(res.stderr, "chunks of large files") {
		t.Errorf("internal noise in the summary:\n%s", res.stderr)
	}
	one := newGitRepo(t)
	one.write("k.env", "AWS_ACCESS_KEY_ID=AKIAQYLPMN5HHHFPZAM2\n")
	single := one.achilles(one.dir, "", nil, "dir", ".", "--no-progress")
	if !strings.Contains(single.stderr, ": 1 file, ") || !strings.Contains(single.stderr, "; 1 finding") || strings.Contains(single.stderr, "1 files") || strings.Contains(single.stderr, "1 findings") {
		t.Errorf("plurals:\n%s", single.stderr)
	}
}

// TestHistoryProgressShowsPercentage: on a terminal, a history scan's
// progress bar shows how far it is, as a percentage of the bytes listed.
func TestHistoryProgressShowsPercentage(t *testing.T) {
	r := newGitRepo(t)
	line := strings.Repeat("lorem ipsum dolor sit amet consectetur ", 40) + "\n"
	for i := 0; i < 60; i++ {
		var b strings.Builder
		for j := 0; j < 400; j++ {
			b.WriteString(fmt.Sprintf("%d-%d ", i, j))
			b.WriteString(line)
		}
		r.write(fmt.Sprintf("docs/page%02d.txt", i), b.String())
	}
	r.run("git", "add", "-A")
	r.run("git", "commit", "-qm", "docs")
	out := inTerminal(t, r.dir, r.env(), "git", ".", "--jobs", "1")
	if !strings.Contains(out, "%") {
		t.Errorf("no percentage in the progress shown on the terminal:\n%q", out)
	}
}
