package cli

import (
	"fmt"
	"strings"
	"testing"

	"github.com/achilles-sec/achilles/scanner/finding"
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

// TestDirAndGitAgreeOnWhatAFindingIs: a file holding one key three times
// is one finding in `dir` and in `git` (one per rule, secret and path),
// and dir lists the three places.
func TestDirAndGitAgreeOnWhatAFindingIs(t *testing.T) {
	const key = "AKIAQYLPMN5HHHFPZAM2"
	r := newGitRepo(t)
	r.write("deploy/app.env", "AWS_ACCESS_KEY_ID="+key+"\n# again\nAWS_ACCESS_KEY_ID="+key+"\nBACKUP_KEY_ID="+key+"\n")
	r.write("other.env", "AWS_ACCESS_KEY_ID="+key+"\n")
	r.run("git", "add", "-A")
	r.run("git", "commit", "-qm", "keys")
	dir := decodeFindings(t, r.achilles(r.dir, "", nil, "dir", ".", "-f", "json", "--no-progress"))
	hist := decodeFindings(t, r.achilles(r.dir, "", nil, "git", ".", "-f", "json", "--no-progress"))
	count := func(fs []finding.Finding) map[string]int {
		out := map[string]int{}
		for _, f := range fs {
			out[f.Fingerprint]++
		}
		return out
	}
	cd, cg := count(dir), count(hist)
	if len(cd) != 2 || len(dir) != 2 || len(hist) != 2 || len(cg) != 2 {
		t.Fatalf("dir: %d findings, %d ids; git: %d findings, %d ids; want 2 of each", len(dir), len(cd), len(hist), len(cg))
	}
	for fp := range cd {
		if cg[fp] != 1 {
			t.Errorf("fingerprint %s in dir but not once in git", fp)
		}
	}
	for _, f := range dir {
		if f.Path == "deploy/app.env" {
			if len(f.Locations) != 3 || f.Locations[0].Line != 1 || f.Locations[1].Line != 3 || f.Locations[2].Line != 4 {
				t.Errorf("locations %+v, want lines 1, 3, 4", f.Locations)
			}
		}
	}
}

// TestFalsePositivesSeenOnRealCode: prose between a BEGIN line and a later
// END line is not a private key, a timestamp is not a token, and a GitLab
// token glued to the URL after it is reported as the token alone.
func TestFalsePositivesSeenOnRealCode(t *testing.T) {
	r := newGitRepo(t)
	r.write("docs/keys.md", "A PEM file starts with -----BEGIN RSA PRIVATE KEY----- and then holds base64.\n\nKeep it out of the repository, and rotate it if it leaks.\n\nIt ends with -----END RSA PRIVATE KEY----- on its own line.\n")
	r.write("config/tokens.yml", "token_created_at: \"2024-03-18T09:41:27.512Z\"\nsecret_rotated_at: '2025-11-02 17:05:59+01:00'\n")
	r.write("notes.txt", "use glpat-BNKzWgPUofH8CWTNggGEhttps://gitlab.com/api/v4/user\n")
	fs := decodeFindings(t, r.achilles(r.dir, "", nil, "dir", ".", "-f", "json", "--no-progress"))
	for _, f := range fs {
		switch {
		case f.Path == "docs/keys.md", f.Path == "config/tokens.yml":
			t.Errorf("false positive %s in %s: %q", f.RuleID, f.Path, f.Secret)
		case f.RuleID == "gitlab-pat" && f.Secret != "glpat-BNKzWgPUofH8CWTNggGE":
			t.Errorf("gitlab-pat took %q", f.Secret)
		}
	}
	if ids := ruleIDs(fs); ids["gitlab-pat"] != 1 {
		t.Errorf("the glued GitLab token was not reported once: %v", ids)
	}
}
