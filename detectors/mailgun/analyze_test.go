package mailgun

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

const mgKey = "key-3ax6xnjp29jd6fds4gc373sgvjxteol0"

// fakeMailgun answers as Mailgun's domains API: basic auth "api" and the
// key, 401 "Forbidden" otherwise; total domains, pages of limit from skip.
func fakeMailgun(t *testing.T, total int, failSkip int, limitOnce *atomic.Bool) *vt.Server {
	return vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if u, p, ok := r.BasicAuth(); !ok || u != "api" || p != mgKey {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, "Forbidden")
			return
		}
		if limitOnce != nil && limitOnce.CompareAndSwap(true, false) {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		if r.URL.Path != "/v3/domains" {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		skip, _ := strconv.Atoi(r.URL.Query().Get("skip"))
		if skip == failSkip {
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprint(w, `{"message":"internal error"}`)
			return
		}
		var items []string
		for i := skip; i < total && i < skip+limit; i++ {
			state := "active"
			if i == 1 {
				state = "unverified"
			}
			items = append(items, fmt.Sprintf(`{"name":"mg%d.acme.example","state":"%s","type":"custom","is_disabled":false,"spam_action":"disabled"}`, i, state))
		}
		fmt.Fprintf(w, `{"total_count":%d,"items":[%s]}`, total, strings.Join(items, ","))
	})
}

func analyzeMG(s *vt.Server, key string) (*analyze.Report, error) {
	return Analyzer{}.Analyze(context.Background(), s.Client("mailgun", 5*time.Second), verify.Request{Secret: key})
}

func TestAnalyzeTwoPages(t *testing.T) {
	s := fakeMailgun(t, 150, -1, nil)
	rep, err := analyzeMG(s, mgKey)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Count("domain") != 150 || s.Hits.Load() != 2 || rep.Identity != "the Mailgun account of mg0.acme.example" {
		t.Errorf("%d domains in %d requests, identity %q", rep.Count("domain"), s.Hits.Load(), rep.Identity)
	}
	if rep.Worst != "full access to the Mailgun account: sends mail from 149 active of its 150 domains and manages keys and webhooks" || rep.Severity != analyze.SeverityAdmin {
		t.Errorf("worst %q", rep.Worst)
	}
}

func TestAnalyzeStopsAtPageLimit(t *testing.T) {
	s := fakeMailgun(t, 100000, -1, nil)
	rep, err := analyzeMG(s, mgKey)
	if err != nil {
		t.Fatal(err)
	}
	if s.Hits.Load() != analyze.MaxPages || len(rep.Partial) != 1 {
		t.Errorf("%d requests, partial %v", s.Hits.Load(), rep.Partial)
	}
}

func TestAnalyzePartialAndRateLimit(t *testing.T) {
	var once atomic.Bool
	once.Store(true)
	rep, err := analyzeMG(fakeMailgun(t, 150, 100, &once), mgKey)
	if err != nil {
		t.Fatal(err)
	}
	if once.Load() || rep.Count("domain") != 100 || len(rep.Partial) != 1 || !strings.Contains(rep.Partial[0], "500") {
		t.Errorf("%d domains, partial %v", rep.Count("domain"), rep.Partial)
	}
}

func TestAnalyzeInvalidKey(t *testing.T) {
	wrong := mgKey[:len(mgKey)-1] + "Q"
	rep, err := analyzeMG(fakeMailgun(t, 1, -1, nil), wrong)
	if err == nil || rep != nil || strings.Contains(err.Error(), wrong) {
		t.Fatalf("%+v, %v", rep, err)
	}
}
