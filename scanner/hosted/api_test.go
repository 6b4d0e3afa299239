package hosted

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestNextPageStaysOnTheOrigin(t *testing.T) {
	cur := "https://api.github.com/orgs/acme/repos?per_page=100"
	for next, ok := range map[string]bool{
		"https://api.github.com/organizations/1/repos?page=2": true,
		"/organizations/1/repos?page=2":                       true,
		"https://API.github.com:443/orgs/acme/repos?page=2":   true,
		"http://api.github.com/orgs/acme/repos?page=2":        false,
		"https://evil.example/orgs/acme/repos?page=2":         false,
		"https://api.github.com:8443/orgs/acme/repos?page=2":  false,
		"//evil.example/orgs/acme/repos?page=2":               false,
	} {
		got, err := resolveNext("listing", cur, next)
		if (err == nil) != ok || ok && got == "" {
			t.Errorf("next %q: %q, %v; want allowed %v", next, got, err, ok)
		}
	}
}

// pager serves /items?page=N (N = 1..pages) with Link headers and
// ETags; a request with the page's ETag gets 304. It counts requests.
type pager struct {
	pages        int
	loop         bool // the last page links back to the first
	version      atomic.Int64
	requests     atomic.Int64
	conditional  atomic.Int64
	unconditonal atomic.Int64
}

func (p *pager) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.requests.Add(1)
	n := 1
	fmt.Sscan(r.URL.Query().Get("page"), &n)
	etag := fmt.Sprintf(`W/"p%d-v%d"`, n, p.version.Load())
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		p.conditional.Add(1)
		if inm == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
	} else {
		p.unconditonal.Add(1)
	}
	switch {
	case n < p.pages:
		w.Header().Set("Link", fmt.Sprintf(`</items?page=%d>; rel="next", </items?page=1>; rel="first"`, n+1))
	case p.loop:
		w.Header().Set("Link", `</items?page=1>; rel="next"`)
	}
	w.Header().Set("ETag", etag)
	fmt.Fprintf(w, `["item-%d-v%d"]`, n, p.version.Load())
}

func TestPagesLoopIsAnError(t *testing.T) {
	srv := httptest.NewServer(&pager{pages: 3, loop: true})
	defer srv.Close()
	a := &API{Base: srv.URL, HTTP: srv.Client()}
	n := 0
	err := a.Pages(context.Background(), "listing", srv.URL+"/items?page=1", func([]byte) error { n++; return nil })
	if err == nil || !strings.Contains(err.Error(), "already listed") || n != 3 {
		t.Fatalf("pages %d, err %v", n, err)
	}
}

// A second run with the first run's state asks for every page with its
// ETag and reads nothing when nothing changed; after a change it reads
// the pages again.
func TestPagesConditional(t *testing.T) {
	p := &pager{pages: 3}
	srv := httptest.NewServer(p)
	defer srv.Close()
	walk := func(st *State) []string {
		a := &API{Base: srv.URL, HTTP: srv.Client(), State: st}
		var bodies []string
		if err := a.Pages(context.Background(), "listing", srv.URL+"/items", func(b []byte) error {
			bodies = append(bodies, string(b))
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return bodies
	}
	first := NewState(nil)
	if got := walk(first); len(got) != 3 {
		t.Fatalf("first run read %v", got)
	}
	second := NewState(first.Save())
	p.requests.Store(0)
	p.unconditonal.Store(0)
	if got := walk(second); len(got) != 0 {
		t.Fatalf("a run without changes read %v", got)
	}
	if p.requests.Load() != 3 || p.unconditonal.Load() != 0 {
		t.Fatalf("no-change run: %d requests, %d unconditional; want 3 conditional", p.requests.Load(), p.unconditonal.Load())
	}
	p.version.Add(1)
	if got := walk(NewState(second.Save())); len(got) != 3 || !strings.Contains(got[0], "v1") {
		t.Fatalf("after a change: %v", got)
	}
}

// A page whose items could not all be read is not recorded: the next run
// reads it again.
func TestPagesIncompleteIsReadAgain(t *testing.T) {
	p := &pager{pages: 2}
	srv := httptest.NewServer(p)
	defer srv.Close()
	st := NewState(nil)
	a := &API{Base: srv.URL, HTTP: srv.Client(), State: st}
	err := a.Pages(context.Background(), "listing", srv.URL+"/items", func(b []byte) error {
		if strings.Contains(string(b), "item-1") {
			return fmt.Errorf("a comment: %w", ErrIncomplete)
		}
		return nil
	})
	if !errors.Is(err, ErrIncomplete) {
		t.Fatalf("err %v", err)
	}
	var read []string
	a = &API{Base: srv.URL, HTTP: srv.Client(), State: NewState(st.Save())}
	if err := a.Pages(context.Background(), "listing", srv.URL+"/items", func(b []byte) error {
		read = append(read, string(b))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(read) != 1 || !strings.Contains(read[0], "item-1") {
		t.Fatalf("second run read %v; want page 1 only", read)
	}
}

func TestGetRefusesAnotherOrigin(t *testing.T) {
	var hit atomic.Bool
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hit.Store(true) }))
	defer other.Close()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/x", http.StatusFound)
	}))
	defer api.Close()
	a := &API{Base: api.URL, HTTP: api.Client(), Header: http.Header{"Authorization": {"Bearer s3cr3t"}}}
	if _, err := a.Get(context.Background(), "x", other.URL+"/x", ""); err == nil {
		t.Fatal("a request to another origin was sent")
	}
	if _, err := a.Get(context.Background(), "x", api.URL+"/x", ""); err == nil {
		t.Fatal("an API answer's redirect to another origin was followed")
	}
	if hit.Load() {
		t.Fatal("the other origin was reached")
	}
}

