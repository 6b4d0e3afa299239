package scanner

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/achilles-sec/achilles/detectors"
	"github.com/achilles-sec/achilles/rules"
)

// Secrets used across the tests; each is valid for testdata/rules/test.toml.
const (
	tokA = "tok_Q2x9LmP4vR7sT1uW3yZ5aB8c"
	tokB = "tok_H7k2Lm9pR4sT1uW3yZ5aB8cd"
	tokC = "tok_Z1y2X3w4V5u6T7s8R9q0P1o2"
)

func testEngine(t testing.TB) *detectors.Engine {
	t.Helper()
	cfg, err := rules.LoadFile("../testdata/rules/test.toml")
	if err != nil {
		t.Fatal(err)
	}
	return detectors.New(cfg)
}

// warnings collects what a scan warned about.
type warnings struct {
	mu   sync.Mutex
	msgs []string
}

func (w *warnings) add(err error) {
	w.mu.Lock()
	w.msgs = append(w.msgs, err.Error())
	w.mu.Unlock()
}

func (w *warnings) joined() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.Join(w.msgs, "\n")
}

func testOptions(t testing.TB, w *warnings) Options {
	return Options{Engine: testEngine(t), Jobs: 2, Warn: w.add}
}

// repo is a real git repository in a temporary folder, driven by the git
// binary with fixed identities and dates so hashes are stable.
type repo struct {
	t    testing.TB
	dir  string
	tick int
}

func newRepo(t testing.TB) *repo {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git binary not found")
	}
	r := &repo{t: t, dir: t.TempDir()}
	r.git("init", "-q", "-b", "main")
	return r
}

func (r *repo) git(args ...string) string {
	r.t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = r.dir
	date := fmt.Sprintf("2024-01-%02dT10:00:00Z", 1+r.tick%28)
	cmd.Env = append(os.Environ(),
		"GIT_AUTHOR_NAME=Ada Author", "GIT_AUTHOR_EMAIL=ada@example.com",
		"GIT_COMMITTER_NAME=Ada Author", "GIT_COMMITTER_EMAIL=ada@example.com",
		"GIT_AUTHOR_DATE="+date, "GIT_COMMITTER_DATE="+date,
		"GIT_CONFIG_NOSYSTEM=1", "HOME="+r.dir,
	)
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func (r *repo) write(path, content string) {
	r.t.Helper()
	full := filepath.Join(r.dir, path)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
		r.t.Fatal(err)
	}
}

// commit stages everything and commits; returns the commit hash.
func (r *repo) commit(msg string) string {
	r.t.Helper()
	r.tick++
	r.git("add", "-A")
	r.git("commit", "-q", "--allow-empty", "-m", msg)
	return r.git("rev-parse", "HEAD")
}

func scanGitBoth(t *testing.T, dir string) map[string]*Result {
	t.Helper()
	out := map[string]*Result{}
	for _, backend := range []string{"git", "go-git"} {
		var w warnings
		res, err := ScanGit(context.Background(), testOptions(t, &w), GitOptions{Backend: backend}, dir)
		if err != nil {
			t.Fatalf("%s: %v", backend, err)
		}
		out[backend] = res
	}
	return out
}

type detectorsMatch = detectors.Match
