package cli

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// The GitHub Action's scripts (.github/action/install.sh and scan.sh) run
// here as the runner runs them: bash in the checkout, GITHUB_* variables,
// an event file, and the achilles binary the test built on PATH.

// Keys the built-in aws-access-key-id rule reports.
const (
	keyBase  = "AKIAQYLPMN5HHHFPZAM2" // on the base branch before the PR/push
	keyNew   = "AKIAZ7XK3MPQRSTUVW45" // what the PR or push adds
	keyGone  = "AKIAJ4LKW2NB6TRX3QPE" // in a commit a force push dropped
	keyOther = "AKIAV5GHT7WQ2MZX4KLA" // on another branch
)

func actionScript(t *testing.T, name string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "..", "..", "..", ".github", "action", name))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatal(err)
	}
	return p
}

// actionEnv is the process environment without the variables of a real
// runner or of the developer's git, plus env.
func actionEnv(home string, env map[string]string) []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(k, "GITHUB_"), strings.HasPrefix(k, "RUNNER_"), strings.HasPrefix(k, "INPUT_"),
			strings.HasPrefix(k, "ACTION_"), strings.HasPrefix(k, "ACHILLES"), strings.HasPrefix(k, "GIT_"), k == "HOME":
			continue
		}
		out = append(out, kv)
	}
	out = append(out, "HOME="+home, "GIT_CONFIG_NOSYSTEM=1", "ACHILLES_CONFIG=",
		"GIT_AUTHOR_NAME=Ada", "GIT_AUTHOR_EMAIL=ada@example.com", "GIT_COMMITTER_NAME=Ada", "GIT_COMMITTER_EMAIL=ada@example.com")
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}

type actionResult struct {
	code    int
	log     string // stdout and stderr, as the job log shows them
	summary string
	outputs map[string]string
}

// runScript runs one of the action's scripts with bash in dir.
func runActionScript(t *testing.T, script, dir string, env map[string]string) actionResult {
	t.Helper()
	tmp := t.TempDir()
	summary := filepath.Join(tmp, "summary.md")
	outputs := filepath.Join(tmp, "output")
	full := map[string]string{"GITHUB_STEP_SUMMARY": summary, "GITHUB_OUTPUT": outputs, "RUNNER_TEMP": tmp}
	for k, v := range env {
		full[k] = v
	}
	cmd := exec.Command("bash", actionScript(t, script))
	cmd.Dir = dir
	cmd.Env = actionEnv(tmp, full)
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	res := actionResult{code: code, log: string(out), outputs: map[string]string{}}
	if b, err := os.ReadFile(summary); err == nil {
		res.summary = string(b)
	}
	if b, err := os.ReadFile(outputs); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, "="); ok {
				res.outputs[k] = v
			}
		}
	}
	return res
}

// runScan runs scan.sh in the clone for an event, with the test's binary
// first on PATH.
func runActionScan(t *testing.T, clone, eventName string, event any, env map[string]string) actionResult {
	t.Helper()
	bin := achillesBinary(t)
	ev := filepath.Join(t.TempDir(), "event.json")
	b, _ := json.Marshal(event)
	if err := os.WriteFile(ev, b, 0o644); err != nil {
		t.Fatal(err)
	}
	full := map[string]string{
		"PATH":              filepath.Dir(bin) + string(os.PathListSeparator) + os.Getenv("PATH"),
		"GITHUB_EVENT_NAME": eventName, "GITHUB_EVENT_PATH": ev, "INPUT_FAIL_ON": "any",
	}
	for k, v := range env {
		full[k] = v
	}
	return runActionScript(t, "scan.sh", clone, full)
}

// actionRepos makes an origin (bare) and a working repository that pushes
// to it.
func actionRepos(t *testing.T) (origin string, dev *gitRepo) {
	t.Helper()
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	if _, err := exec.LookPath("jq"); err != nil {
		t.Skip("no jq (GitHub's runners have it)")
	}
	dev = newGitRepo(t)
	origin = filepath.Join(t.TempDir(), "origin.git")
	dev.run("git", "init", "-q", "--bare", "-b", "main", origin)
	dev.run("git", "remote", "add", "origin", origin)
	return origin, dev
}

