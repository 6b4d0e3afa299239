package cli

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/achilles-sec/achilles/scanner/finding"
)

func scanJSON(t *testing.T, args ...string) []finding.Finding {
	t.Helper()
	r := runCLI(t, "", args...)
	if r.code != 0 && r.code != ExitFindings {
		t.Fatalf("%+v", r)
	}
	var fs []finding.Finding
	if err := json.Unmarshal([]byte(r.stdout), &fs); err != nil {
		t.Fatalf("%v: %s", err, r.stdout)
	}
	return fs
}

// TestIgnoreSurvivesRebase: a fingerprint in .achillesignore keeps
// suppressing its finding after the commit is rewritten and the line moves.
func TestIgnoreSurvivesRebase(t *testing.T) {
	r := newGitRepo(t)
	r.write("a.env", "T="+tokA+"\n")
	r.run("git", "add", "-A")
	r.run("git", "commit", "-qm", "leak")
	fs := scanJSON(t, "git", r.dir, "-c", r.config(), "-f", "json", "--no-progress")
	if len(fs) != 1 {
		t.Fatalf("%+v", fs)
	}
	before := fs[0].Git.Commit
	if res := runCLI(t, "", "ignore", "add", "--file", filepath.Join(r.dir, ".achillesignore"), fs[0].Fingerprint); res.code != 0 {
		t.Fatalf("%+v", res)
	}
	// Rewrite history: the secret moves down a line and the commit changes.
	r.write("a.env", "# moved\nT="+tokA+"\n")
	r.run("git", "add", "a.env")
	r.run("git", "commit", "-q", "--amend", "-m", "rewritten")
	after := scanJSON(t, "git", r.dir, "-c", r.config(), "-f", "json", "--no-progress")
	if len(after) != 0 {
		t.Fatalf("the ignored finding came back after the rewrite: %+v", after)
	}
	if head := strings.TrimSpace(r.run("git", "rev-parse", "HEAD")); head == before {
		t.Fatal("the commit was not rewritten")
	}
	// A new secret is still reported.
	r.write("b.env", "T=tok_H7k2Lm9pR4sT1uW3yZ5aB8cd\n")
	r.run("git", "add", "-A")
	r.run("git", "commit", "-qm", "another")
	if fs := scanJSON(t, "git", r.dir, "-c", r.config(), "-f", "json", "--no-progress"); len(fs) != 1 || fs[0].Path != "b.env" {
		t.Fatalf("%+v", fs)
	}
}

func TestGitleaksIgnoreAndBaseline(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.txt"), []byte("x\n"+tokA+"\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "b.txt"), []byte("tok_H7k2Lm9pR4sT1uW3yZ5aB8cd\n"), 0o644)
	all := scanJSON(t, "dir", dir, "-c", testConfig, "-f", "json")
	if len(all) != 2 {
		t.Fatalf("%+v", all)
	}
	// gitleaks' positional form for folder scans: path:rule:line.
	os.WriteFile(filepath.Join(dir, ".gitleaksignore"), []byte("# old\n"+all[0].Path+":test-token:2\n"), 0o644)
	if fs := scanJSON(t, "dir", dir, "-c", testConfig, "-f", "json"); len(fs) != 1 || fs[0].Path != all[1].Path {
		t.Fatalf(".gitleaksignore: %+v", fs)
	}
	os.Remove(filepath.Join(dir, ".gitleaksignore"))

	// A baseline of the current report suppresses old findings only.
	base := filepath.Join(t.TempDir(), "baseline.json")
	if r := runCLI(t, "", "dir", dir, "-c", testConfig, "-f", "json", "-o", base); r.code != ExitFindings {
		t.Fatalf("%+v", r)
	}
	if r := runCLI(t, "", "dir", dir, "-c", testConfig, "--baseline", base); r.code != 0 {
		t.Fatalf("baseline did not suppress old findings: %+v", r)
	}
	os.WriteFile(filepath.Join(dir, "c.txt"), []byte("tok_Z1y2X3w4V5u6T7s8R9q0P1o2\n"), 0o644)
	fs := scanJSON(t, "dir", dir, "-c", testConfig, "-f", "json", "--baseline", base)
	if len(fs) != 1 || !strings.HasSuffix(fs[0].Path, "c.txt") {
		t.Fatalf("new finding with a baseline: %+v", fs)
	}
	if r := runCLI(t, "", "dir", dir, "-c", testConfig, "--baseline", filepath.Join(dir, "a.txt")); r.code != ExitUsage {
		t.Fatalf("a bad baseline: %+v", r)
	}
}

