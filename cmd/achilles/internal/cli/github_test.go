package cli

import (
	"archive/zip"
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/achilles-sec/achilles/scanner/finding"
)

// fakeGitHub answers the REST endpoints `achilles github` reads, in the
// shapes GitHub documents, for repository acme/app: two pages of issues
// (an issue with a comment, then a pull request with a review comment and
// a review), a release, and one completed Actions run whose log archive
// is a redirect to a storage server. The second issues page is first
// refused by a rate limit. Every API request must carry the token.
type fakeGitHub struct {
	keys      []string
	storage   string
	limited   atomic.Bool
	noToken   atomic.Int64
	sawLogReq atomic.Bool
}

const ghTestToken = "ghs_fakeTokenForTheLoopbackAPI"

func (g *fakeGitHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+ghTestToken {
		g.noToken.Add(1)
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"message":"Bad credentials"}`)
		return
	}
	base := "http://" + r.Host
	web := "https://github.example/acme/app"
	w.Header().Set("Content-Type", "application/json")
	switch r.URL.Path {
	case "/repos/acme/app":
		fmt.Fprintf(w, `{"full_name":"acme/app","html_url":%q}`, web)
	case "/repos/acme/app/issues/2":
		fmt.Fprintf(w, `{"number":2,"title":"Add deploy","body":"deploy with %s","html_url":%q,"user":{"login":"bob"},
			"updated_at":"2026-02-02T10:00:00Z","comments":0,"pull_request":{"url":"%s/repos/acme/app/pulls/2"}}`, g.keys[1], web+"/pull/2", base)
	case "/repos/acme/app/issues":
		if r.URL.Query().Get("page") == "2" {
			if !g.limited.Swap(true) {
				w.Header().Set("X-RateLimit-Remaining", "0")
				w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(time.Now().Unix(), 10))
				w.WriteHeader(http.StatusForbidden)
				fmt.Fprint(w, `{"message":"API rate limit exceeded"}`)
				return
			}
			fmt.Fprintf(w, `[{"number":2,"title":"Add deploy","body":"deploy with %s","html_url":%q,"user":{"login":"bob"},
				"updated_at":"2026-02-02T10:00:00Z","comments":0,"pull_request":{"url":"%s/repos/acme/app/pulls/2"}}]`, g.keys[1], web+"/pull/2", base)
			return
		}
		w.Header().Set("Link", fmt.Sprintf(`<%s/repos/acme/app/issues?state=all&per_page=100&page=2>; rel="next"`, base))
		fmt.Fprintf(w, `[{"number":1,"title":"Login fails","body":"my config: aws_access_key_id = %s","html_url":%q,
			"user":{"login":"alice"},"updated_at":"2026-01-01T09:00:00Z","comments":1}]`, g.keys[0], web+"/issues/1")
	case "/repos/acme/app/issues/1/comments":
		fmt.Fprintf(w, `[{"body":"try mine: %s","html_url":%q,"user":{"login":"carol"},"updated_at":"2026-01-01T09:30:00Z"}]`,
			g.keys[2], web+"/issues/1#issuecomment-11")
	case "/repos/acme/app/pulls/2/comments":
		fmt.Fprintf(w, `[{"body":"hard-coded %s here","html_url":%q,"user":{"login":"dave"},"updated_at":"2026-02-02T11:00:00Z"}]`,
			g.keys[3], web+"/pull/2#discussion_r21")
	case "/repos/acme/app/pulls/2/reviews":
		fmt.Fprintf(w, `[{"body":"LGTM","html_url":%q,"user":{"login":"erin"},"submitted_at":"2026-02-02T12:00:00Z"}]`, web+"/pull/2#pullrequestreview-31")
	case "/repos/acme/app/releases":
		fmt.Fprintf(w, `[{"name":"v1.0","tag_name":"v1.0","body":"smoke test key %s","html_url":%q,"author":{"login":"frank"},
			"published_at":"2026-03-03T00:00:00Z"}]`, g.keys[4], web+"/releases/tag/v1.0")
	case "/repos/acme/app/actions/runs":
		fmt.Fprintf(w, `{"total_count":2,"workflow_runs":[{"id":7,"status":"completed","html_url":%q,"actor":{"login":"grace"},
			"created_at":"2026-04-04T00:00:00Z","updated_at":"2026-04-04T00:05:00Z"},{"id":8,"status":"in_progress","html_url":%q,
			"actor":{"login":"grace"},"created_at":"2026-04-05T00:00:00Z"}]}`, web+"/actions/runs/7", web+"/actions/runs/8")
	case "/repos/acme/app/actions/runs/7/logs":
		g.sawLogReq.Store(true)
		http.Redirect(w, r, g.storage+"/logs/7.zip?sig=abc", http.StatusFound)
	default:
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"message":"Not Found"}`)
	}
}