func (r *gitRepo) actionCommit(path, content, msg string) string {
	r.t.Helper()
	r.write(path, content)
	r.run("git", "add", "-A")
	r.run("git", "commit", "-qm", msg)
	return strings.TrimSpace(r.run("git", "rev-parse", "HEAD"))
}

// clone makes the runner's checkout: a full clone of origin at branch.
func actionClone(t *testing.T, origin, branch string, extra ...string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "ci")
	r := &gitRepo{t: t, dir: filepath.Dir(dir)}
	// Through the transport (not a local copy of the object store), as the
	// runner's checkout fetches.
	r.run("git", append(append([]string{"clone", "-q", "--no-local", "--branch", branch}, extra...), origin, dir)...)
	return dir
}

var annotationRE = regexp.MustCompile(`(?m)^::error file=([^,]*),line=(\d+),col=(\d+),title=([^:]*)::(.*)$`)

// sarifResults reads path, startLine of each result of a SARIF file.
func actionSARIF(t *testing.T, file string) []string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Runs []struct {
			Results []struct {
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string }
						Region           struct{ StartLine int }
					}
				}
			}
		}
	}
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range s.Runs {
		for _, res := range r.Results {
			l := res.Locations[0].PhysicalLocation
			out = append(out, fmt.Sprintf("%s:%d", l.ArtifactLocation.URI, l.Region.StartLine))
		}
	}
	return out
}

func actionNoSecrets(t *testing.T, what, s string, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if strings.Contains(s, k) {
			t.Errorf("%s shows the secret %s unredacted:\n%s", what, k, s)
		}
	}
}

// A pull request: the base branch's old secret is not blamed on it, extra
// args keep the range (and reach achilles: --exit-code 3), the base commit
// missing from a single-branch clone is fetched, and the finding is in the
// log, an annotation (path escaped), the summary and the SARIF.
func TestActionPullRequest(t *testing.T) {
	origin, dev := actionRepos(t)
	dev.actionCommit("config/old.env", "AWS_KEY_ID="+keyBase+"\n", "base with an old key")
	dev.run("git", "checkout", "-q", "-b", "feature")
	dev.actionCommit("sec:ret,1.txt", "id = "+keyNew+"\n", "add a key")
	dev.actionCommit("sec:ret,1.txt", "a\nb\nc\nd\ne\nid = "+keyNew+"\n", "five lines above it")
	dev.run("git", "push", "-q", "origin", "feature")
	// main moves on after the fork: the event's base is its new tip, which
	// a clone of the PR branch alone lacks.
	dev.run("git", "checkout", "-q", "main")
	base := dev.actionCommit("config/main.env", "AWS_KEY_ID="+keyOther+"\n", "main moves on")
	dev.run("git", "push", "-q", "origin", "main")
	dev.run("git", "checkout", "-q", "feature")

	ci := actionClone(t, origin, "feature", "--single-branch")
	if _, code := (&gitRepo{t: t, dir: ci}).try("git", "cat-file", "-e", base+"^{commit}"); code == 0 {
		t.Fatal("setup: the single-branch clone has the base commit")
	}
	event := map[string]any{"pull_request": map[string]any{"base": map[string]any{"sha": base, "ref": "main"}}}
	res := runActionScan(t, ci, "pull_request", event, map[string]string{
		"GITHUB_BASE_REF": "main", "INPUT_SARIF": "achilles.sarif",
		"INPUT_ARGS": "--exit-code 3\n  --min-confidence   low ",
	})
	t.Log(res.log)
	if res.code != 3 {
		t.Fatalf("exit %d, want 3 (--exit-code 3 from args)", res.code)
	}
	if !strings.Contains(res.log, "--range "+base+"..HEAD") {
		t.Errorf("the PR's range is not scanned with extra args")
	}
	if strings.Contains(res.log, ".env") || strings.Contains(res.summary, ".env") {
		t.Errorf("the base branch's secret is blamed on the PR")
	}
	got := actionSARIF(t, filepath.Join(ci, "achilles.sarif"))
	if len(got) != 1 || !strings.HasPrefix(got[0], "./sec:ret,1.txt:") {
		t.Fatalf("SARIF results %v, want the one key of the PR", got)
	}
	line := got[0][strings.LastIndex(got[0], ":")+1:]
	// The log lists it (redacted); the annotation escapes ':' and ',' in
	// the file property and names the same line as the SARIF.
	if !regexp.MustCompile(`(?m)^  sec:ret,1\.txt:` + line + `:\d+  aws-access-key-id  high  AWS access key ID \(AK\*+\)`).MatchString(res.log) {
		t.Errorf("the log does not list the finding")
	}
	m := annotationRE.FindAllStringSubmatch(res.log, -1)
	if len(m) != 1 || m[0][1] != "sec%3Aret%2C1.txt" || m[0][2] != line || m[0][4] != "achilles%3A aws-access-key-id" {
		t.Errorf("annotations %q", m)
	}
	if !strings.Contains(res.summary, "### achilles: 1 finding\n") || !strings.Contains(res.summary, "| `aws-access-key-id` | sec:ret,1.txt:"+line+":") {
		t.Errorf("summary:\n%s", res.summary)
	}
	if res.outputs["findings"] != "1" || res.outputs["exit-code"] != "3" || res.outputs["sarif"] != "achilles.sarif" {
		t.Errorf("outputs %v", res.outputs)
	}
	actionNoSecrets(t, "the log", res.log, keyNew)
	actionNoSecrets(t, "the summary", res.summary, keyNew)
	if _, code := (&gitRepo{t: t, dir: ci}).try("git", "cat-file", "-e", base+"^{commit}"); code != 0 {
		t.Error("the base commit was not fetched")
	}

	// No finding: exit 0, the summary says so, no annotation.
	res = runActionScan(t, ci, "pull_request", map[string]any{"pull_request": map[string]any{"base": map[string]any{"sha": strings.TrimSpace(dev.run("git", "rev-parse", "HEAD"))}}},
		map[string]string{"GITHUB_BASE_REF": "main", "INPUT_SARIF": ""})
	if res.code != 0 || !strings.Contains(res.summary, "### achilles: 0 findings") || strings.Contains(res.log, "::error") {
		t.Errorf("an empty PR: exit %d\n%s\n%s", res.code, res.log, res.summary)
	}
}

