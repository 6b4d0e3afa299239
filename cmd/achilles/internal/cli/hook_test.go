package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// achillesBinary builds the real binary once, for tests that run it the
// way git or the pre-commit framework does.
func achillesBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "achilles-bin")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "achilles")
		// Built as releases and the Dockerfile build it (pure Go, trimmed
		// paths), so that their tests share the compiled packages.
		cmd := exec.Command("go", "build", "-trimpath", "-o", binPath, "github.com/achilles-sec/achilles/cmd/achilles")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		out, err := cmd.CombinedOutput()
		if err != nil {
			binErr = err
			t.Logf("%s", out)
		}
	})
	if binErr != nil {
		t.Fatalf("building achilles: %v", binErr)
	}
	return binPath
}

type gitRepo struct {
	t   *testing.T
	dir string
}

func newGitRepo(t *testing.T) *gitRepo {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	r := &gitRepo{t: t, dir: t.TempDir()}
	r.run("git", "init", "-q", "-b", "main")
	return r
}

func (r *gitRepo) env() []string {
	return append(os.Environ(), "GIT_AUTHOR_NAME=Ada", "GIT_AUTHOR_EMAIL=ada@example.com",
		"GIT_COMMITTER_NAME=Ada", "GIT_COMMITTER_EMAIL=ada@example.com", "GIT_CONFIG_NOSYSTEM=1", "HOME="+r.dir, "ACHILLES_CONFIG=")
}

// run runs a command in the repository and returns its combined output
// and exit code.
func (r *gitRepo) try(name string, args ...string) (string, int) {
	cmd := exec.Command(name, args...)
	cmd.Dir = r.dir
	cmd.Env = r.env()
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		r.t.Fatalf("%s %v: %v", name, args, err)
	}
	return string(out), code
}

func (r *gitRepo) run(name string, args ...string) string {
	r.t.Helper()
	out, code := r.try(name, args...)
	if code != 0 {
		r.t.Fatalf("%s %v: exit %d\n%s", name, args, code, out)
	}
	return out
}

func (r *gitRepo) write(path, content string) {
	full := filepath.Join(r.dir, path)
	os.MkdirAll(filepath.Dir(full), 0o755)
	if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
		r.t.Fatal(err)
	}
}

func (r *gitRepo) config() string {
	abs, _ := filepath.Abs(testConfig)
	return abs
}

func TestStagedScansOnlyTheStagedLines(t *testing.T) {
	r := newGitRepo(t)
	r.write("app.conf", "a=1\nb=2\nc=3\n")
	r.run("git", "add", "-A")
	r.run("git", "commit", "-qm", "base")
	// A staged rename with an added secret line reports the new path.
	r.write("old.txt", "x\n")
	r.run("git", "add", "old.txt")
	r.run("git", "commit", "-qm", "old")
	r.run("git", "mv", "old.txt", "new.txt")
	r.write("new.txt", "x\nk=tok_Z1y2X3w4V5u6T7s8R9q0P1o2\n")
	r.run("git", "add", "new.txt")

	// The working tree gets two secrets; only the first is staged, as with
	// `git add -p`: the index gets a patch of just that hunk.
	r.write("app.conf", "a=1\ntoken="+tokA+"\nb=2\nc=3\nother=tok_H7k2Lm9pR4sT1uW3yZ5aB8cd\n")
	patch := "--- a/app.conf\n+++ b/app.conf\n@@ -1,2 +1,3 @@\n a=1\n+token=" + tokA + "\n b=2\n"
	os.WriteFile(filepath.Join(r.dir, "p.patch"), []byte(patch), 0o644)
	r.run("git", "apply", "--cached", "p.patch")
	os.Remove(filepath.Join(r.dir, "p.patch"))

	res := runCLI(t, "", "git", r.dir, "--staged", "-c", r.config(), "-f", "jsonl", "--no-progress")
	if res.code != ExitFindings {
		t.Fatalf("%+v", res)
	}
	lines := strings.Split(strings.TrimSpace(res.stdout), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 findings:\n%s", res.stdout)
	}
	if !strings.Contains(lines[0], `"path":"app.conf","line":2,"column":7`) || !strings.Contains(lines[0], tokA) {
		t.Errorf("staged hunk finding: %s", lines[0])
	}
	if !strings.Contains(lines[1], `"path":"new.txt","line":2`) {
		t.Errorf("renamed file finding: %s", lines[1])
	}
	if strings.Contains(res.stdout, "tok_H7k2") {
		t.Error("an unstaged secret was reported")
	}
}

