package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// inTerminal runs the built binary with a pseudo-terminal as stdin, stdout
// and stderr (script(1) from util-linux), and returns what the terminal
// showed.
func inTerminal(t *testing.T, dir string, env []string, args ...string) string {
	t.Helper()
	script, err := exec.LookPath("script")
	if err != nil {
		t.Skip("script(1) is needed for a pseudo-terminal")
	}
	line := achillesBinary(t)
	for _, a := range args {
		line += " '" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	cmd := exec.Command(script, "-qec", line, "/dev/null")
	cmd.Dir = dir
	cmd.Env = env
	out, _ := cmd.CombinedOutput()
	return string(out)
}

// TestColourFollowsTerminalAndNoColor: on a terminal the text report is in
// colour; NO_COLOR (any value) and --no-color turn it off.
func TestColourFollowsTerminalAndNoColor(t *testing.T) {
	r := newGitRepo(t)
	r.write("deploy.env", "AWS_ACCESS_KEY_ID=AKIAQYLPMN5HHHFPZAM2\n")
	env := r.env()
	if out := inTerminal(t, r.dir, env, "dir", ".", "--no-progress"); !strings.Contains(out, "\x1b[") || !strings.Contains(out, "aws-access-key-id") {
		t.Fatalf("no colour on a terminal:\n%q", out)
	}
	for name, run := range map[string]func() string{
		"NO_COLOR=1": func() string { return inTerminal(t, r.dir, append(env, "NO_COLOR=1"), "dir", ".", "--no-progress") },
		"--no-color": func() string { return inTerminal(t, r.dir, env, "dir", ".", "--no-progress", "--no-color") },
	} {
		out := run()
		if strings.Contains(out, "\x1b[") || !strings.Contains(out, "aws-access-key-id") {
			t.Errorf("%s: colour codes in the output, or no finding:\n%q", name, out)
		}
	}
}

// TestStdinOnTerminalSaysSo: `achilles stdin` with a terminal as input tells
// how to end input instead of waiting silently.
func TestStdinOnTerminalSaysSo(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command("script", "-qec", achillesBinary(t)+" stdin --no-progress", "/dev/null")
	if _, err := exec.LookPath("script"); err != nil {
		t.Skip("script(1) is needed for a pseudo-terminal")
	}
	cmd.Dir = dir
	// script passes its own stdin to the terminal: end the input at once.
	cmd.Stdin = strings.NewReader("\x04")
	out, _ := cmd.CombinedOutput()
	if !strings.Contains(string(out), "Ctrl-D") {
		t.Errorf("no hint on a terminal:\n%q", out)
	}
	piped := runBinary(t, dir, nil, "stdin", "--no-progress")
	if strings.Contains(piped.stderr, "Ctrl-D") {
		t.Errorf("the hint is shown for piped input too: %s", piped.stderr)
	}
}

// TestUsageChecks: an exit code that cannot be an exit status, and an
// ignore entry that is no fingerprint, are usage errors; `version` names a
// version and commit even without release stamping.
func TestUsageChecks(t *testing.T) {
	dir := t.TempDir()
	for _, code := range []string{"300", "-1", "256"} {
		if res := runBinary(t, dir, nil, "dir", ".", "--exit-code", code); res.code != ExitUsage || !strings.Contains(res.stderr, "--exit-code") {
			t.Errorf("--exit-code %s: exit %d: %s", code, res.code, res.stderr)
		}
	}
	if res := runBinary(t, dir, nil, "dir", ".", "--exit-code", "255"); res.code != ExitOK {
		t.Errorf("--exit-code 255 on a clean folder: exit %d: %s", res.code, res.stderr)
	}
	if res := runBinary(t, dir, nil, "ignore", "add", "--file", dir+"/ign", "bogus"); res.code != ExitUsage || !strings.Contains(res.stderr, "not a fingerprint") {
		t.Errorf("ignore add bogus: exit %d: %s", res.code, res.stderr)
	}
	v := runBinary(t, dir, nil, "version")
	if v.code != 0 || !strings.HasPrefix(v.stdout, "achilles ") {
		t.Errorf("version: %d %q", v.code, v.stdout)
	}
	// A build from this checkout without release stamping (go build, a
	// pre-commit build) names the commit Go recorded, not "none".
	root := repoRoot(t)
	head, err := exec.Command("git", "-C", root, "rev-parse", "HEAD").Output()
	if err != nil {
		t.Logf("not a git checkout (%v): the VCS stamp is not checked", err)
		return
	}
	bin := filepath.Join(t.TempDir(), "achilles")
	build := exec.Command("go", "build", "-buildvcs=true", "-trimpath", "-o", bin, "./cmd/achilles")
	build.Dir = root
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build -buildvcs=true: %v\n%s", err, out)
	}
	out, _ := exec.Command(bin, "version").Output()
	if !strings.Contains(string(out), "commit "+strings.TrimSpace(string(head))) {
		t.Errorf("version %q does not name the checkout's commit %s", out, head)
	}
}
