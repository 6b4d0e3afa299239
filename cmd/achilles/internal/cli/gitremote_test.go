package cli

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/achilles-sec/achilles/scanner/finding"
)

// AWS key ids of the default rule's shape.
const (
	pullKey   = "AKIAX4PULLREF7HEADZQ" // only refs/pull/7/head reaches it
	mainKey   = "AKIAM2AINBRANCHKEY3Q" // on main
	quietKey  = "AKIAQ5UIETPATHKEY6WZ" // under a path the repository's .achilles.toml allowlists
	secretPwd = "s3cretPassw0rdOfTheURL"
)

// pullRefRepo makes a bare repository at root/name.git: main holds
// mainKey in app.env, an .achilles.toml allowlisting vendor/ and
// vendor/x.env holding quietKey; a commit only refs/pull/7/head reaches
// holds pullKey in fork.env.
func pullRefRepo(t *testing.T, root, name string) string {
	t.Helper()
	work := t.TempDir()
	env := append(os.Environ(), "GIT_AUTHOR_NAME=Dev", "GIT_AUTHOR_EMAIL=dev@example.com", "GIT_COMMITTER_NAME=Dev",
		"GIT_COMMITTER_EMAIL=dev@example.com", "GIT_CONFIG_NOSYSTEM=1", "HOME="+work)
	git := func(dir string, args ...string) {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir, cmd.Env = dir, env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	write := func(path, content string) {
		os.MkdirAll(filepath.Dir(filepath.Join(work, path)), 0o755)
		if err := os.WriteFile(filepath.Join(work, path), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git(work, "init", "-q", "-b", "main")
	write("app.env", "aws_access_key_id = "+mainKey+"\n")
	write(".achilles.toml", "[allowlist]\npaths = ['''^vendor/''']\n")
	write("vendor/x.env", "aws_access_key_id = "+quietKey+"\n")
	git(work, "add", ".")
	git(work, "commit", "-q", "-m", "config")
	git(work, "checkout", "-q", "-b", "fork")
	write("fork.env", "aws_access_key_id = "+pullKey+"\n")
	git(work, "add", ".")
	git(work, "commit", "-q", "-m", "from a fork, never merged")
	git(work, "checkout", "-q", "main")
	bare := filepath.Join(root, name+".git")
	git(root, "clone", "-q", "--bare", work, bare)
	git(bare, "update-ref", "refs/pull/7/head", "refs/heads/fork")
	git(bare, "branch", "-q", "-D", "fork")
	return bare
}

func jsonFindings(t *testing.T, out string) []finding.Finding {
	t.Helper()
	var fs []finding.Finding
	if err := json.Unmarshal([]byte(out), &fs); err != nil {
		t.Fatalf("json: %v\n%s", err, out)
	}
	return fs
}

// hiddenRefOf returns the hidden_ref of the finding of key, and whether
// there is one.
func hiddenRefOf(fs []finding.Finding, key string) (string, bool) {
	for _, f := range fs {
		if f.Secret == key && f.Git != nil {
			return f.Git.HiddenRef, true
		}
	}
	return "", false
}

// A key that only a pull request ref holds is found by both backends and
// reported with that ref; the rest of the history as usual.
func TestGitHiddenPullRefBothBackends(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	bare := pullRefRepo(t, t.TempDir(), "local")
	dir := t.TempDir()
	for _, backend := range []string{"git", "go-git"} {
		code, out, errOut := sweepRun(t, dir, nil, "git", bare, "--git-backend", backend, "-f", "json", "--no-redact", "--no-progress")
		if code != ExitFindings {
			t.Fatalf("%s: exit %d: %s", backend, code, errOut)
		}
		fs := jsonFindings(t, out)
		if ref, ok := hiddenRefOf(fs, pullKey); !ok || ref != "refs/pull/7/head" {
			t.Errorf("%s: pull request key: found %v, hidden_ref %q", backend, ok, ref)
		}
		if ref, ok := hiddenRefOf(fs, mainKey); !ok || ref != "" {
			t.Errorf("%s: main key: found %v, hidden_ref %q", backend, ok, ref)
		}
		if !strings.Contains(out, `"hidden_ref": "refs/pull/7/head"`) && !strings.Contains(out, `"hidden_ref":"refs/pull/7/head"`) {
			t.Errorf("%s: no hidden_ref field in the JSON", backend)
		}
		code, out, _ = sweepRun(t, dir, nil, "git", bare, "--git-backend", backend, "--no-progress", "--no-color")
		if code != ExitFindings || !strings.Contains(out, "only in   refs/pull/7/head") {
			t.Errorf("%s: text report does not name the ref:\n%s", backend, out)
		}
	}
}

// gitURLServer serves the bare repositories under root over smart HTTP on
// loopback; with user and password set, only to requests carrying them
// (401 otherwise). It counts requests and records every Authorization
// header's password.
type gitURLServer struct {
	*httptest.Server
	requests atomic.Int64
}

func newGitURLServer(t *testing.T, root, user, pass string) *gitURLServer {
	backend := sweepBackend(t, root)
	s := &gitURLServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		if pass != "" {
			u, p, ok := r.BasicAuth()
			if !ok || u != user || p != pass {
				w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
				http.Error(w, "authentication required", http.StatusUnauthorized)
				return
			}
		}
		backend.ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

// leftovers lists what is in the temporary folder the binary was given.
func leftovers(t *testing.T, tmp string) []string {
	t.Helper()
	es, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// `achilles git URL` clones into a temporary bare clone, scans its full
// history (pull request refs included), reads the repository's
// .achilles.toml from the clone's HEAD, names the URL in the summary, and
// leaves nothing behind.
func TestGitURLScansATemporaryClone(t *testing.T) {
	root := t.TempDir()
	pullRefRepo(t, root, "team/app")
	srv := newGitURLServer(t, root, "", "")
	dir, tmp := t.TempDir(), t.TempDir()
	url := srv.URL + "/team/app.git"
	for _, backend := range []string{"git", "go-git"} {
		code, out, errOut := sweepRun(t, dir, []string{"TMPDIR=" + tmp}, "git", url, "--git-backend", backend, "-f", "json", "--no-redact", "--no-progress")
		if code != ExitFindings {
			t.Fatalf("%s: exit %d: %s", backend, code, errOut)
		}
		fs := jsonFindings(t, out)
		if _, ok := hiddenRefOf(fs, mainKey); !ok {
			t.Errorf("%s: main key not found: %s", backend, out)
		}
		if ref, ok := hiddenRefOf(fs, pullKey); !ok || ref != "refs/pull/7/head" {
			t.Errorf("%s: pull request key: found %v, hidden_ref %q", backend, ok, ref)
		}
		if _, ok := hiddenRefOf(fs, quietKey); ok {
			t.Errorf("%s: the repository's allowlist (from the clone's HEAD) did not apply", backend)
		}
		if !strings.Contains(errOut, "repository configuration .achilles.toml") || !strings.Contains(errOut, "git history of "+url) {
			t.Errorf("%s: summary: %s", backend, errOut)
		}
		for _, f := range fs {
			if strings.Contains(f.Path, tmp) || strings.HasPrefix(f.Path, "/") {
				t.Errorf("%s: path %q is not a repository path", backend, f.Path)
			}
		}
		if left := leftovers(t, tmp); len(left) != 0 {
			t.Fatalf("%s: left behind in the temporary folder: %v", backend, left)
		}
	}

	// A local path is not cloned, even one that looks like a URL's tail;
	// file:// behaves as it did (not cloned).
	before := srv.requests.Load()
	code, _, errOut := sweepRun(t, dir, []string{"TMPDIR=" + tmp}, "git", filepath.Join(root, "team", "app.git"), "--no-progress", "-f", "json")
	if code != ExitFindings || srv.requests.Load() != before || strings.Contains(errOut, "cloning") {
		t.Errorf("local path: exit %d, %d requests: %s", code, srv.requests.Load()-before, errOut)
	}

	// Modes that need a local repository are refused for a URL.
	code, _, errOut = sweepRun(t, dir, []string{"TMPDIR=" + tmp}, "git", url, "--since", "HEAD~1", "--no-progress")
	if code != ExitUsage || !strings.Contains(errOut, "need a local repository") {
		t.Errorf("--since with a URL: exit %d: %s", code, errOut)
	}
	// An empty repository: nothing to scan, exit 0, and the summary says
	// why no configuration was read.
	if out, err := exec.Command("git", "init", "-q", "--bare", filepath.Join(root, "empty.git")).CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	code, _, errOut = sweepRun(t, dir, []string{"TMPDIR=" + tmp}, "git", srv.URL+"/empty.git", "--no-progress")
	if code != 0 || !strings.Contains(errOut, "0 findings") || !strings.Contains(errOut, "empty.git (it has no commits)") {
		t.Errorf("empty repository: exit %d: %s", code, errOut)
	}
	// A repository the server does not have: exit 2, nothing left.
	code, _, errOut = sweepRun(t, dir, []string{"TMPDIR=" + tmp}, "git", srv.URL+"/nope.git", "--no-progress")
	if code != ExitUsage || !strings.Contains(errOut, "cloning") {
		t.Errorf("missing repository: exit %d: %s", code, errOut)
	}
	if left := leftovers(t, tmp); len(left) != 0 {
		t.Fatalf("left behind: %v", left)
	}
}

// Credentials in the URL go to the server for the clone and appear
// nowhere: not in any output format, not in the clone (gone anyway), not in
// SARIF's repositoryUri. Without them the server refuses and the scan exits
// 2; a git credential helper of the user's configuration is asked then.
func TestGitURLCredentials(t *testing.T) {
	root := t.TempDir()
	pullRefRepo(t, root, "private")
	srv := newGitURLServer(t, root, "dev", secretPwd)
	dir, tmp := t.TempDir(), t.TempDir()
	withCreds := strings.Replace(srv.URL, "http://", "http://dev:"+secretPwd+"@", 1) + "/private.git"
	for _, format := range []string{"json", "text", "sarif", "csv"} {
		code, out, errOut := sweepRun(t, dir, []string{"TMPDIR=" + tmp}, "git", withCreds, "-f", format, "--no-redact", "--no-progress")
		if code != ExitFindings || !strings.Contains(out, mainKey) {
			t.Fatalf("%s: exit %d: %s\n%s", format, code, errOut, out)
		}
		if strings.Contains(out+errOut, secretPwd) {
			t.Fatalf("%s: the URL's password appears in the output:\n%s\n%s", format, out, errOut)
		}
		if format == "sarif" && !strings.Contains(out, srv.URL+"/private.git") {
			t.Errorf("sarif: no repositoryUri without credentials:\n%s", out)
		}
	}
	if left := leftovers(t, tmp); len(left) != 0 {
		t.Fatalf("left behind: %v", left)
	}

	// No credentials, no helper: refused, exit 2.
	plain := srv.URL + "/private.git"
	code, _, errOut := sweepRun(t, dir, []string{"TMPDIR=" + tmp}, "git", plain, "--no-progress")
	if code != ExitUsage || !strings.Contains(strings.ToLower(errOut), "auth") {
		t.Fatalf("without credentials: exit %d: %s", code, errOut)
	}
	// The user's credential helper answers for that URL.
	helperHome := t.TempDir()
	helper := "[credential]\n\thelper = \"!f() { test \\\"$1\\\" = get && echo username=dev && echo password=" + secretPwd + "; }; f\"\n"
	if err := os.WriteFile(filepath.Join(helperHome, ".gitconfig"), []byte(helper), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := sweepRun(t, helperHome, []string{"TMPDIR=" + tmp}, "git", plain, "-f", "json", "--no-redact", "--no-progress")
	if code != ExitFindings || !strings.Contains(out, mainKey) || strings.Contains(out+errOut, secretPwd) {
		t.Fatalf("with a credential helper: exit %d: %s\n%s", code, errOut, out)
	}
	if left := leftovers(t, tmp); len(left) != 0 {
		t.Fatalf("left behind: %v", left)
	}
}

// SIGINT while the clone waits on a server that never answers: exit 130
// within the grace period, and the temporary folder is gone.
func TestGitURLInterruptRemovesTheClone(t *testing.T) {
	bin := achillesBinary(t)
	arrived := make(chan struct{}, 1)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case arrived <- struct{}{}:
		default:
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	tmp := t.TempDir()
	cmd := exec.Command(bin, "git", srv.URL+"/hang.git", "--no-progress")
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp, "GIT_CONFIG_NOSYSTEM=1", "HOME="+t.TempDir())
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-arrived:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatal("the clone never reached the server")
	}
	if left := leftovers(t, tmp); len(left) != 1 {
		t.Errorf("during the clone: %v in the temporary folder, want one folder", left)
	}
	sent := time.Now()
	cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != ExitInterrupted {
		t.Fatalf("exit: %v", err)
	}
	if took := time.Since(sent); took > 1500*time.Millisecond {
		t.Errorf("took %v to stop", took)
	}
	if left := leftovers(t, tmp); len(left) != 0 {
		t.Fatalf("left behind after the interrupt: %v", left)
	}
}