func TestHookBlocksCommit(t *testing.T) {
	bin := achillesBinary(t)
	r := newGitRepo(t)
	r.write("README", "hello\n")
	r.run("git", "add", "-A")
	r.run("git", "commit", "-qm", "base")
	// A foreign hook is not replaced without --force.
	os.MkdirAll(filepath.Join(r.dir, ".git", "hooks"), 0o755)
	os.WriteFile(filepath.Join(r.dir, ".git", "hooks", "pre-commit"), []byte("#!/bin/sh\nexit 0\n"), 0o755)
	if out, code := r.try(bin, "hook", "install"); code != ExitUsage || !strings.Contains(out, "--force") {
		t.Fatalf("foreign hook: exit %d %s", code, out)
	}
	r.run(bin, "hook", "install", "--force")
	r.run(bin, "hook", "install") // our own hook may be rewritten
	os.Setenv("ACHILLES_CONFIG", r.config())
	defer os.Unsetenv("ACHILLES_CONFIG")

	r.write("key.env", "TOKEN="+tokA+"\n")
	r.run("git", "add", "key.env")
	out, err := r.commitThroughHooks("-qm", "leak")
	if err == nil || !strings.Contains(string(out), "test-token") {
		t.Fatalf("the commit was not blocked: %v\n%s", err, out)
	}
	if log := r.run("git", "log", "--oneline"); strings.Contains(log, "leak") {
		t.Fatal("the commit went through")
	}
	r.write("key.env", "TOKEN=${TOKEN}\n")
	r.run("git", "add", "key.env")
	if out, err := r.commitThroughHooks("-qm", "clean"); err != nil {
		t.Fatalf("a clean commit was blocked: %v\n%s", err, out)
	}
	// `git commit -a` stages into a temporary index (GIT_INDEX_FILE) that
	// the hook must read.
	r.write("key.env", "TOKEN="+tokA+"\n")
	if out, err := r.commitThroughHooks("-qam", "leak via -a"); err == nil || !strings.Contains(string(out), "key.env:1") {
		t.Fatalf("commit -a was not blocked: %v\n%s", err, out)
	}
}

// commitThroughHooks runs `git commit args...` with the repository's test
// rules as ACHILLES_CONFIG, so the installed hook uses them, and returns
// its output.
func (r *gitRepo) commitThroughHooks(args ...string) ([]byte, error) {
	cmd := exec.Command("git", append([]string{"commit"}, args...)...)
	cmd.Dir = r.dir
	cmd.Env = append(r.env(), "ACHILLES_CONFIG="+r.config())
	return cmd.CombinedOutput()
}

func TestPrePushScansOnlyPushedCommits(t *testing.T) {
	bin := achillesBinary(t)
	remote := t.TempDir()
	if out, err := exec.Command("git", "init", "-q", "--bare", remote).CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	r := newGitRepo(t)
	// An old secret, already on the remote, must not block later pushes.
	r.write("old.env", "T="+tokA+"\n")
	r.run("git", "add", "-A")
	r.run("git", "commit", "-qm", "old leak")
	r.run("git", "remote", "add", "origin", remote)
	r.run("git", "push", "-q", "origin", "main")
	r.run(bin, "hook", "install", "--pre-push")
	env := append(r.env(), "ACHILLES_CONFIG="+r.config())

	r.write("clean.txt", "nothing\n")
	r.run("git", "add", "-A")
	r.run("git", "commit", "-qm", "clean")
	push := exec.Command("git", "push", "-q", "origin", "main")
	push.Dir, push.Env = r.dir, env
	if out, err := push.CombinedOutput(); err != nil {
		t.Fatalf("a clean push was blocked: %v\n%s", err, out)
	}

	r.write("new.env", "T=tok_H7k2Lm9pR4sT1uW3yZ5aB8cd\n")
	r.run("git", "add", "-A")
	r.run("git", "commit", "-qm", "new leak")
	push = exec.Command("git", "push", "-q", "origin", "main")
	push.Dir, push.Env = r.dir, env
	out, err := push.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "new.env") || strings.Contains(string(out), "old.env") {
		t.Fatalf("pre-push: %v\n%s", err, out)
	}

	// --range scans the range and nothing outside it.
	res := runCLI(t, "", "git", r.dir, "--range", "origin/main..main", "-c", r.config(), "-f", "jsonl", "--no-progress")
	if res.code != ExitFindings || strings.Count(res.stdout, "\n") != 1 || !strings.Contains(res.stdout, `"path":"new.env"`) || !strings.Contains(res.stdout, `"message":"new leak"`) {
		t.Fatalf("range: %+v", res)
	}
}