// A push scans before..after: the key already on main before it is not
// reported.
func TestActionPush(t *testing.T) {
	origin, dev := actionRepos(t)
	before := dev.actionCommit("old.env", "K="+keyBase+"\n", "old")
	dev.run("git", "push", "-q", "origin", "main")
	after := dev.actionCommit("new|50%.env", "K="+keyNew+"\n", "new")
	dev.run("git", "push", "-q", "origin", "main")
	ci := actionClone(t, origin, "main")
	res := runActionScan(t, ci, "push", map[string]any{"before": before, "after": after},
		map[string]string{"GITHUB_REF": "refs/heads/main", "GITHUB_SHA": after, "INPUT_SARIF": ""})
	t.Log(res.log)
	if res.code != 1 {
		t.Fatalf("exit %d, want 1", res.code)
	}
	if !strings.Contains(res.log, "--range "+before+".."+after) {
		t.Error("before..after is not the range")
	}
	// The SARIF's percent-encoded uri is the path again: '%' escaped for
	// the annotation, '|' for the summary's table.
	if m := annotationRE.FindAllStringSubmatch(res.log, -1); len(m) != 1 || m[0][1] != "new|50%25.env" {
		t.Errorf("annotations %q, want new|50%%25.env only", m)
	}
	if !strings.Contains(res.log, "\n  new|50%.env:1:3  aws-access-key-id") || !strings.Contains(res.summary, "| new&#124;50%.env:1:3 |") {
		t.Errorf("log or summary path:\n%s", res.summary)
	}
	if res.outputs["sarif"] != "" || res.outputs["findings"] != "1" {
		t.Errorf("outputs %v", res.outputs)
	}

	// fail-on live: the key is not verified live (no provider answers
	// here), so the job passes, and the finding is still in the log.
	res = runActionScan(t, ci, "push", map[string]any{"before": before, "after": after},
		map[string]string{"GITHUB_REF": "refs/heads/main", "INPUT_SARIF": "", "INPUT_FAIL_ON": "live", "INPUT_ARGS": "--verify-timeout 2s"})
	if res.code != 0 || !strings.Contains(res.log, "--fail-on live") || len(annotationRE.FindAllString(res.log, -1)) != 1 {
		t.Errorf("fail-on live: exit %d\n%s", res.code, res.log)
	}

	// args are words, never shell: no expansion, no globbing, no command.
	res = runActionScan(t, ci, "push", map[string]any{"before": before, "after": after},
		map[string]string{"GITHUB_REF": "refs/heads/main", "INPUT_SARIF": "", "INPUT_ARGS": `--baseline $HOME/*.json;touch${IFS}pwned`})
	t.Log(res.log)
	if res.code != 2 || !strings.Contains(res.log, `--baseline \$HOME/\*.json\;touch\$\{IFS\}pwned`) {
		t.Errorf("args: exit %d, want 2 (a usage error for that literal baseline path)", res.code)
	}
	if _, err := os.Stat(filepath.Join(ci, "pwned")); err == nil {
		t.Error("args ran a command")
	}
}