// TestBaselineInStagedAndPrePush: a baseline from an earlier full scan
// suppresses the old secret and keeps the new one when the commit is
// checked before it is made and before it is pushed.
func TestBaselineInStagedAndPrePush(t *testing.T) {
	const tokB = "tok_H7k2Lm9pR4sT1uW3yZ5aB8cd"
	r := newGitRepo(t)
	r.write("a.env", "T="+tokA+"\n")
	r.run("git", "add", "-A")
	r.run("git", "commit", "-qm", "old leak")
	base := filepath.Join(t.TempDir(), "base.json")
	if res := runCLI(t, "", "git", r.dir, "-c", r.config(), "-f", "json", "-o", base, "--no-progress"); res.code != ExitFindings {
		t.Fatalf("%+v", res)
	}
	r.run("git", "rm", "-q", "a.env")
	r.run("git", "commit", "-qm", "remove it")
	pushed := strings.TrimSpace(r.run("git", "rev-parse", "HEAD"))

	// A revert brings the old secret back, next to a new one.
	r.write("a.env", "T="+tokA+"\nU="+tokB+"\n")
	r.run("git", "add", "a.env")
	staged := func(extra ...string) []finding.Finding {
		return scanJSON(t, append([]string{"git", r.dir, "--staged", "-c", r.config(), "-f", "json", "--no-progress"}, extra...)...)
	}
	if fs := staged(); len(fs) != 2 {
		t.Fatalf("staged without a baseline: %+v", fs)
	}
	if fs := staged("--baseline", base); len(fs) != 1 || fs[0].Secret != tokB || fs[0].Line != 2 {
		t.Fatalf("staged with a baseline: %+v", fs)
	}

	r.run("git", "commit", "-qm", "revert and add")
	head := strings.TrimSpace(r.run("git", "rev-parse", "HEAD"))
	in := "refs/heads/main " + head + " refs/heads/main " + pushed + "\n"
	prePush := func(extra ...string) result {
		return runCLI(t, in, append([]string{"git", r.dir, "--pre-push", "-c", r.config(), "-f", "jsonl", "--no-progress"}, extra...)...)
	}
	if res := prePush(); res.code != ExitFindings || strings.Count(res.stdout, "\n") != 2 {
		t.Fatalf("pre-push without a baseline: %+v", res)
	}
	res := prePush("--baseline", base)
	if res.code != ExitFindings || strings.Count(res.stdout, "\n") != 1 || !strings.Contains(res.stdout, tokB) {
		t.Fatalf("pre-push with a baseline: %+v", res)
	}
	if !strings.Contains(res.stderr, "1 finding suppressed") {
		t.Errorf("the suppression is not counted: %s", res.stderr)
	}
}

// TestIgnoreSurvivesRealRebase: `git rebase` replays the commit that added
// the secret onto a new base that accepted it in .achillesignore; the entry
// still holds, in a history scan and in a range scan of the rebased branch
// (which reads the ignore file from the base of the range).
func TestIgnoreSurvivesRealRebase(t *testing.T) {
	r := newGitRepo(t)
	r.write("README", "hello\n")
	r.run("git", "add", "-A")
	r.run("git", "commit", "-qm", "base")
	r.run("git", "checkout", "-qb", "feature")
	r.write("a.env", "T="+tokA+"\n")
	r.run("git", "add", "a.env")
	r.run("git", "commit", "-qm", "leak")
	fs := scanJSON(t, "git", r.dir, "--range", "main..feature", "-c", r.config(), "-f", "json", "--no-progress")
	if len(fs) != 1 {
		t.Fatalf("%+v", fs)
	}
	if res := runCLI(t, "", "ignore", "add", "--file", filepath.Join(r.dir, ".achillesignore"), fs[0].Fingerprint); res.code != 0 {
		t.Fatalf("%+v", res)
	}
	r.run("git", "checkout", "-q", "main")
	r.write("other.txt", "x\n")
	r.run("git", "add", "other.txt", ".achillesignore")
	r.run("git", "commit", "-qm", "main moves on, accepting the finding")
	r.run("git", "checkout", "-q", "feature")
	r.run("git", "rebase", "-q", "main")
	if head := strings.TrimSpace(r.run("git", "rev-parse", "HEAD")); head == fs[0].Git.Commit {
		t.Fatal("the rebase did not rewrite the commit")
	}
	for _, args := range [][]string{{"git", r.dir}, {"git", r.dir, "--range", "main..feature"}} {
		if after := scanJSON(t, append(args, "-c", r.config(), "-f", "json", "--no-progress")...); len(after) != 0 {
			t.Fatalf("%v: the ignored finding came back after the rebase: %+v", args, after)
		}
	}
}

// TestIgnoreAddFromSubfolder: run from a subfolder of a work tree, `ignore
// add` writes the root's .achillesignore, the one scans read.
func TestIgnoreAddFromSubfolder(t *testing.T) {
	bin := achillesBinary(t)
	r := newGitRepo(t)
	os.MkdirAll(filepath.Join(r.dir, "sub", "deep"), 0o755)
	cmd := exec.Command(bin, "ignore", "add", "test-token:963d0552220ff385:a.env")
	cmd.Dir = filepath.Join(r.dir, "sub", "deep")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	b, err := os.ReadFile(filepath.Join(r.dir, ".achillesignore"))
	if err != nil || string(b) != "test-token:963d0552220ff385:a.env\n" {
		t.Fatalf("%q %v", b, err)
	}
}
