package netlify

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/verify"
	vt "github.com/achilles-sec/achilles/detectors/verify/verifytest"
)

const token = "nfp_Z3xQ8mN2pL5kR7sT9vW1yA4cD6eF8gH0jK2l"

// fake answers as Netlify: sites in pages of one, with a Link header to the
// next page while page < last (0: every page has a next one).
func fake(t *testing.T, last int, sitesStatus int) (*vt.Server, *atomic.Int64) {
	var hits atomic.Int64
	var s *vt.Server
	s = vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("Authorization") != "Bearer "+token {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"code":401,"message":"Access Denied"}`)
			return
		}
		switch r.URL.Path {
		case "/api/v1/user":
			fmt.Fprint(w, `{"id":"5f5b3c","uid":null,"full_name":"Ada Lovelace","avatar_url":null,"email":"ada@example.com","affiliate_id":"","site_count":2}`)
		case "/api/v1/sites":
			n := hits.Add(1)
			if n == 1 && sitesStatus == http.StatusTooManyRequests {
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(429)
				fmt.Fprint(w, `{"code":429,"message":"Rate limit exceeded"}`)
				return
			}
			if sitesStatus != 0 && sitesStatus != http.StatusTooManyRequests {
				w.WriteHeader(sitesStatus)
				fmt.Fprintf(w, `{"code":%d,"message":"error"}`, sitesStatus)
				return
			}
			page, _ := strconv.Atoi(r.URL.Query().Get("page"))
			if last == 0 || page < last {
				w.Header().Set("Link", fmt.Sprintf(`<%s/api/v1/sites?page=%d&per_page=100>; rel="next", <%s/api/v1/sites?page=%d&per_page=100>; rel="last"`, s.URL, page+1, s.URL, last))
			}
			fmt.Fprintf(w, `[{"id":"3970e0fe-8564-4903-9a55-c5f8de49fb8b","name":"site-%d","url":"https://site-%d.netlify.app","account_slug":"acme","admin_url":"https://app.netlify.com/sites/site-%d"}]`, page, page, page)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	})
	return s, &hits
}

func TestAnalyzePages(t *testing.T) {
	s, hits := fake(t, 2, http.StatusTooManyRequests)
	rep, err := Analyzer{}.Analyze(context.Background(), s.Client("netlify", 5*time.Second), verify.Request{Secret: token})
	if err != nil {
		t.Fatal(err)
	}
	if hits.Load() != 3 || fmt.Sprint(rep.Resources) != "[{site acme/site-1 [configure deploy]} {site acme/site-2 [configure deploy]}]" {
		t.Errorf("%d hits, %v", hits.Load(), rep.Resources)
	}
	if rep.Identity != "ada@example.com" || rep.Severity != analyze.SeverityWrite || rep.Worst != "can deploy to and configure 2 Netlify sites as ada@example.com" || len(rep.Partial) != 0 {
		t.Errorf("%+v", rep)
	}
}

func TestAnalyzeBoundPartialInvalid(t *testing.T) {
	s, hits := fake(t, 0, 0)
	rep, err := Analyzer{}.Analyze(context.Background(), s.Client("netlify", 5*time.Second), verify.Request{Secret: token})
	if err != nil || hits.Load() != analyze.MaxPages || rep.Count("site") != analyze.MaxPages || len(rep.Partial) != 1 || !strings.Contains(rep.Partial[0], "stopped after 20 pages") {
		t.Fatalf("%d hits %+v %v", hits.Load(), rep, err)
	}
	s, _ = fake(t, 1, http.StatusForbidden)
	rep, err = Analyzer{}.Analyze(context.Background(), s.Client("netlify", 5*time.Second), verify.Request{Secret: token})
	if err != nil || len(rep.Partial) != 1 || rep.Partial[0] != "/api/v1/sites answered HTTP 403" || rep.Severity != analyze.SeverityInfo {
		t.Fatalf("%+v %v", rep, err)
	}
	bad := token[:len(token)-1] + "m"
	rep, err = Analyzer{}.Analyze(context.Background(), s.Client("netlify", 5*time.Second), verify.Request{Secret: bad})
	if err == nil || rep != nil || strings.Contains(err.Error(), bad) {
		t.Fatalf("%+v %v", rep, err)
	}
}
