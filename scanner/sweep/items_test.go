package sweep

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/achilles-sec/achilles/scanner"
	"github.com/achilles-sec/achilles/scanner/finding"
	"github.com/achilles-sec/achilles/scanner/hosted"
	"github.com/achilles-sec/achilles/scanner/sweep/store"
	"github.com/achilles-sec/achilles/scanner/sweep/targets"
)

// issueAPI serves two pages of issues with ETags and each issue's
// comments; it counts requests, conditional ones and 304s.
type issueAPI struct {
	keys                          []string // one AWS key id planted per issue comment
	requests, conditional, notMod atomic.Int64
	failComments                  atomic.Bool
	// comments counts the comment requests of each issue; onComments,
	// when set, is called before issue n's comments are answered.
	comments   []atomic.Int64
	onComments func(n int)
}

func (a *issueAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.requests.Add(1)
	etag := `W/"` + r.URL.RequestURI() + `"`
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		a.conditional.Add(1)
		if inm == etag {
			a.notMod.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	w.Header().Set("ETag", etag)
	switch {
	case r.URL.Path == "/issues":
		page := r.URL.Query().Get("page")
		first := 0
		if page == "2" {
			first = len(a.keys) / 2
		} else {
			w.Header().Set("Link", `</issues?page=2>; rel="next"`)
		}
		last := len(a.keys) / 2
		if page == "2" {
			last = len(a.keys)
		}
		var out []map[string]any
		for i := first; i < last; i++ {
			out = append(out, map[string]any{"number": i, "updated_at": "2026-01-01T00:00:00Z", "body": "see comments"})
		}
		json.NewEncoder(w).Encode(out)
	case strings.HasPrefix(r.URL.Path, "/comments/"):
		if a.failComments.Load() {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		var n int
		fmt.Sscan(strings.TrimPrefix(r.URL.Path, "/comments/"), &n)
		if n < len(a.comments) {
			a.comments[n].Add(1)
		}
		if a.onComments != nil {
			a.onComments(n)
		}
		json.NewEncoder(w).Encode([]map[string]string{{"body": "aws_access_key_id = " + a.keys[n]}})
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

// issueItems is a minimal hosted source over issueAPI: issues page by
// page, each issue's comments unless the state says it was read.
func issueItems(base string, client *http.Client) func(*hosted.State) scanner.BlobSource {
	return func(st *hosted.State) scanner.BlobSource {
		a := &hosted.API{Base: base, HTTP: client, State: st}
		return hosted.Source(func(ctx context.Context, warn func(error), emit func(hosted.Item) error) error {
			return a.Pages(ctx, "issues", a.URL("/issues"), func(body []byte) error {
				var issues []struct {
					Number  int    `json:"number"`
					Updated string `json:"updated_at"`
				}
				if err := json.Unmarshal(body, &issues); err != nil {
					return err
				}
				var incomplete error
				for _, is := range issues {
					key := fmt.Sprintf("issue/%d", is.Number)
					if st.Done(key, is.Updated) {
						continue
					}
					p, err := a.Get(ctx, "comments", a.URL(fmt.Sprintf("/comments/%d", is.Number)), "")
					if err != nil {
						warn(err)
						incomplete = fmt.Errorf("%w", hosted.ErrIncomplete)
						continue
					}
					url := fmt.Sprintf("https://example.test/issues/%d#comment", is.Number)
					if err := emit(hosted.Item{Origin: finding.ItemOrigin{Type: "issue-comment", URL: url, Author: "dev"}, Text: p.Body}); err != nil {
						return err
					}
					st.Finish(key, is.Updated)
				}
				return incomplete
			})
		})
	}
}

// A sweep of hosted items keeps what it finished: a run whose comment
// listing failed records no state for it and reads it again; a run
// without changes makes only conditional requests and keeps the findings.
func TestSweepItemsResumeAndConditional(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	api := &issueAPI{}
	for i := 0; i < 6; i++ {
		api.keys = append(api.keys, awsKeyID(r))
	}
	srv := httptest.NewServer(api)
	defer srv.Close()
	ts := []targets.Target{{Key: "example.test/o/r#items", URL: srv.URL, Source: "test", Items: issueItems(srv.URL, srv.Client())}}
	dir := t.TempDir()
	st := openStore(t, dir, "s.db")
	o := options(t)

	api.failComments.Store(true)
	if _, err := Run(context.Background(), st, ts, o); err != nil {
		t.Fatal(err)
	}
	if n := len(keys(t, st)); n != 0 {
		t.Fatalf("%d findings while the comments failed", n)
	}
	api.failComments.Store(false)
	sum, err := Run(context.Background(), st, ts, o)
	if err != nil || sum.Scanned != 1 {
		t.Fatalf("%+v %v", sum, err)
	}
	if n := len(keys(t, st)); n != len(api.keys) {
		t.Fatalf("%d findings, want %d", n, len(api.keys))
	}
	exp, err := st.Exposures(context.Background())
	if err != nil || exp[0].Finding.Kind != finding.KindItem || exp[0].Finding.Item == nil || exp[0].Finding.Item.Type != "issue-comment" {
		t.Fatalf("stored location %+v %v", exp[0].Finding.Finding, err)
	}
	api.requests.Store(0)
	api.conditional.Store(0)
	api.notMod.Store(0)
	if _, err := Run(context.Background(), st, ts, o); err != nil {
		t.Fatal(err)
	}
	if api.requests.Load() != 2 || api.conditional.Load() != 2 || api.notMod.Load() != 2 {
		t.Fatalf("no-change run: %d requests, %d conditional, %d not modified; want 2 conditional 304s",
			api.requests.Load(), api.conditional.Load(), api.notMod.Load())
	}
	if n := len(keys(t, st)); n != len(api.keys) {
		t.Fatalf("after the no-change run %d findings, want %d", n, len(api.keys))
	}
}

// An interrupted items target keeps what it finished: the run cancelled
// while the third issue's comments are served saves the findings and the
// marks of the issues scanned before, leaves the target unfinished, and
// the next run reads only the issues it did not finish; the findings end
// as an uninterrupted run's.
func TestSweepItemsInterruptedResumes(t *testing.T) {
	r := rand.New(rand.NewSource(11))
	api := &issueAPI{comments: make([]atomic.Int64, 6)}
	for i := 0; i < 6; i++ {
		api.keys = append(api.keys, awsKeyID(r))
	}
	srv := httptest.NewServer(api)
	defer srv.Close()
	ts := []targets.Target{{Key: "example.test/o/r#items", URL: srv.URL, Source: "test", Items: issueItems(srv.URL, srv.Client())}}
	dir := t.TempDir()
	o := options(t)

	// The uninterrupted run, into a database of its own.
	whole := openStore(t, dir, "whole.db")
	if sum, err := Run(context.Background(), whole, ts, o); err != nil || sum.Scanned != 1 {
		t.Fatalf("uninterrupted run: %+v %v", sum, err)
	}
	want := keys(t, whole)
	if len(want) != len(api.keys) {
		t.Fatalf("uninterrupted run: %d findings, want %d", len(want), len(api.keys))
	}

	st := openStore(t, dir, "s.db")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	api.onComments = func(n int) {
		if n == 2 {
			// Give the searcher time to scan the two issues already
			// emitted (microseconds of work), then interrupt the sweep.
			time.Sleep(300 * time.Millisecond)
			cancel()
		}
	}
	sum, err := Run(ctx, st, ts, o)
	if !errors.Is(err, context.Canceled) || sum.Interrupted != 1 {
		t.Fatalf("interrupted run: %+v %v", sum, err)
	}
	api.onComments = nil
	repo, known, err := st.Repo(context.Background(), ts[0].Key)
	if err != nil || !known || repo.Status != store.StatusScanning {
		t.Fatalf("after the interruption the target is %+v (known %v, %v), want it left scanning", repo, known, err)
	}
	saved, err := st.HostedState(context.Background(), ts[0].Key)
	if err != nil {
		t.Fatal(err)
	}
	var marks struct {
		Items map[string]string `json:"items"`
	}
	if err := json.Unmarshal(saved, &marks); err != nil {
		t.Fatalf("saved state %q: %v", saved, err)
	}
	if len(marks.Items) != 2 || marks.Items["issue/0"] == "" || marks.Items["issue/1"] == "" {
		t.Fatalf("saved marks %v, want issues 0 and 1", marks.Items)
	}
	got := keys(t, st)
	if len(got) != 2 || !slices.Contains(want, got[0]) || !slices.Contains(want, got[1]) {
		t.Fatalf("after the interruption %d findings %v, want the 2 of issues 0 and 1", len(got), got)
	}

	for i := range api.comments {
		api.comments[i].Store(0)
	}
	if sum, err := Run(context.Background(), st, ts, o); err != nil || sum.Scanned != 1 {
		t.Fatalf("resumed run: %+v %v", sum, err)
	}
	for i := range api.comments {
		n, wantN := api.comments[i].Load(), int64(1)
		if i < 2 {
			wantN = 0 // finished by the interrupted run
		}
		if n != wantN {
			t.Errorf("resumed run asked for issue %d's comments %d times, want %d", i, n, wantN)
		}
	}
	if repo, _, _ := st.Repo(context.Background(), ts[0].Key); repo.Status != store.StatusDone {
		t.Errorf("after the resumed run the target is %s, want done", repo.Status)
	}
	if got := keys(t, st); !slices.Equal(got, want) {
		t.Errorf("findings after resuming %v, want the uninterrupted run's %v", got, want)
	}
}
