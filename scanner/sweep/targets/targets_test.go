package targets

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
)

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"https://GitHub.com/Acme/API.git":          "github.com/Acme/API",
		"https://x-access-token:t@github.com/a/b/": "github.com/a/b",
		"git@github.com:acme/api.git":              "github.com/acme/api",
		"ssh://git@gitlab.example.com:2222/g/s/p":  "gitlab.example.com/g/s/p",
		"/srv/git/repo.git":                        "/srv/git/repo",
		"file:///srv/git/repo.git":                 "/srv/git/repo",
	} {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestReadSkipsCommentsAndResolvesPaths(t *testing.T) {
	ts, err := Read(strings.NewReader("# list\n\nhttps://h/o/r.git\n  relative/repo  \n# https://h/o/skipped\ngit@h:o/s.git\n"), "/base")
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, t := range ts {
		keys = append(keys, t.Key)
	}
	if got := strings.Join(keys, " "); got != "h/o/r /base/relative/repo h/o/s" {
		t.Fatalf("keys %q", got)
	}
}

func TestShardsPartitionTheList(t *testing.T) {
	var ts []Target
	for i := 0; i < 300; i++ {
		ts = append(ts, Target{Key: fmt.Sprintf("github.com/acme/repo-%d", i)})
	}
	seen := map[string]int{}
	for k := 1; k <= 3; k++ {
		part := Shard{K: k, N: 3}.Take(ts)
		if len(part) < 60 {
			t.Errorf("shard %d/3 has %d of 300", k, len(part))
		}
		for _, t := range part {
			seen[t.Key]++
		}
	}
	for _, tg := range ts {
		if seen[tg.Key] != 1 {
			t.Fatalf("%s in %d shards", tg.Key, seen[tg.Key])
		}
	}
	for _, bad := range []string{"0/3", "4/3", "1", "a/b", "1/0"} {
		if _, err := ParseShard(bad); err == nil {
			t.Errorf("ParseShard(%q) accepted", bad)
		}
	}
}

func TestAuthGoesOnlyToItsHost(t *testing.T) {
	c := Credentials{GitHubHost: "github.com", GitHubToken: "ght", GitLabHost: "gitlab.com", GitLabToken: "glt"}
	if a, ok := c.AuthFor("https://github.com/o/r.git").(*githttp.BasicAuth); !ok || a.Username != "x-access-token" || a.Password != "ght" {
		t.Fatalf("github auth %#v", a)
	}
	if a, ok := c.AuthFor("https://gitlab.com/g/p.git").(*githttp.BasicAuth); !ok || a.Username != "oauth2" {
		t.Fatalf("gitlab auth %#v", a)
	}
	for _, u := range []string{"https://evil.example/o/r.git", "http://github.com/o/r.git", "git@github.com:o/r.git", "/local/path"} {
		if a := c.AuthFor(u); a != nil {
			t.Errorf("%s gets credentials %#v", u, a)
		}
	}
}

// recordSleeps replaces waiting with a record of the waits asked for.
func recordSleeps(l *Lister) *[]time.Duration {
	var mu sync.Mutex
	var got []time.Duration
	l.Sleep = func(_ context.Context, d time.Duration) error {
		mu.Lock()
		got = append(got, d)
		mu.Unlock()
		return nil
	}
	return &got
}

func TestGitHubPaginationAndRateLimits(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	var calls []string
	var limited bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls = append(calls, r.URL.RequestURI())
		if r.URL.Path != "/orgs/acme/repos" || r.URL.Query().Get("type") != "all" || r.URL.Query().Get("per_page") != "100" {
			http.NotFound(w, r)
			return
		}
		if r.Header.Get("Authorization") != "Bearer tok" {
			http.Error(w, `{"message":"Bad credentials"}`, http.StatusUnauthorized)
			return
		}
		pg, _ := strconv.Atoi(r.URL.Query().Get("page"))
		if pg == 0 {
			pg = 1
		}
		// The second page is first refused by the secondary rate limit.
		if pg == 2 && !limited {
			limited = true
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `{"message":"You have exceeded a secondary rate limit"}`)
			return
		}
		var repos []map[string]any
		for i := 0; i < 100 && (pg-1)*100+i < 250; i++ {
			n := (pg-1)*100 + i
			repos = append(repos, map[string]any{"full_name": fmt.Sprintf("acme/r%d", n), "clone_url": fmt.Sprintf("http://%s/acme/r%d.git", r.Host, n),
				"fork": n%50 == 1, "archived": n%50 == 2})
		}
		w.Header().Set("X-RateLimit-Limit", "5000")
		w.Header().Set("X-RateLimit-Remaining", "4000")
		w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(now.Unix()+3600, 10))
		if pg == 1 {
			// Out of requests after this page: the lister waits for the reset.
			w.Header().Set("X-RateLimit-Remaining", "0")
			w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(now.Unix()+30, 10))
		}
		if pg < 3 {
			w.Header().Set("Link", fmt.Sprintf(`<http://%s/orgs/acme/repos?per_page=100&type=all&page=%d>; rel="next", <http://%s/orgs/acme/repos?per_page=100&type=all&page=3>; rel="last"`, r.Host, pg+1, r.Host))
		}
		json.NewEncoder(w).Encode(repos)
	}))
	defer srv.Close()
	l := &Lister{HTTP: srv.Client(), Now: func() time.Time { return now }}
	sleeps := recordSleeps(l)
	ts, err := l.GitHub(context.Background(), srv.URL, "tok", "org", "acme")
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 250 {
		t.Fatalf("%d repositories, want 250 (calls %v)", len(ts), calls)
	}
	if got := fmt.Sprint(*sleeps); got != "[31s 7s]" {
		t.Fatalf("waits %s, want the reset (31s) then Retry-After (7s)", got)
	}
	if a, ok := ts[0].Auth.(*githttp.BasicAuth); !ok || a.Username != "x-access-token" || a.Password != "tok" {
		t.Fatalf("clone auth %#v", ts[0].Auth)
	}
	kept := Filter(ts, false, false)
	if len(kept) != 240 {
		t.Fatalf("%d kept without forks and archived, want 240", len(kept))
	}
	if len(Filter(ts, true, true)) != 250 {
		t.Fatal("--include-forks --include-archived dropped some")
	}
}