func logArchive(t *testing.T, key string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	f, err := zw.Create("build/3_Run tests.txt")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(f, "2026-04-04T00:01:00.0000000Z export AWS_ACCESS_KEY_ID=%s\n2026-04-04T00:01:01.0000000Z ok\n", key)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestGitHubItemsEndToEnd(t *testing.T) {
	keys := []string{"AKIAZ3MSJV4WQPTHKR7A", "AKIAZ3MSJV4WQPTHKR7B", "AKIAZ3MSJV4WQPTHKR7C", "AKIAZ3MSJV4WQPTHKR7D",
		"AKIAZ3MSJV4WQPTHKR7E", "AKIAZ3MSJV4WQPTHKR7F"}
	archive := logArchive(t, keys[5])
	var storageSawToken atomic.Bool
	storage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(fmt.Sprint(r.Header), ghTestToken) {
			storageSawToken.Store(true)
		}
		w.Header().Set("Content-Type", "application/zip")
		w.Write(archive)
	}))
	defer storage.Close()
	g := &fakeGitHub{keys: keys, storage: storage.URL}
	api := httptest.NewServer(g)
	defer api.Close()
	env := append(os.Environ(), "ACHILLES_CONFIG=", "GITHUB_TOKEN="+ghTestToken)
	r := execAchilles(t, t.TempDir(), env, "", "github", "acme/app", "--api-url", api.URL, "--include", "all", "-f", "json", "--no-progress")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", r.code, r.stderr)
	}
	if !g.limited.Load() || !strings.Contains(r.stderr, "waiting") {
		t.Fatalf("the rate limit was not waited out:\n%s", r.stderr)
	}
	if storageSawToken.Load() {
		t.Fatal("the storage host received the token")
	}
	if g.noToken.Load() != 0 {
		t.Fatalf("%d API requests without the token", g.noToken.Load())
	}
	want := map[string]finding.ItemOrigin{
		keys[0]: {Type: "issue", URL: "https://github.example/acme/app/issues/1", Author: "alice", Date: "2026-01-01T09:00:00Z"},
		keys[1]: {Type: "pull-request", URL: "https://github.example/acme/app/pull/2", Author: "bob", Date: "2026-02-02T10:00:00Z"},
		keys[2]: {Type: "issue-comment", URL: "https://github.example/acme/app/issues/1#issuecomment-11", Author: "carol", Date: "2026-01-01T09:30:00Z"},
		keys[3]: {Type: "review-comment", URL: "https://github.example/acme/app/pull/2#discussion_r21", Author: "dave", Date: "2026-02-02T11:00:00Z"},
		keys[4]: {Type: "release", URL: "https://github.example/acme/app/releases/tag/v1.0", Author: "frank", Date: "2026-03-03T00:00:00Z"},
		keys[5]: {Type: "actions-log", URL: "https://github.example/acme/app/actions/runs/7", Author: "grace", Date: "2026-04-04T00:00:00Z"},
	}
	got := map[string]finding.Finding{}
	for _, f := range decodeFindings(t, r) {
		got[f.Secret] = f
	}
	for key, origin := range want {
		f, ok := got[key]
		if !ok {
			t.Errorf("%s (%s) not found", key, origin.Type)
			continue
		}
		if f.Kind != finding.KindItem || f.Item == nil || *f.Item != origin {
			t.Errorf("%s: kind %q item %+v, want %+v", key, f.Kind, f.Item, origin)
		}
	}
	if f := got[keys[5]]; !strings.HasSuffix(f.Path, "logs.zip!build/3_Run tests.txt") {
		t.Errorf("log finding path %q", f.Path)
	}

	// One pull request by its URL: that item and its comments only.
	r = execAchilles(t, t.TempDir(), env, "", "github", "https://github.example/acme/app/pull/2", "--api-url", api.URL, "-f", "json", "--no-progress")
	var secrets []string
	for _, f := range decodeFindings(t, r) {
		secrets = append(secrets, f.Secret)
	}
	if r.code != 1 || strings.Join(secrets, ",") != keys[1]+","+keys[3] && strings.Join(secrets, ",") != keys[3]+","+keys[1] {
		t.Fatalf("one pull request: exit %d, secrets %v\n%s", r.code, secrets, r.stderr)
	}

	// A repository the API does not know, or a wrong token: exit 2.
	for _, c := range []struct {
		env  []string
		repo string
	}{{env, "acme/missing"}, {append(os.Environ(), "ACHILLES_CONFIG=", "GITHUB_TOKEN=wrong"), "acme/app"}} {
		r = execAchilles(t, t.TempDir(), c.env, "", "github", c.repo, "--api-url", api.URL, "--no-progress")
		if r.code != 2 || strings.Contains(r.stderr, ghTestToken) {
			t.Fatalf("%s: exit %d, want 2\n%s", c.repo, r.code, r.stderr)
		}
	}
	// Plain http to a host that is not loopback is refused before any
	// request.
	r = execAchilles(t, t.TempDir(), env, "", "github", "acme/app", "--api-url", "http://github.example/api/v3", "--no-progress")
	if r.code != 2 || !strings.Contains(r.stderr, "only https") {
		t.Fatalf("plain http API: exit %d\n%s", r.code, r.stderr)
	}
}