// A download's redirect to a storage host is followed without the
// credentials.
func TestDownloadDropsCredentialsOnRedirect(t *testing.T) {
	var got http.Header
	storage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		io.WriteString(w, "log text")
	}))
	defer storage.Close()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("PRIVATE-TOKEN") != "s3cr3t" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		http.Redirect(w, r, storage.URL+"/blob?sig=1", http.StatusFound)
	}))
	defer api.Close()
	a := &API{Base: api.URL, HTTP: api.Client(), Credentials: []string{"PRIVATE-TOKEN"},
		Header: http.Header{"Private-Token": {"s3cr3t"}, "Authorization": {"Bearer s3cr3t"}}}
	body, _, err := a.Download(context.Background(), "log", api.URL+"/jobs/1/trace", "")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(body)
	body.Close()
	if string(b) != "log text" {
		t.Fatalf("body %q", b)
	}
	for k, v := range got {
		if strings.Contains(strings.Join(v, ","), "s3cr3t") {
			t.Fatalf("the storage host got the credential in %s", k)
		}
	}
}

// Post sends its body with the API's headers to the API's origin only, and
// is retried with the same body after a rate limit.
func TestPostSendsBodyAndWaitsOutRateLimit(t *testing.T) {
	var calls atomic.Int64
	var bodies []string
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Header.Get("Authorization") != "Bearer s3cr3t" || r.Header.Get("Content-Type") != "application/json" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		b, _ := io.ReadAll(r.Body)
		bodies = append(bodies, string(b))
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", "3")
			w.WriteHeader(http.StatusForbidden)
			return
		}
		io.WriteString(w, `{"data":{}}`)
	}))
	defer api.Close()
	var slept time.Duration
	a := &API{Base: api.URL, HTTP: api.Client(), Header: http.Header{"Authorization": {"Bearer s3cr3t"}},
		Sleep: func(ctx context.Context, d time.Duration) error { slept += d; return nil }}
	p, err := a.Post(context.Background(), "query", api.URL+"/graphql", "application/json", []byte(`{"query":"{x}"}`))
	if err != nil {
		t.Fatal(err)
	}
	if string(p.Body) != `{"data":{}}` || slept != 3*time.Second || len(bodies) != 2 || bodies[0] != bodies[1] || bodies[1] != `{"query":"{x}"}` {
		t.Fatalf("body %q, slept %s, requests %q", p.Body, slept, bodies)
	}
	if _, err := a.Post(context.Background(), "query", "https://elsewhere.example/graphql", "application/json", nil); err == nil {
		t.Fatal("a POST to another origin was sent")
	}
}

// DownloadPublic fetches a URL on another host without any credential
// header, refuses plain http when the API is https, and keeps the
// credentials for a URL on the API's own origin.
func TestDownloadPublicSendsNoCredentials(t *testing.T) {
	var got http.Header
	raw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		io.WriteString(w, "file text")
	}))
	defer raw.Close()
	var apiAuth string
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		apiAuth = r.Header.Get("Authorization")
		io.WriteString(w, "own text")
	}))
	defer api.Close()
	a := &API{Base: api.URL, HTTP: api.Client(), Credentials: []string{"X-Api-Key"},
		Header: http.Header{"Authorization": {"Bearer s3cr3t"}, "X-Api-Key": {"s3cr3t"}, "Accept": {"application/json"}}}
	read := func(u string) string {
		t.Helper()
		body, _, err := a.DownloadPublic(context.Background(), "raw", u, "")
		if err != nil {
			t.Fatal(err)
		}
		defer body.Close()
		b, _ := io.ReadAll(body)
		return string(b)
	}
	if s := read(raw.URL + "/user/id/raw/sha/file.txt"); s != "file text" {
		t.Fatalf("body %q", s)
	}
	for k, v := range got {
		if strings.Contains(strings.Join(v, ","), "s3cr3t") {
			t.Fatalf("the other host got the credential in %s", k)
		}
	}
	if s := read(api.URL + "/raw/file.txt"); s != "own text" || apiAuth != "Bearer s3cr3t" {
		t.Fatalf("on the API's origin: body %q, Authorization %q", s, apiAuth)
	}
	https := &API{Base: "https://api.example", Header: http.Header{}}
	if _, _, err := https.DownloadPublic(context.Background(), "raw", raw.URL+"/x", ""); err == nil || !strings.Contains(err.Error(), "not https") {
		t.Fatalf("plain http from an https API: %v", err)
	}
}

// PagesAll reads every page even with a State that finished them.
func TestPagesAllIgnoresState(t *testing.T) {
	var conditional atomic.Int64
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") != "" {
			conditional.Add(1)
		}
		w.Header().Set("ETag", `"1"`)
		io.WriteString(w, "[1]")
	}))
	defer api.Close()
	st := NewState(nil)
	a := &API{Base: api.URL, HTTP: api.Client(), State: st}
	n := 0
	for i := 0; i < 2; i++ {
		a.State = NewState(st.Save())
		if err := a.PagesAll(context.Background(), "list", api.URL+"/repos", func([]byte) error { n++; return nil }); err != nil {
			t.Fatal(err)
		}
	}
	if n != 2 || conditional.Load() != 0 || len(a.State.Save()) > len(`{}`) {
		t.Fatalf("read %d pages, %d conditional, state %s", n, conditional.Load(), a.State.Save())
	}
}