func TestGitLabPaginationAndRateLimits(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	var tooMany bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.EscapedPath() != "/api/v4/groups/platform%2Fbackend/projects" || r.URL.Query().Get("include_subgroups") != "true" {
			http.NotFound(w, r)
			return
		}
		if r.Header.Get("PRIVATE-TOKEN") != "gl" {
			http.Error(w, `{"message":"401 Unauthorized"}`, http.StatusUnauthorized)
			return
		}
		pg, _ := strconv.Atoi(r.URL.Query().Get("page"))
		if pg == 0 {
			pg = 1
		}
		if pg == 2 && !tooMany {
			tooMany = true
			w.Header().Set("RateLimit-Remaining", "0")
			w.Header().Set("RateLimit-Reset", strconv.FormatInt(now.Unix()+12, 10))
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		var ps []map[string]any
		for i := 0; i < 3; i++ {
			n := (pg-1)*3 + i
			p := map[string]any{"path_with_namespace": fmt.Sprintf("platform/backend/p%d", n), "http_url_to_repo": fmt.Sprintf("http://%s/platform/backend/p%d.git", r.Host, n), "archived": n == 4}
			if n == 5 {
				p["forked_from_project"] = map[string]any{"id": 1}
			}
			ps = append(ps, p)
		}
		w.Header().Set("RateLimit-Remaining", "100")
		if pg < 2 {
			w.Header().Set("X-Next-Page", strconv.Itoa(pg+1)) // no Link header: X-Next-Page is followed
		}
		json.NewEncoder(w).Encode(ps)
	}))
	defer srv.Close()
	l := &Lister{HTTP: srv.Client(), Now: func() time.Time { return now }}
	sleeps := recordSleeps(l)
	ts, err := l.GitLab(context.Background(), srv.URL, "gl", "platform/backend")
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 6 || len(Filter(ts, false, false)) != 4 {
		t.Fatalf("%d projects (%d kept), want 6 (4)", len(ts), len(Filter(ts, false, false)))
	}
	if got := fmt.Sprint(*sleeps); got != "[13s]" {
		t.Fatalf("waits %s, want 13s (RateLimit-Reset)", got)
	}
	if a, ok := ts[0].Auth.(*githttp.BasicAuth); !ok || a.Username != "oauth2" {
		t.Fatalf("clone auth %#v", ts[0].Auth)
	}
}

func TestRealWaitHonoursRetryAfter(t *testing.T) {
	first := true
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if first {
			first = false
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		fmt.Fprintf(w, `[{"full_name":"u/a","clone_url":"http://%s/u/a.git"}]`, r.Host)
	}))
	defer srv.Close()
	start := time.Now()
	ts, err := (&Lister{HTTP: srv.Client()}).GitHub(context.Background(), srv.URL, "", "user", "u")
	if err != nil || len(ts) != 1 || ts[0].Refused != "" {
		t.Fatalf("%v %v", ts, err)
	}
	if d := time.Since(start); d < time.Second {
		t.Fatalf("retried after %s, before Retry-After's 1s", d)
	}
	if ts[0].Auth != nil {
		t.Fatal("no token, yet clone auth set")
	}
}