// etagged answers GitHub's way: every 200 carries an ETag of its body,
// and a request whose If-None-Match matches gets 304. It counts the
// requests for items (everything but the organisation's repository list)
// (not the organisation's repository list, not git's clone attempt) and
// how many of them were conditional.
type etagged struct {
	next                 http.Handler
	items, conditional   atomic.Int64
	notModified, listing atomic.Int64
}

func (e *etagged) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case strings.HasPrefix(r.URL.Path, "/orgs/"):
		e.listing.Add(1)
	case strings.Contains(r.URL.Path, ".git/"): // the clone's attempt
	default:
		e.items.Add(1)
		if r.Header.Get("If-None-Match") != "" {
			e.conditional.Add(1)
		}
	}
	rec := httptest.NewRecorder()
	e.next.ServeHTTP(rec, r)
	if rec.Code == http.StatusOK && !strings.HasSuffix(r.URL.Path, "/logs") {
		etag := fmt.Sprintf(`W/"%x"`, fnvHash(rec.Body.Bytes()))
		if r.Header.Get("If-None-Match") == etag {
			e.notModified.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		rec.Header().Set("ETag", etag)
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	w.Write(rec.Body.Bytes())
}

func fnvHash(b []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range b {
		h = (h ^ uint64(c)) * 1099511628211
	}
	return h
}

// sweep --include reads every listed repository's items into the
// database with their locations; a rerun without changes makes only
// conditional requests for them and keeps every finding.
func TestSweepIncludeItems(t *testing.T) {
	keys := []string{"AKIAZ3MSJV4WQPTHKR7A", "AKIAZ3MSJV4WQPTHKR7B", "AKIAZ3MSJV4WQPTHKR7C", "AKIAZ3MSJV4WQPTHKR7D",
		"AKIAZ3MSJV4WQPTHKR7E", "AKIAZ3MSJV4WQPTHKR7F"}
	archive := logArchive(t, keys[5])
	storage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(archive) }))
	defer storage.Close()
	g := &fakeGitHub{keys: keys, storage: storage.URL}
	g.limited.Store(true) // no rate limit here
	mux := http.NewServeMux()
	mux.HandleFunc("/orgs/acme/repos", func(w http.ResponseWriter, r *http.Request) {
		// The repository's clone URL is on the API's host, where no git
		// server answers: its history fails, its items are read.
		fmt.Fprintf(w, `[{"full_name":"acme/app","clone_url":"http://%s/acme/app.git"}]`, r.Host)
	})
	mux.Handle("/", g)
	e := &etagged{next: mux}
	api := httptest.NewServer(e)
	defer api.Close()
	dir := t.TempDir()
	env := append(os.Environ(), "ACHILLES_CONFIG=", "GITHUB_TOKEN="+ghTestToken, "HOME="+dir)
	db := dir + "/sweep.db"
	args := []string{"sweep", "--github-org", "acme", "--github-api-url", api.URL, "--include", "all", "--db", db,
		"--cache", dir + "/cache", "--no-progress", "--exit-code", "0"}
	r := execAchilles(t, dir, env, "", args...)
	if r.code != 0 {
		t.Fatalf("sweep: exit %d\n%s", r.code, r.stderr)
	}
	rep := execAchilles(t, dir, env, "", "report", "--db", db, "-f", "json", "--no-redact")
	found := map[string]finding.Finding{}
	for _, f := range decodeFindings(t, rep) {
		found[f.Secret] = f
	}
	for _, k := range keys {
		if f, ok := found[k]; !ok || f.Kind != finding.KindItem || f.Item == nil || f.Item.URL == "" {
			t.Fatalf("%s: stored as %+v (%v)\n%s", k, f, ok, rep.stderr)
		}
	}
	e.items.Store(0)
	e.conditional.Store(0)
	e.notModified.Store(0)
	r = execAchilles(t, dir, env, "", args...)
	if r.code != 0 {
		t.Fatalf("rerun: exit %d\n%s", r.code, r.stderr)
	}
	if e.items.Load() == 0 || e.conditional.Load() != e.items.Load() || e.notModified.Load() != e.items.Load() {
		t.Fatalf("no-change rerun: %d item requests, %d conditional, %d not modified", e.items.Load(), e.conditional.Load(), e.notModified.Load())
	}
	rep = execAchilles(t, dir, env, "", "report", "--db", db, "-f", "json", "--no-redact")
	if n := len(decodeFindings(t, rep)); n != len(keys) {
		t.Fatalf("after the rerun the database holds %d findings, want %d", n, len(keys))
	}
}
