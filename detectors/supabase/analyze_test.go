package supabase

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

const token = "sbp_54a7b5efa44d0e8011867d074a67284cfb01c5cf"

// fake answers as the Management API; projectsStatus answers /v1/projects
// (0: ok); the first /v1/organizations is a 429 when limitOnce.
type fake struct {
	projectsStatus int
	limitOnce      bool
	orgHits        atomic.Int64
}

func (f *fake) server(t *testing.T) *vt.Server {
	return vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("Authorization") != "Bearer "+token {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"message":"Unauthorized"}`)
			return
		}
		switch r.URL.Path {
		case "/v1/organizations":
			if f.orgHits.Add(1) == 1 && f.limitOnce {
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(http.StatusTooManyRequests)
				fmt.Fprint(w, `{"message":"Too many requests"}`)
				return
			}
			fmt.Fprint(w, `[{"id":"acmecorp","name":"Acme Corp"},{"id":"side","name":"Side Projects"}]`)
		case "/v1/projects":
			if f.projectsStatus != 0 {
				w.WriteHeader(f.projectsStatus)
				fmt.Fprint(w, `{"message":"Forbidden resource"}`)
				return
			}
			fmt.Fprint(w, `[{"id":"abcdefghijklmnopqrst","ref":"abcdefghijklmnopqrst","organization_id":"acmecorp","name":"prod","region":"us-east-1","created_at":"2024-01-01T00:00:00Z","status":"ACTIVE_HEALTHY","database":{"host":"db.abcdefghijklmnopqrst.supabase.co","version":"15.1"}},{"id":"zyxwvutsrqponmlkjihg","organization_id":"side","name":"blog","region":"eu-west-1","created_at":"2024-02-01T00:00:00Z","status":"INACTIVE"}]`)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	})
}

func run(t *testing.T, f *fake, secret string) (*analyze.Report, error) {
	return Analyzer{}.Analyze(context.Background(), f.server(t).Client("supabase", 5*time.Second), verify.Request{Secret: secret})
}

func TestAnalyzeFull(t *testing.T) {
	f := &fake{limitOnce: true}
	rep, err := run(t, f, token)
	if err != nil {
		t.Fatal(err)
	}
	want := "[{organization Acme Corp [member]} {organization Side Projects [member]} {project Acme Corp/prod (abcdefghijklmnopqrst) [manage]} {project Side Projects/blog (zyxwvutsrqponmlkjihg) [manage]}]"
	if got := fmt.Sprint(rep.Resources); got != want {
		t.Errorf("resources %s", got)
	}
	if f.orgHits.Load() != 2 || rep.Identity != "member of Acme Corp, Side Projects" || rep.Severity != analyze.SeverityAdmin || len(rep.Partial) != 0 ||
		rep.Worst != "administers 2 Supabase projects in 2 organisations: databases, API keys (service_role) and settings" {
		t.Errorf("%+v", rep)
	}
}

func TestAnalyzePartial(t *testing.T) {
	rep, err := run(t, &fake{projectsStatus: http.StatusForbidden}, token)
	if err != nil || fmt.Sprint(rep.Partial) != "[/v1/projects answered HTTP 403]" || rep.Count("organization") != 2 || rep.Count("project") != 0 {
		t.Fatalf("%+v %v", rep, err)
	}
}

func TestAnalyzeInvalid(t *testing.T) {
	bad := token[:len(token)-1] + "0"
	rep, err := run(t, &fake{}, bad)
	if err == nil || rep != nil || strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "401") {
		t.Fatalf("%+v %v", rep, err)
	}
}
