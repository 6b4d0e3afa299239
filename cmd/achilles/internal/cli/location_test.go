package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/achilles-sec/achilles/scanner/finding"
)

// TestLocationKinds: every source says what kind of place its findings are
// in, and only git findings carry a commit; the JSON of a git finding keeps
// its commit fields beside the finding's own, so earlier reports (and
// baselines) read back the same.
func TestLocationKinds(t *testing.T) {
	r := newGitRepo(t)
	r.write("k.txt", "x\n"+tokA+"\n")
	r.run("git", "add", "k.txt")
	r.run("git", "commit", "-qm", "add k")

	cases := []struct {
		name string
		res  result
		kind finding.Kind
	}{
		{"dir", runCLI(t, "", "dir", "-c", r.config(), "-f", "json", r.dir), finding.KindFile},
		{"stdin", runCLI(t, tokA, "stdin", "-c", r.config(), "-f", "json"), finding.KindStdin},
		{"git", runCLI(t, "", "git", "-c", r.config(), "-f", "json", r.dir), finding.KindGit},
		{"staged", func() result {
			r.write("s.txt", tokA+"\n")
			r.run("git", "add", "s.txt")
			return runCLI(t, "", "git", "--staged", "-c", r.config(), "-f", "json", r.dir)
		}(), finding.KindFile},
	}
	for _, c := range cases {
		fs := decodeFindings(t, c.res)
		if len(fs) == 0 {
			t.Fatalf("%s: no findings: %+v", c.name, c.res)
		}
		for _, f := range fs {
			if f.Kind != c.kind {
				t.Errorf("%s: %s has kind %q, want %q", c.name, f.Path, f.Kind, c.kind)
			}
			if (f.Git != nil && f.Git.Commit != "") != (c.kind == finding.KindGit) {
				t.Errorf("%s: %s: git origin %+v for kind %s", c.name, f.Path, f.Git, f.Kind)
			}
		}
		if c.kind != finding.KindGit && strings.Contains(c.res.stdout, `"commit"`) {
			t.Errorf("%s: a commit field in the JSON of a finding outside history:\n%s", c.name, c.res.stdout)
		}
	}

	// The git finding's JSON: commit, author and still_present at the top
	// level, as before locations had kinds; read back, the origin is whole.
	git := cases[2].res.stdout
	var raw []map[string]any
	if err := json.Unmarshal([]byte(git), &raw); err != nil || len(raw) != 1 {
		t.Fatalf("git JSON: %v\n%s", err, git)
	}
	for _, k := range []string{"commit", "author", "email", "date", "message", "still_present", "kind", "path"} {
		if _, ok := raw[0][k]; !ok {
			t.Errorf("git JSON lacks %q at the top level: %v", k, raw[0])
		}
	}
	fs := decodeFindings(t, cases[2].res)
	if g := fs[0].Git; g == nil || g.Author != "Ada" || g.Message != "add k" || g.StillPresent == nil || !*g.StillPresent {
		t.Errorf("git origin read back as %+v", fs[0].Git)
	}
	// A report written before kinds existed (no "kind") reads as git.
	var old []finding.Finding
	if err := json.Unmarshal([]byte(`[{"rule_id":"r","path":"a","line":1,"commit":"abc","author":"Bo"}]`), &old); err != nil {
		t.Fatal(err)
	}
	if old[0].Kind != finding.KindGit || old[0].Git == nil || old[0].Git.Commit != "abc" || old[0].Git.Author != "Bo" {
		t.Errorf("an earlier report reads back as %+v (git %+v)", old[0], old[0].Git)
	}
}