func TestPreCommitFramework(t *testing.T) {
	if _, err := exec.LookPath("pre-commit"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("pre-commit is not installed (.ci/run installs it)")
		}
		t.Skip("pre-commit not installed")
	}
	bin := achillesBinary(t)
	r := newGitRepo(t)
	r.write(".pre-commit-config.yaml", "repos:\n- repo: local\n  hooks:\n  - id: achilles\n    name: achilles\n    entry: "+bin+" precommit -c "+r.config()+"\n    language: system\n    pass_filenames: true\n    exclude: ^fixtures/\n")
	r.write("committed.env", "T="+tokA+"\n")
	r.run("git", "add", "-A")
	r.run("git", "commit", "-qm", "before the hook")
	// Nothing staged: --all-files passes every file name; the one holding a
	// secret must fail the run rather than silently pass.
	out, code := r.try("pre-commit", "run", "--all-files")
	if code == 0 || !strings.Contains(out, "test-token") {
		t.Fatalf("pre-commit run --all-files passed: %d\n%s", code, out)
	}
	// The pre-commit stage on a staged secret fails too.
	r.run("pre-commit", "install")
	r.write("staged.env", "T=tok_Z1y2X3w4V5u6T7s8R9q0P1o2\n")
	r.run("git", "add", "staged.env")
	out, code = r.try("git", "commit", "-qm", "leak")
	if code == 0 || !strings.Contains(out, "staged.env") {
		t.Fatalf("commit through the framework was not blocked: %d\n%s", code, out)
	}
	// What the hook's filters leave out is not scanned, staged or not.
	r.run("git", "rm", "-q", "--cached", "staged.env")
	os.Remove(filepath.Join(r.dir, "staged.env"))
	r.write("fixtures/sample.env", "T=tok_Z1y2X3w4V5u6T7s8R9q0P1o2\n")
	r.write("ok.txt", "fine\n")
	r.run("git", "add", "fixtures/sample.env", "ok.txt")
	if out, code := r.try("git", "commit", "-qm", "fixture"); code != 0 {
		t.Fatalf("an excluded fixture blocked the commit: %d\n%s", code, out)
	}
}

// TestPreCommitHooksFile checks the published hook definition: the
// framework accepts it, and it names a command that exists.
func TestPreCommitHooksFile(t *testing.T) {
	const manifest = "../../../../.pre-commit-hooks.yaml"
	b, err := os.ReadFile(manifest)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("pre-commit"); err == nil {
		if out, err := exec.Command("pre-commit", "validate-manifest", manifest).CombinedOutput(); err != nil {
			t.Fatalf("pre-commit rejects %s: %v\n%s", manifest, err, out)
		}
	} else if os.Getenv("CI") != "" {
		t.Fatal("pre-commit is not installed (.ci/run installs it)")
	}
	if !strings.Contains(string(b), "entry: achilles precommit") || !strings.Contains(string(b), "language: golang") {
		t.Fatalf("%s", b)
	}
	if r := runCLI(t, "", "precommit", "--help"); r.code != 0 {
		t.Fatalf("%+v", r)
	}
}

func TestCIRange(t *testing.T) {
	env := map[string]string{}
	get := func(k string) string { return env[k] }
	if _, err := ciRange(get); err == nil {
		t.Fatal("no CI environment should be an error")
	}
	env["CI_MERGE_REQUEST_DIFF_BASE_SHA"] = "abc123"
	if r, _ := ciRange(get); r != "abc123..HEAD" {
		t.Fatalf("gitlab: %q", r)
	}
	env["GITHUB_BASE_REF"] = "main"
	if r, _ := ciRange(get); r != "origin/main..HEAD" {
		t.Fatalf("github: %q", r)
	}
}