// A force push whose before is gone from origin too (never exit 2, never
// the full history: the pushed commits on no other branch); a new branch
// (before all zeros) likewise; and a push of commits another branch
// already has scans HEAD's last commit, with a notice.
func TestActionForcePush(t *testing.T) {
	origin, dev := actionRepos(t)
	dev.actionCommit("README", "hi\n", "root")
	dev.actionCommit("base.env", "K="+keyBase+"\n", "base")
	dev.run("git", "push", "-q", "origin", "main")
	dev.run("git", "checkout", "-q", "-b", "other")
	dev.actionCommit("other.env", "K="+keyOther+"\n", "other")
	dev.run("git", "push", "-q", "origin", "other")
	dev.run("git", "checkout", "-q", "-b", "feature", "main")
	gone := dev.actionCommit("gone.env", "K="+keyGone+"\n", "dropped by the force push")
	dev.run("git", "push", "-q", "origin", "feature")
	dev.run("git", "reset", "-q", "--hard", "main")
	dev.actionCommit("x.txt", "x\n", "rewritten 1")
	after := dev.actionCommit("new.env", "K="+keyNew+"\n", "rewritten 2")
	dev.run("git", "push", "-q", "-f", "origin", "feature")
	// Before a gc, origin still holds the dropped commit: the clone lacks
	// it, and the script fetches it.
	fetched := actionClone(t, origin, "feature")
	og := &gitRepo{t: t, dir: origin}
	if _, code := (&gitRepo{t: t, dir: fetched}).try("git", "cat-file", "-e", gone+"^{commit}"); code == 0 {
		t.Fatal("setup: the clone has the dropped commit")
	}
	res := runActionScan(t, fetched, "push", map[string]any{"before": gone, "after": after, "forced": true},
		map[string]string{"GITHUB_REF": "refs/heads/feature", "INPUT_SARIF": ""})
	t.Log(res.log)
	if res.code != 1 || !strings.Contains(res.log, "--range "+gone+".."+after) {
		t.Errorf("the dropped commit was not fetched as the range's base: exit %d", res.code)
	}
	if m := annotationRE.FindAllStringSubmatch(res.log, -1); len(m) != 1 || m[0][1] != "new.env" {
		t.Errorf("annotations %q", m)
	}
	// Then it leaves origin for good.
	og.run("git", "reflog", "expire", "--expire=now", "--all")
	og.run("git", "gc", "-q", "--prune=now")
	if _, code := og.try("git", "cat-file", "-e", gone+"^{commit}"); code == 0 {
		t.Fatal("setup: origin still has the dropped commit")
	}
	ci := actionClone(t, origin, "feature")
	env := map[string]string{"GITHUB_REF": "refs/heads/feature", "GITHUB_SHA": after, "INPUT_SARIF": "out.sarif"}

	check := func(t *testing.T, res actionResult, notice string) {
		t.Helper()
		t.Log(res.log)
		if res.code != 1 {
			t.Fatalf("exit %d, want 1", res.code)
		}
		if !strings.Contains(res.log, "::notice title=achilles::"+notice) {
			t.Errorf("no notice %q", notice)
		}
		got := actionSARIF(t, filepath.Join(ci, "out.sarif"))
		if len(got) != 1 || got[0] != "new.env:1" {
			t.Errorf("SARIF results %v, want new.env:1 only (not the base's, the other branch's or the dropped commit's)", got)
		}
		if m := annotationRE.FindAllStringSubmatch(res.log, -1); len(m) != 1 || m[0][1] != "new.env" {
			t.Errorf("annotations %q", m)
		}
	}
	t.Run("before missing", func(t *testing.T) {
		res := runActionScan(t, ci, "push", map[string]any{"before": gone, "after": after, "forced": true}, env)
		check(t, res, "the push's previous tip "+gone[:12]+" is not in the clone (a force push?); scanning the 2 pushed commits")
	})
	t.Run("new branch", func(t *testing.T) {
		res := runActionScan(t, ci, "push", map[string]any{"before": strings.Repeat("0", 40), "after": after, "created": true}, env)
		check(t, res, "a new branch or tag; scanning the 2 pushed commits")
	})
	t.Run("new branch merging two others", func(t *testing.T) {
		// Two boundaries (feature's and other's tips): only the merge and
		// the commit after it are the push's.
		dev.run("git", "checkout", "-q", "-b", "both", "feature")
		dev.run("git", "merge", "-q", "--no-edit", "other")
		tip := dev.actionCommit("both.env", "K="+keyGone+"\n", "after the merge")
		dev.run("git", "push", "-q", "origin", "both")
		ci3 := actionClone(t, origin, "both")
		res := runActionScan(t, ci3, "push", map[string]any{"before": strings.Repeat("0", 40), "after": tip},
			map[string]string{"GITHUB_REF": "refs/heads/both", "INPUT_SARIF": ""})
		t.Log(res.log)
		if res.code != 1 || !strings.Contains(res.log, "scanning the 2 pushed commits") {
			t.Errorf("exit %d", res.code)
		}
		if m := annotationRE.FindAllStringSubmatch(res.log, -1); len(m) != 1 || m[0][1] != "both.env" {
			t.Errorf("annotations %q, want both.env only", m)
		}
	})
	t.Run("root commit already on another branch", func(t *testing.T) {
		// A repository of one commit: its files are scanned, not every
		// ref's history.
		o2, d2 := actionRepos(t)
		root := d2.actionCommit("root.env", "K="+keyBase+"\n", "only")
		d2.run("git", "push", "-q", "origin", "main", "main:copy")
		d2.run("git", "push", "-q", "origin", "main:other")
		ci4 := actionClone(t, o2, "copy")
		res := runActionScan(t, ci4, "push", map[string]any{"before": strings.Repeat("0", 40), "after": root},
			map[string]string{"GITHUB_REF": "refs/heads/copy", "INPUT_SARIF": ""})
		t.Log(res.log)
		if res.code != 1 || !strings.Contains(res.log, "scanning the only commit "+root[:12]+" (its files) only") || !strings.Contains(res.log, "achilles dir .") {
			t.Errorf("exit %d", res.code)
		}
		if m := annotationRE.FindAllStringSubmatch(res.log, -1); len(m) != 1 || m[0][1] != "root.env" {
			t.Errorf("annotations %q", m)
		}
	})
	t.Run("commits already on another branch", func(t *testing.T) {
		// main's tip pushed to a new branch: nothing is new; the last
		// commit is scanned (the base key is in it).
		mainTip := strings.TrimSpace(og.run("git", "rev-parse", "main"))
		og.run("git", "branch", "copy", mainTip)
		ci2 := actionClone(t, origin, "copy")
		res := runActionScan(t, ci2, "push", map[string]any{"before": strings.Repeat("0", 40), "after": mainTip},
			map[string]string{"GITHUB_REF": "refs/heads/copy", "INPUT_SARIF": ""})
		t.Log(res.log)
		if res.code != 1 || !strings.Contains(res.log, "is on another branch; scanning HEAD's last commit") {
			t.Errorf("exit %d", res.code)
		}
		if m := annotationRE.FindAllStringSubmatch(res.log, -1); len(m) != 1 || m[0][1] != "base.env" {
			t.Errorf("annotations %q", m)
		}
	})
}

