package cli

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/achilles-sec/achilles/scanner/finding"
	"github.com/achilles-sec/achilles/scanner/hosted/gitlab/gitlabtest"
	"github.com/achilles-sec/achilles/scanner/sweep/store"
)

// wikiBareRepo makes root/name.git as a wiki is kept: Home.md written
// with an AWS key id line in a first commit and rewritten without it in a
// second, so the key is only in history. It returns the first commit.
func wikiBareRepo(t *testing.T, root, name, key string) string {
	t.Helper()
	work := t.TempDir()
	env := append(os.Environ(), "GIT_AUTHOR_NAME=Wiki Writer", "GIT_AUTHOR_EMAIL=wiki@example.com", "GIT_COMMITTER_NAME=Wiki Writer",
		"GIT_COMMITTER_EMAIL=wiki@example.com", "GIT_CONFIG_NOSYSTEM=1", "HOME="+work)
	git := func(dir string, args ...string) string {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir, cmd.Env = dir, env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	git(work, "init", "-q", "-b", "master")
	write := func(text string) {
		if err := os.WriteFile(filepath.Join(work, "Home.md"), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("# Deploy\n\naws_access_key_id = " + key + "\n")
	git(work, "add", ".")
	git(work, "commit", "-q", "-m", "Created Home (markdown)")
	first := git(work, "rev-parse", "HEAD")
	write("# Deploy\n\nAsk the platform team for a key.\n")
	git(work, "commit", "-q", "-am", "Updated Home (markdown)")
	bare := filepath.Join(root, name+".git")
	if err := os.MkdirAll(filepath.Dir(bare), 0o755); err != nil {
		t.Fatal(err)
	}
	git(work, "clone", "-q", "--bare", work, bare)
	return first
}

// wikiGit serves git http-backend over root and counts the requests for
// each of the repositories it was made with (their paths end in ".git").
type wikiGit struct {
	backend http.Handler
	counts  map[string]*atomic.Int64 // read-only after newWikiGit
}

func newWikiGit(t *testing.T, root string, repos ...string) *wikiGit {
	backend := sweepBackend(t, root)
	if h, ok := backend.(*cgi.Handler); ok {
		h.Stderr = io.Discard // http-backend's "Not a git repository" for the missing wikis
	}
	g := &wikiGit{backend: backend, counts: map[string]*atomic.Int64{}}
	for _, r := range repos {
		g.counts[r] = &atomic.Int64{}
	}
	return g
}

func (g *wikiGit) hits(repo string) int64 { return g.counts[repo].Load() }

func (g *wikiGit) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if repo, _, ok := strings.Cut(r.URL.Path, ".git/"); ok {
		if n := g.counts[strings.TrimPrefix(repo, "/")+".git"]; n != nil {
			n.Add(1)
		}
	}
	g.backend.ServeHTTP(w, r)
}

// sweep --include wikis sweeps each listed repository's wiki as a git
// repository of its own (HOST/OWNER/NAME.wiki): a key in an old commit of
// a wiki page is found there with its commit; a repository whose wiki was
// never written (the server answers not found) is recorded as missing,
// not failed, and the sweep succeeds; one the listing says has no wiki
// is not asked for it.
func TestSweepIncludeWikis(t *testing.T) {
	const appKey, wikiKey, noWikiKey, offKey = "AKIAZ3MSJV4WQPTHKR7H", "AKIAZ3MSJV4WQPTHKR7J", "AKIAZ3MSJV4WQPTHKR7K", "AKIAZ3MSJV4WQPTHKR7L"
	root := t.TempDir()
	sweepBareRepo(t, root, "acme/app", appKey)
	first := wikiBareRepo(t, root, "acme/app.wiki", wikiKey)
	sweepBareRepo(t, root, "acme/nowiki", noWikiKey)
	sweepBareRepo(t, root, "acme/off", offKey)
	git := newWikiGit(t, root, "acme/app.wiki.git", "acme/nowiki.wiki.git", "acme/off.wiki.git")
	mux := http.NewServeMux()
	mux.HandleFunc("/orgs/acme/repos", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		base := "http://" + r.Host
		fmt.Fprintf(w, `[{"full_name":"acme/app","clone_url":"%[1]s/acme/app.git","has_wiki":true},
			{"full_name":"acme/nowiki","clone_url":"%[1]s/acme/nowiki.git","has_wiki":true},
			{"full_name":"acme/off","clone_url":"%[1]s/acme/off.git","has_wiki":false}]`, base)
	})
	mux.Handle("/", git)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")

	dir := t.TempDir()
	env := append(os.Environ(), "ACHILLES_CONFIG=", "GITHUB_TOKEN="+ghTestToken, "HOME="+dir)
	db := filepath.Join(dir, "sweep.db")
	args := []string{"sweep", "--github-org", "acme", "--github-api-url", srv.URL, "--include", "wikis", "--db", db,
		"--cache", filepath.Join(dir, "cache"), "--no-progress"}
	r := execAchilles(t, dir, env, "", args...)
	if r.code != ExitFindings || strings.Contains(r.stderr, "will be retried") || !strings.Contains(r.stderr, "1 repository without a wiki") {
		t.Fatalf("sweep: exit %d, want %d with one wiki missing and no failure\n%s", r.code, ExitFindings, r.stderr)
	}
	if strings.Contains(r.stderr, ghTestToken) {
		t.Fatalf("stderr shows the token:\n%s", r.stderr)
	}
	if n := git.hits("acme/off.wiki.git"); n != 0 {
		t.Errorf("the wiki of a repository listed without one was asked for %d times", n)
	}
	if git.hits("acme/app.wiki.git") == 0 || git.hits("acme/nowiki.wiki.git") == 0 {
		t.Fatal("the wikis were not fetched")
	}

	rep := execAchilles(t, dir, env, "", "report", "--db", db, "-f", "json", "--no-redact")
	found := map[string]finding.Finding{}
	for _, f := range decodeFindings(t, rep) {
		found[f.Secret] = f
	}
	f, ok := found[wikiKey]
	if !ok || f.Kind != finding.KindGit || f.Path != host+"/acme/app.wiki/Home.md" || f.Git == nil || f.Git.Commit != first {
		t.Fatalf("the wiki's key is stored as %+v %+v (%v), want Home.md of %s/acme/app.wiki at %s", f, f.Git, ok, host, first)
	}
	if present, known := f.StillPresent(); !known || present {
		t.Errorf("the wiki's key: still present %v (known %v), want removed", present, known)
	}
	for _, k := range []string{appKey, noWikiKey, offKey} {
		if _, ok := found[k]; !ok {
			t.Errorf("the history key %s was not stored", k)
		}
	}

	st, err := store.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	states := map[string]store.Repo{}
	repos, err := st.Repos(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, rp := range repos {
		states[rp.Key] = rp
	}
	if w := states[host+"/acme/app.wiki"]; w.Status != store.StatusDone || w.URL != srv.URL+"/acme/app.wiki.git" {
		t.Errorf("the wiki is stored as %+v", w)
	}
	if w := states[host+"/acme/nowiki.wiki"]; w.Status != store.StatusMissing || !strings.Contains(w.Error, "no wiki") {
		t.Errorf("the missing wiki is stored as %+v, want missing with its reason", w)
	}
	if _, ok := states[host+"/acme/off.wiki"]; ok {
		t.Error("a repository listed without a wiki got a wiki target")
	}
	st.Close()

	// A rerun: the unchanged wiki is skipped, the missing one asked again.
	before := git.hits("acme/nowiki.wiki.git")
	r = execAchilles(t, dir, env, "", args...)
	if r.code != ExitFindings || strings.Contains(r.stderr, "will be retried") {
		t.Fatalf("rerun: exit %d\n%s", r.code, r.stderr)
	}
	if git.hits("acme/nowiki.wiki.git") == before {
		t.Error("the missing wiki was not asked for again")
	}
}

// `achilles github --include issues,wikis` scans the repository's items and
// its wiki's history (a temporary clone from the API's clone host) into one
// report; the wiki's findings are git findings whose repository is the
// wiki. Without a wiki on the server, the items are still reported.
func TestGitHubIncludeWikis(t *testing.T) {
	keys := []string{"AKIAZ3MSJV4WQPTHKR7A", "AKIAZ3MSJV4WQPTHKR7B", "AKIAZ3MSJV4WQPTHKR7C", "AKIAZ3MSJV4WQPTHKR7D",
		"AKIAZ3MSJV4WQPTHKR7E", "AKIAZ3MSJV4WQPTHKR7F"}
	const wikiKey = "AKIAZ3MSJV4WQPTHKR7M"
	root := t.TempDir()
	first := wikiBareRepo(t, root, "acme/app.wiki", wikiKey)
	g := &fakeGitHub{keys: keys}
	g.limited.Store(true) // no rate limit here
	git := newWikiGit(t, root, "acme/app.wiki.git")
	mux := http.NewServeMux()
	mux.Handle("/acme/", git)
	mux.Handle("/", g)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	env := append(os.Environ(), "ACHILLES_CONFIG=", "GITHUB_TOKEN="+ghTestToken)
	tmp := t.TempDir()
	env = append(env, "TMPDIR="+tmp)
	r := execAchilles(t, t.TempDir(), env, "", "github", "acme/app", "--api-url", srv.URL, "--include", "issues,wikis", "-f", "json", "--no-progress")
	if r.code != ExitFindings {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	got := map[string]finding.Finding{}
	for _, f := range decodeFindings(t, r) {
		got[f.Secret] = f
	}
	w, ok := got[wikiKey]
	if !ok || w.Kind != finding.KindGit || w.Path != "Home.md" || w.Git == nil || w.Git.Commit != first || w.Git.Repository != srv.URL+"/acme/app.wiki.git" {
		t.Fatalf("the wiki's key: %+v %+v (%v), want Home.md at %s in %s/acme/app.wiki.git\n%s", w, w.Git, ok, first, srv.URL, r.stderr)
	}
	if is, ok := got[keys[0]]; !ok || is.Kind != finding.KindItem || is.Item == nil || is.Item.Type != "issue" {
		t.Fatalf("the issue's key: %+v (%v)", is, ok)
	}
	if left := leftovers(t, tmp); len(left) != 0 {
		t.Errorf("the wiki's temporary clone was left behind: %v", left)
	}

	// A repository whose wiki was never written: the items alone, exit 1.
	if err := os.RemoveAll(filepath.Join(root, "acme")); err != nil {
		t.Fatal(err)
	}
	r = execAchilles(t, t.TempDir(), env, "", "github", "acme/app", "--api-url", srv.URL, "--include", "issues,wikis", "-f", "json", "--no-progress")
	if r.code != ExitFindings || !strings.Contains(r.stderr, "no wiki") {
		t.Fatalf("without a wiki: exit %d\n%s", r.code, r.stderr)
	}
	if fs := decodeFindings(t, r); len(fs) == 0 {
		t.Fatal("without a wiki the items were not reported")
	}
	// One pull request with --include wikis is a usage error.
	r = execAchilles(t, t.TempDir(), env, "", "github", "acme/app/pull/2", "--api-url", srv.URL, "--include", "wikis", "--no-progress")
	if r.code != 2 || !strings.Contains(r.stderr, "wikis") {
		t.Fatalf("one pull request with wikis: exit %d\n%s", r.code, r.stderr)
	}
}

// `achilles gitlab --include wikis` clones the project's wiki from the
// instance of the API (group/proj.wiki.git) and reports its history alone.
func TestGitLabIncludeWikis(t *testing.T) {
	const wikiKey = "AKIAZ3MSJV4WQPTHKR7N"
	fake := gitlabtest.New(t)
	root := t.TempDir()
	first := wikiBareRepo(t, root, gitlabtest.Project+".wiki", wikiKey)
	backend := sweepBackend(t, root)
	fake.Configure(func(s *gitlabtest.Server) { s.RateLimitOnce, s.Git = false, backend })
	r := execAchilles(t, t.TempDir(), gitlabEnv(gitlabtest.Token), "", "gitlab", "-f", "json", "--no-progress",
		"--api-url", fake.URL+"/api/v4", "--token-env", "ACH_GL_TOKEN", "--include", "wikis", gitlabtest.Project)
	if r.code != ExitFindings {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	fs := decodeFindings(t, r)
	if len(fs) != 1 || fs[0].Secret != wikiKey || fs[0].Git == nil || fs[0].Git.Commit != first ||
		fs[0].Git.Repository != fake.URL+"/group/proj.wiki.git" {
		t.Fatalf("findings %+v, want only the wiki's key at %s", fs, first)
	}
	if requests, _, _ := fake.Recorded(); len(requests) != 0 {
		t.Errorf("--include wikis alone asked the API %v", requests)
	}
}

// noWiki answers git's requests for a wiki as GitHub does for one never
// written (404, "Repository not found."), and the rest with next.
func noWiki(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, ".wiki.git/") {
			http.Error(w, "Repository not found.", http.StatusNotFound)
			return
		}
		next.ServeHTTP(w, r)
	})
}
