package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/achilles-sec/achilles/scanner/finding"
)

const (
	tokA       = "tok_Q2x9LmP4vR7sT1uW3yZ5aB8c"
	testConfig = "../../../../testdata/rules/test.toml"
)

type result struct {
	code           int
	stdout, stderr string
}

func runCLI(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, &IO{In: strings.NewReader(stdin), Out: &out, ErrOut: &errOut})
	return result{code, out.String(), errOut.String()}
}

func TestVersion(t *testing.T) {
	r := runCLI(t, "", "version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "achilles ") {
		t.Fatalf("%+v", r)
	}
}

func TestStdinExitCodesAndFormats(t *testing.T) {
	r := runCLI(t, "a\n"+tokA+"\n", "stdin", "-c", testConfig, "-f", "json")
	if r.code != ExitFindings {
		t.Fatalf("exit %d, stderr %s", r.code, r.stderr)
	}
	var fs []finding.Finding
	if err := json.Unmarshal([]byte(r.stdout), &fs); err != nil {
		t.Fatalf("json: %v\n%s", err, r.stdout)
	}
	if len(fs) != 1 || fs[0].Secret != tokA || fs[0].Line != 2 || fs[0].RuleID != "test-token" {
		t.Fatalf("got %+v", fs)
	}
	if !strings.Contains(r.stderr, "1 finding") {
		t.Errorf("no summary on stderr: %q", r.stderr)
	}

	r = runCLI(t, tokA, "stdin", "-c", testConfig, "--exit-code", "7", "-f", "jsonl")
	if r.code != 7 || strings.Count(r.stdout, "\n") != 1 {
		t.Fatalf("exit-code/jsonl: %+v", r)
	}
	r = runCLI(t, "nothing here", "stdin", "-c", testConfig, "-f", "json")
	if r.code != 0 || strings.TrimSpace(r.stdout) != "[]" {
		t.Fatalf("clean input: %+v", r)
	}
}

func TestUsageErrors(t *testing.T) {
	cases := [][]string{
		{"stdin", "--format", "xml"},
		{"stdin", "--bogus"},
		{"dir", filepath.Join(t.TempDir(), "missing")},
		{"git", t.TempDir()},
		{"stdin", "--min-confidence", "huge"},
	}
	for _, args := range cases {
		r := runCLI(t, "", args...)
		if r.code != ExitUsage || r.stderr == "" {
			t.Errorf("%v: exit %d stderr %q, want 2 with a message", args, r.code, r.stderr)
		}
	}
}

func TestBadRuleFileNamesFileAndRule(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.toml")
	os.WriteFile(path, []byte("[[rules]]\nid = \"oops\"\nregex = \"a(\"\n"), 0o644)
	r := runCLI(t, "", "stdin", "-c", path)
	if r.code != ExitUsage || !strings.Contains(r.stderr, path) || !strings.Contains(r.stderr, `"oops"`) {
		t.Fatalf("%+v", r)
	}
}

func TestReportFileModeAndDevice(t *testing.T) {
	out := filepath.Join(t.TempDir(), "report.json")
	r := runCLI(t, tokA, "stdin", "-c", testConfig, "-f", "json", "-o", out)
	if r.code != ExitFindings || r.stdout != "" {
		t.Fatalf("%+v", r)
	}
	st, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("report mode %v, want 0600", st.Mode().Perm())
	}
	b, _ := os.ReadFile(out)
	if !strings.Contains(string(b), tokA) {
		t.Error("report lacks the finding")
	}
	r = runCLI(t, tokA, "stdin", "-c", testConfig, "-o", os.DevNull)
	if r.code != ExitFindings {
		t.Fatalf("%+v", r)
	}
	if st, err := os.Stat(os.DevNull); err != nil || st.Mode().IsRegular() {
		t.Fatalf("%s was replaced: %v %v", os.DevNull, st.Mode(), err)
	}
}