// A release archive for this machine, its checksums file, and a loopback
// server for them.
type releaseServer struct {
	*httptest.Server
	mu       sync.Mutex
	requests []string
}

func serveActionRelease(t *testing.T, tag string, corrupt bool) *releaseServer {
	t.Helper()
	bin := achillesBinary(t)
	version := strings.TrimPrefix(tag, "v")
	name := fmt.Sprintf("achilles_%s_%s_%s.tar.gz", version, runtime.GOOS, runtime.GOARCH)
	archive := filepath.Join(t.TempDir(), name)
	f, err := os.Create(archive)
	if err != nil {
		t.Fatal(err)
	}
	gz := gzip.NewWriter(f)
	tw := tar.NewWriter(gz)
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range []struct {
		name string
		mode int64
		data []byte
	}{{"README.md", 0o644, []byte("readme\n")}, {"achilles", 0o755, data}} {
		tw.WriteHeader(&tar.Header{Name: e.name, Mode: e.mode, Size: int64(len(e.data)), Typeflag: tar.TypeReg})
		tw.Write(e.data)
	}
	tw.Close()
	gz.Close()
	f.Close()
	body, _ := os.ReadFile(archive)
	sum := sha256.Sum256(body)
	hexSum := hex.EncodeToString(sum[:])
	if corrupt {
		hexSum = strings.Repeat("0", 64)
	}
	sums := fmt.Sprintf("%s  achilles_%s_windows_amd64.zip\n%s  %s\n", strings.Repeat("1", 64), version, hexSum, name)
	rs := &releaseServer{}
	rs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rs.mu.Lock()
		rs.requests = append(rs.requests, r.URL.Path)
		rs.mu.Unlock()
		switch r.URL.Path {
		case "/download/" + tag + "/checksums.txt":
			w.Write([]byte(sums))
		case "/download/" + tag + "/" + name:
			w.Write(body)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(rs.Close)
	return rs
}

func actionRunnerOS(t *testing.T) (string, string) {
	os := map[string]string{"linux": "Linux", "darwin": "macOS", "windows": "Windows"}[runtime.GOOS]
	arch := map[string]string{"amd64": "X64", "arm64": "ARM64"}[runtime.GOARCH]
	if os == "" || arch == "" {
		t.Skipf("no release for %s/%s", runtime.GOOS, runtime.GOARCH)
	}
	return os, arch
}

func actionInstallEnv(t *testing.T, ref, url string) map[string]string {
	osName, arch := actionRunnerOS(t)
	return map[string]string{"RUNNER_OS": osName, "RUNNER_ARCH": arch, "ACTION_REF": ref,
		"ACHILLES_RELEASES_URL": url, "ACHILLES_GIT_URL": filepath.Join(t.TempDir(), "none.git"),
		// A source that cannot build: a download that fails must not be
		// hidden by the fallback.
		"ACTION_PATH": t.TempDir()}
}

// The action's release tag installs that release's binary, checked
// against its checksums.txt; a moving tag (v9) finds its release through
// the tags; a checksum that does not match is refused.
func TestActionInstallRelease(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("no curl")
	}
	t.Run("release tag", func(t *testing.T) {
		srv := serveActionRelease(t, "v9.9.9", false)
		res := runActionScript(t, "install.sh", t.TempDir(), actionInstallEnv(t, "v9.9.9", srv.URL))
		t.Log(res.log)
		if res.code != 0 {
			t.Fatalf("exit %d", res.code)
		}
		bin := res.outputs["path"]
		if out, err := exec.Command(bin, "version").CombinedOutput(); err != nil || !strings.HasPrefix(string(out), "achilles ") {
			t.Fatalf("installed %q: %v %s", bin, err, out)
		}
		if !strings.Contains(res.log, "checked against v9.9.9's checksums.txt") {
			t.Error("no word of the checksum")
		}
		if len(srv.requests) != 2 {
			t.Errorf("requests %v", srv.requests)
		}
	})
	t.Run("moving tag", func(t *testing.T) {
		srv := serveActionRelease(t, "v9.9.9", false)
		tags := newGitRepo(t)
		tags.actionCommit("a", "a\n", "release")
		tags.run("git", "tag", "-a", "-m", "v9.9.9", "v9.9.9")
		tags.run("git", "tag", "v9.9.8", "HEAD")
		tags.actionCommit("b", "b\n", "later")
		tags.run("git", "tag", "v9.9.7")
		tags.run("git", "tag", "-f", "v9", "v9.9.9^{commit}")
		env := actionInstallEnv(t, "v9", srv.URL)
		env["ACHILLES_GIT_URL"] = tags.dir
		res := runActionScript(t, "install.sh", t.TempDir(), env)
		t.Log(res.log)
		if res.code != 0 || res.outputs["path"] == "" || !strings.Contains(res.log, "checked against v9.9.9's") {
			t.Fatalf("exit %d, outputs %v", res.code, res.outputs)
		}
	})
	t.Run("ref from the action's folder", func(t *testing.T) {
		// github.action_ref left empty: the runner's folder names the ref.
		srv := serveActionRelease(t, "v9.9.9", false)
		env := actionInstallEnv(t, "", srv.URL)
		env["ACTION_PATH"] = filepath.Join(t.TempDir(), "_actions", "achilles-sec", "achilles", "v9.9.9")
		os.MkdirAll(env["ACTION_PATH"], 0o755)
		res := runActionScript(t, "install.sh", t.TempDir(), env)
		t.Log(res.log)
		if res.code != 0 || res.outputs["path"] == "" || !strings.Contains(res.log, "checked against v9.9.9's") {
			t.Fatalf("exit %d, outputs %v", res.code, res.outputs)
		}
	})
	t.Run("wrong checksum", func(t *testing.T) {
		srv := serveActionRelease(t, "v9.9.9", true)
		res := runActionScript(t, "install.sh", t.TempDir(), actionInstallEnv(t, "v9.9.9", srv.URL))
		t.Log(res.log)
		if res.code == 0 || res.outputs["path"] != "" {
			t.Fatalf("a corrupt archive was installed: exit %d, outputs %v", res.code, res.outputs)
		}
		if !strings.Contains(res.log, "::error title=achilles install::refusing achilles_9.9.9_") {
			t.Error("no refusal in the log")
		}
	})
}

