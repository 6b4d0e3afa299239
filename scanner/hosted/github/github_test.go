package github

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/achilles-sec/achilles/scanner/hosted"
)

func TestParseTarget(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Target
		bad  bool
	}{
		{in: "acme/app", want: Target{Owner: "acme", Repo: "app"}},
		{in: "https://github.com/acme/app.git", want: Target{Owner: "acme", Repo: "app"}},
		{in: "https://github.com/acme/app/pull/42", want: Target{Owner: "acme", Repo: "app", Number: 42}},
		{in: "https://ghe.example/acme/app/issues/7", want: Target{Owner: "acme", Repo: "app", Number: 7}},
		{in: "acme", want: Target{Owner: "acme"}},
		{in: "https://github.com/acme/", want: Target{Owner: "acme"}},
		{in: "https://gist.github.com/octo/aa5a315d61ae9438b18d", want: Target{Owner: "octo", Gist: "aa5a315d61ae9438b18d"}},
		{in: "https://gist.github.com/aa5a315d61ae9438b18d", want: Target{Gist: "aa5a315d61ae9438b18d"}},
		{in: "https://ghe.example/gist/octo/5d61ae", want: Target{Owner: "octo", Gist: "5d61ae"}},
		{in: "", bad: true},
		{in: "acme/app/tree/main", bad: true},
		{in: "acme/../x", bad: true},
		{in: "https://github.com/acme/app/pull/x", bad: true},
		{in: "https://user:pw@github.com/acme/app", bad: true},
		{in: "https://gist.github.com/octo/id/raw", bad: true},
		{in: "acme/app?x=1", bad: true},
	} {
		got, err := ParseTarget(c.in)
		if c.bad {
			if err == nil {
				t.Errorf("%q: accepted as %+v", c.in, got)
			} else if strings.Contains(err.Error(), "pw@") {
				t.Errorf("%q: the error shows the URL's password: %v", c.in, err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%q: %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
}

func TestGraphQLAndWebURLs(t *testing.T) {
	for _, c := range []struct{ base, graphQL, web string }{
		{PublicAPI, "https://api.github.com/graphql", "https://github.com"},
		{"https://ghe.example/api/v3", "https://ghe.example/api/graphql", "https://ghe.example"},
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080/graphql", "http://127.0.0.1:8080"},
	} {
		s := &Source{API: NewAPI(c.base, "")}
		if g, w := s.graphQLURL(), s.webBase(); g != c.graphQL || w != c.web {
			t.Errorf("%s: GraphQL %s, web %s; want %s, %s", c.base, g, w, c.graphQL, c.web)
		}
	}
}

// collect runs a list and returns what it emitted and warned.
func collect(t *testing.T, l List) (items []hosted.Item, warnings []error, err error) {
	t.Helper()
	err = l(context.Background(), func(e error) { warnings = append(warnings, e) }, func(it hosted.Item) error {
		if it.File != nil {
			it.File.Close()
		}
		items = append(items, it)
		return nil
	})
	return items, warnings, err
}

// A rerun with the State of the first reads only the gist's new revision.
func TestGistRevisionsResume(t *testing.T) {
	var mu sync.Mutex
	revisions := []string{"aaaa"}
	asked := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		asked[r.URL.Path]++
		switch p := r.URL.Path; {
		case p == "/gists/g1":
			fmt.Fprint(w, `{"id":"g1","html_url":"https://gist.example/g1","owner":{"login":"octo"},"updated_at":"2026-01-01T00:00:00Z"}`)
		case p == "/gists/g1/commits":
			var parts []string
			for i := len(revisions) - 1; i >= 0; i-- {
				parts = append(parts, fmt.Sprintf(`{"version":%q,"committed_at":"2026-01-0%dT00:00:00Z","user":{"login":"octo"}}`, revisions[i], i+1))
			}
			fmt.Fprint(w, "["+strings.Join(parts, ",")+"]")
		case p == "/gists/g1/comments":
			fmt.Fprint(w, `[]`)
		case strings.HasPrefix(p, "/gists/g1/"):
			rev := strings.TrimPrefix(p, "/gists/g1/")
			fmt.Fprintf(w, `{"id":"g1","files":{"a.txt":{"content":"revision %s","truncated":false}}}`, rev)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer srv.Close()
	st := hosted.NewState(nil)
	run := func() []hosted.Item {
		api := NewAPI(srv.URL, "t")
		api.State = st
		items, warnings, err := collect(t, (&Source{API: api}).Target(Target{Gist: "g1"}))
		if err != nil || len(warnings) > 0 {
			t.Fatalf("%v %v", err, warnings)
		}
		st = hosted.NewState(st.Save())
		return items
	}
	if items := run(); len(items) != 1 || string(items[0].Text) != "revision aaaa" || items[0].Origin.URL != "https://gist.example/g1/aaaa" {
		t.Fatalf("first run: %+v", items)
	}
	mu.Lock()
	revisions = append(revisions, "bbbb")
	mu.Unlock()
	items := run()
	if len(items) != 1 || string(items[0].Text) != "revision bbbb" {
		t.Fatalf("second run emitted %+v; want the new revision only", items)
	}
	if asked["/gists/g1/aaaa"] != 1 || asked["/gists/g1/bbbb"] != 1 {
		t.Fatalf("revisions asked for: %v", asked)
	}
}

// An asset over the download limit is a warning and is not asked for; the
// release's notes are read, and the page is left for the next run.
func TestAssetOverTheLimit(t *testing.T) {
	var assetAsked bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/repos/o/r":
			fmt.Fprint(w, `{}`)
		case "/repos/o/r/releases":
			w.Header().Set("ETag", `"1"`)
			fmt.Fprint(w, `[{"name":"v1","tag_name":"v1","body":"notes","html_url":"https://gh.example/o/r/releases/tag/v1",
				"assets":[{"id":9,"name":"big.zip","size":4096,"updated_at":"2026-01-01T00:00:00Z","browser_download_url":"https://gh.example/o/r/releases/download/v1/big.zip"}]}]`)
		case "/repos/o/r/releases/assets/9":
			assetAsked = true
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer srv.Close()
	api := NewAPI(srv.URL, "t")
	api.State = hosted.NewState(nil)
	items, warnings, err := collect(t, (&Source{API: api, Include: map[string]bool{"releases": true}, MaxDownload: 1024}).Target(Target{Owner: "o", Repo: "r"}))
	if err != nil || len(items) != 1 || items[0].Origin.Type != "release" {
		t.Fatalf("items %+v, err %v", items, err)
	}
	if assetAsked || len(warnings) != 1 || !strings.Contains(warnings[0].Error(), "more than the download limit") {
		t.Fatalf("asset asked for: %v; warnings %v", assetAsked, warnings)
	}
	if strings.Contains(string(api.State.Save()), "releases") {
		t.Fatalf("the incomplete releases page was recorded: %s", api.State.Save())
	}
}

// A GraphQL answer that says RATE_LIMITED, with no requests remaining, is
// asked again after the reset; the same query and cursor are sent.
func TestDiscussionsRateLimited(t *testing.T) {
	var mu sync.Mutex
	var bodies []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/graphql" || r.Method != http.MethodPost {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		b, _ := io.ReadAll(r.Body)
		bodies = append(bodies, string(b))
		if len(bodies) == 1 {
			w.Header().Set("X-RateLimit-Remaining", "0")
			w.Header().Set("X-RateLimit-Reset", "5")
			fmt.Fprint(w, `{"errors":[{"type":"RATE_LIMITED","message":"API rate limit exceeded"}]}`)
			return
		}
		fmt.Fprint(w, `{"data":{"repository":{"discussions":{"pageInfo":{"hasNextPage":false,"endCursor":null},"nodes":[
			{"id":"D1","title":"t","body":"b","url":"https://gh.example/o/r/discussions/1","updatedAt":"2026-01-01T00:00:00Z","author":{"login":"a"},
			 "comments":{"pageInfo":{"hasNextPage":false},"nodes":[]}}]}}}}`)
	}))
	defer srv.Close()
	api := NewAPI(srv.URL, "t")
	var slept time.Duration
	api.Sleep = func(ctx context.Context, d time.Duration) error { slept += d; return nil }
	s := &Source{API: api}
	var items []hosted.Item
	err := s.discussions(context.Background(), "o", "r", func(e error) { t.Error(e) }, func(it hosted.Item) error { items = append(items, it); return nil })
	if err != nil || len(items) != 1 || items[0].Origin.Type != "discussion" || items[0].Origin.Author != "a" {
		t.Fatalf("items %+v, err %v", items, err)
	}
	if slept != 5*time.Second || len(bodies) != 2 || bodies[0] != bodies[1] || !strings.Contains(bodies[0], `"owner":"o"`) {
		t.Fatalf("slept %s, queries %q", slept, bodies)
	}
}