func TestRedactCoversEveryFormat(t *testing.T) {
	for _, f := range []string{"text", "json", "jsonl", "sarif", "csv", "junit"} {
		r := runCLI(t, "password = \"Hx7!pQ2@zL9#\"\n"+tokA, "stdin", "-c", testConfig, "-f", f, "--redact")
		if r.code != ExitFindings {
			t.Fatalf("%s: %+v", f, r)
		}
		for _, s := range []string{tokA, "Hx7!pQ2@zL9#"} {
			if strings.Contains(r.stdout+r.stderr, s) {
				t.Errorf("%s: output shows a secret with --redact:\n%s", f, r.stdout)
			}
		}
	}
}

func TestMinConfidence(t *testing.T) {
	in := "password = \"Hx7!pQ2@zL9#\"\n" + tokA
	r := runCLI(t, in, "stdin", "-c", testConfig, "-f", "jsonl", "--min-confidence", "high")
	if r.code != ExitFindings || strings.Count(r.stdout, "\n") != 1 || !strings.Contains(r.stdout, "test-token") {
		t.Fatalf("%+v", r)
	}
}

// repoRule is the test token rule as a repository's own .achilles.toml
// would add it.
const repoRule = `[[rules]]
id = "test-token"
description = "Test token"
regex = '''\b(tok_[A-Za-z0-9]{24})\b'''
keywords = ["tok_"]
`

func TestGitCommandAndRepoConfig(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	dir := t.TempDir()
	gitRun := func(args ...string) {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=Bo", "GIT_AUTHOR_EMAIL=bo@example.com",
			"GIT_COMMITTER_NAME=Bo", "GIT_COMMITTER_EMAIL=bo@example.com", "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v %s", args, err, out)
		}
	}
	gitRun("init", "-q", "-b", "main")
	// Repository configuration adds its rules to the built-in ones.
	os.WriteFile(filepath.Join(dir, ".achilles.toml"), []byte(repoRule), 0o644)
	os.WriteFile(filepath.Join(dir, "k.txt"), []byte(tokA+"\n"), 0o644)
	gitRun("add", "-A")
	gitRun("commit", "-qm", "leak")
	r := runCLI(t, "", "git", dir, "-f", "json", "--no-progress")
	if r.code != ExitFindings {
		t.Fatalf("%+v", r)
	}
	var fs []finding.Finding
	json.Unmarshal([]byte(r.stdout), &fs)
	if len(fs) != 1 || fs[0].Git.Author != "Bo" || fs[0].Git.Commit == "" || fs[0].Git.StillPresent == nil || !*fs[0].Git.StillPresent {
		t.Fatalf("got %+v", fs)
	}
	// The text report names the rule, the place and the commit.
	r = runCLI(t, "", "git", dir, "--no-progress")
	for _, want := range []string{"test-token", "k.txt:1:1", fs[0].Git.Commit[:12], "Bo <bo@example.com>"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("text report lacks %q:\n%s", want, r.stdout)
		}
	}
}

func TestRulesCheckAndList(t *testing.T) {
	r := runCLI(t, "", "rules", "check", "-c", testConfig)
	if r.code != 0 {
		t.Fatalf("%+v", r)
	}
	r = runCLI(t, "", "rules", "list")
	if r.code != 0 || !strings.Contains(r.stdout, "aws-access-key-id") {
		t.Fatalf("%+v", r)
	}
	// Each rule names its provider's display name from the catalogue.
	for _, line := range strings.Split(r.stdout, "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[0] == "aws-access-key-id" && f[1] != "Amazon" && f[1] != "AWS" {
			t.Errorf("rules list names provider %q for aws-access-key-id", f[1])
		}
	}
	bad := filepath.Join(t.TempDir(), "r.toml")
	os.WriteFile(bad, []byte("[[rules]]\nid = \"x\"\nregex = \"tok_[a-z]{4}\"\nkeywords = [\"tok_\"]\nexamples = [\"nothing\"]\n"), 0o644)
	r = runCLI(t, "", "rules", "check", "-c", bad)
	if r.code != ExitFindings || !strings.Contains(r.stdout, "rule x: examples[0]") {
		t.Fatalf("%+v", r)
	}
}