// A branch ref (no release) builds the action's own source with the Go
// on PATH, stamped with the ref, without a download.
func TestActionInstallBuildsOwnRef(t *testing.T) {
	if testing.Short() {
		t.Skip("builds achilles")
	}
	root, err := filepath.Abs(filepath.Join("..", "..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	srv := serveActionRelease(t, "v9.9.9", false)
	env := actionInstallEnv(t, "main", srv.URL)
	env["ACTION_PATH"] = root
	env["GOOS"] = "plan9" // the caller's cross-compiling settings do not leak in
	env["GOFLAGS"] = "-mod=vendor"
	// The test's own caches (HOME is a temporary folder here): compiled
	// packages are reused, and nothing is downloaded.
	for _, v := range []string{"GOCACHE", "GOMODCACHE", "GOPROXY"} {
		out, err := exec.Command("go", "env", v).Output()
		if err != nil {
			t.Fatal(err)
		}
		env[v] = strings.TrimSpace(string(out))
	}
	res := runActionScript(t, "install.sh", t.TempDir(), env)
	t.Log(res.log)
	if res.code != 0 {
		t.Fatalf("exit %d", res.code)
	}
	if len(srv.requests) != 0 {
		t.Errorf("a branch ref downloaded %v", srv.requests)
	}
	out, err := exec.Command(res.outputs["path"], "version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "achilles main") {
		t.Errorf("version %q %v, want achilles main", out, err)
	}
	if !strings.HasPrefix(res.outputs["version"], "achilles main") {
		t.Errorf("outputs %v", res.outputs)
	}
}