// TestHookScriptQuoting runs the generated hook with a binary whose path
// holds shell metacharacters, and with that binary gone.
func TestHookScriptQuoting(t *testing.T) {
	dir := filepath.Join(t.TempDir(), `it's $HOME "x"`)
	os.MkdirAll(dir, 0o755)
	exe := filepath.Join(dir, "achilles")
	os.WriteFile(exe, []byte("#!/bin/sh\necho ran \"$@\"\n"), 0o755)
	hook := filepath.Join(t.TempDir(), "pre-commit")
	os.WriteFile(hook, []byte(hookScript("pre-commit", exe, "git --staged --no-progress")), 0o755)
	out, err := exec.Command(hook).CombinedOutput()
	if err != nil || string(out) != "ran git --staged --no-progress\n" {
		t.Fatalf("%v %q", err, out)
	}
	os.Remove(exe)
	onPath := t.TempDir()
	os.WriteFile(filepath.Join(onPath, "achilles"), []byte("#!/bin/sh\necho from PATH\n"), 0o755)
	cmd := exec.Command(hook)
	cmd.Env = append(os.Environ(), "PATH="+onPath+":/usr/bin:/bin")
	if out, err := cmd.CombinedOutput(); err != nil || string(out) != "from PATH\n" {
		t.Fatalf("fallback: %v %q", err, out)
	}
}

// TestHookInstallWithHusky: in a husky v9 project (core.hooksPath
// .husky/_, whose generated pre-commit runs the project's tracked
// .husky/pre-commit), `hook install --force` adds achilles to
// .husky/pre-commit after its lint-staged line, leaves husky's generated
// folder alone, and the commit of a key is blocked while the existing
// command still runs.
func TestHookInstallWithHusky(t *testing.T) {
	bin := achillesBinary(t)
	r := newGitRepo(t)
	marker := filepath.Join(t.TempDir(), "lint-staged-ran")
	r.write(".husky/pre-commit", "echo ran > '"+marker+"'\n")
	// What husky v9 generates: every hook runs the project's script.
	r.write(".husky/_/pre-commit", "#!/bin/sh\nexec sh -e \"$(dirname \"$0\")/../$(basename \"$0\")\"\n")
	os.Chmod(filepath.Join(r.dir, ".husky/_/pre-commit"), 0o755)
	r.run("git", "add", ".husky/pre-commit")
	r.run("git", "commit", "-qm", "husky")
	r.run("git", "config", "core.hooksPath", ".husky/_")
	generated := mustRead(t, filepath.Join(r.dir, ".husky/_/pre-commit"))

	if out, code := r.try(bin, "hook", "install"); code != ExitUsage || !strings.Contains(out, ".husky/pre-commit") {
		t.Fatalf("without --force: exit %d: %s", code, out)
	}
	if out, code := r.try(bin, "hook", "install", "--force"); code != 0 || !strings.Contains(out, "kept") {
		t.Fatalf("--force: exit %d: %s", code, out)
	}
	hook := mustRead(t, filepath.Join(r.dir, ".husky/pre-commit"))
	if !strings.HasPrefix(hook, "echo ran > ") || !strings.Contains(hook, hookMarker) {
		t.Errorf(".husky/pre-commit lost its command or lacks achilles:\n%s", hook)
	}
	if got := mustRead(t, filepath.Join(r.dir, ".husky/_/pre-commit")); got != generated {
		t.Errorf("husky's generated hook was changed:\n%s", got)
	}
	// Installing again does not add a second copy.
	r.run(bin, "hook", "install", "--force")
	if n := strings.Count(mustRead(t, filepath.Join(r.dir, ".husky/pre-commit")), hookMarker); n != 1 {
		t.Errorf("achilles is in the hook %d times", n)
	}

	r.write("key.env", "TOKEN="+tokA+"\n")
	r.run("git", "add", "key.env")
	out, err := r.commitThroughHooks("-qm", "leak")
	if err == nil || !strings.Contains(string(out), "test-token") {
		t.Fatalf("the commit was not blocked: %v\n%s", err, out)
	}
	if _, err := os.Stat(marker); err != nil {
		t.Errorf("the project's own pre-commit command did not run: %v", err)
	}
}
