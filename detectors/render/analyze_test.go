package render

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/verify"
	vt "github.com/achilles-sec/achilles/detectors/verify/verifytest"
)

const key = "rnd_yc6d41VDq2cgIDejiNaDgxKgOwMUmZjI"

// fake answers as Render's API: two owners (the user and a team), services
// in full pages of 100 while endless, else a full page then one service;
// servicesStatus answers /v1/services (0: ok); the first /v1/owners is a
// 429 when limitOnce.
type fake struct {
	endless        bool
	servicesStatus int
	limitOnce      bool
	ownerHits      atomic.Int64
	serviceHits    atomic.Int64
}

func (f *fake) server(t *testing.T) *vt.Server {
	return vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("Authorization") != "Bearer "+key {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"id":"unauthorized","message":"unauthorized"}`)
			return
		}
		q := r.URL.Query()
		if q.Get("limit") != "100" {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"id":"invalid","message":"limit must be between 1 and 100"}`)
			return
		}
		switch r.URL.Path {
		case "/v1/owners":
			if f.ownerHits.Add(1) == 1 && f.limitOnce {
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(http.StatusTooManyRequests)
				fmt.Fprint(w, `{"id":"rate_limited","message":"rate limit exceeded"}`)
				return
			}
			fmt.Fprint(w, `[{"owner":{"id":"usr-c1a2b3d4e5f6g7h8i9j0","name":"Ada Lovelace","email":"ada@example.com","type":"user"},"cursor":"b3duZXIx"},{"owner":{"id":"tea-d1e2f3a4b5c6d7e8f9a0","name":"Acme","email":"ops@example.com","type":"team"},"cursor":"b3duZXIy"}]`)
		case "/v1/services":
			page := f.serviceHits.Add(1)
			if f.servicesStatus != 0 {
				w.WriteHeader(f.servicesStatus)
				fmt.Fprint(w, `{"id":"forbidden","message":"forbidden"}`)
				return
			}
			if page > 1 && q.Get("cursor") != fmt.Sprintf("c%d-%d", page-1, 100) {
				w.WriteHeader(http.StatusBadRequest)
				fmt.Fprint(w, `{"id":"invalid","message":"bad cursor"}`)
				return
			}
			n := 100
			if page == 2 && !f.endless {
				n = 1
			}
			items := make([]string, n)
			for i := range items {
				owner := "tea-d1e2f3a4b5c6d7e8f9a0"
				if i%2 == 1 {
					owner = "usr-c1a2b3d4e5f6g7h8i9j0"
				}
				items[i] = fmt.Sprintf(`{"service":{"id":"srv-%d-%d","name":"svc-%d-%d","type":"web_service","ownerId":"%s","suspended":"not_suspended","autoDeploy":"yes"},"cursor":"c%d-%d"}`, page, i+1, page, i+1, owner, page, i+1)
			}
			fmt.Fprint(w, "["+strings.Join(items, ",")+"]")
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	})
}

func run(t *testing.T, f *fake, secret string) (*analyze.Report, error) {
	return Analyzer{}.Analyze(context.Background(), f.server(t).Client("render", 5*time.Second), verify.Request{Secret: secret})
}

func TestAnalyzeFullPaged(t *testing.T) {
	f := &fake{limitOnce: true}
	rep, err := run(t, f, key)
	if err != nil {
		t.Fatal(err)
	}
	if f.ownerHits.Load() != 2 || f.serviceHits.Load() != 2 || rep.Count("service") != 101 || rep.Count("workspace") != 2 {
		t.Fatalf("%d owner hits, %d service hits, %d services", f.ownerHits.Load(), f.serviceHits.Load(), rep.Count("service"))
	}
	first := rep.Resources[0]
	if first.Kind != "service" || first.Name != "Acme/svc-1-1 (web_service)" || fmt.Sprint(first.Permissions) != "[deploy environment variables]" {
		t.Errorf("first resource %+v", first)
	}
	if rep.Identity != "ada@example.com" || rep.Severity != analyze.SeverityWrite || len(rep.Partial) != 0 ||
		rep.Worst != "can deploy and read the environment of 101 Render services in 2 workspaces" {
		t.Errorf("%+v", rep.Worst)
	}
}

func TestAnalyzeBound(t *testing.T) {
	f := &fake{endless: true}
	rep, err := run(t, f, key)
	if err != nil || f.serviceHits.Load() != analyze.MaxPages || rep.Count("service") != 100*analyze.MaxPages || fmt.Sprint(rep.Partial) != "[/v1/services: stopped after 20 pages]" {
		t.Fatalf("%d hits %v %v", f.serviceHits.Load(), rep.Partial, err)
	}
}

func TestAnalyzePartial(t *testing.T) {
	rep, err := run(t, &fake{servicesStatus: http.StatusForbidden}, key)
	if err != nil || fmt.Sprint(rep.Partial) != "[/v1/services answered HTTP 403]" || rep.Severity != analyze.SeverityInfo || rep.Count("workspace") != 2 {
		t.Fatalf("%+v %v", rep, err)
	}
}

func TestAnalyzeInvalid(t *testing.T) {
	bad := key[:len(key)-1] + "Q"
	rep, err := run(t, &fake{}, bad)
	if err == nil || rep != nil || strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "401") {
		t.Fatalf("%+v %v", rep, err)
	}
}
