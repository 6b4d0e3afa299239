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
