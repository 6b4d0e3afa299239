package buildkite

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

const token = "bkua_6f1c2d3e4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d"

// fake answers as Buildkite's REST API: the token's scopes, two
// organizations, pipelines in Link-paginated pages (the second
// organization's listing answers pipelinesStatus when set).
func fake(t *testing.T, scopes string, pipelinesStatus int, rateLimitOnce bool) (*vt.Server, *atomic.Int64) {
	var limited atomic.Int64
	var s *vt.Server
	s = vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("Authorization") != "Bearer "+token {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"message":"Authentication required. Please supply a valid API Access Token: https://buildkite.com/docs/apis/rest-api#authentication"}`)
			return
		}
		switch {
		case r.URL.Path == "/v2/access-token":
			if rateLimitOnce && limited.Add(1) == 1 {
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(http.StatusTooManyRequests)
				fmt.Fprint(w, `{"message":"You have hit the rate limit"}`)
				return
			}
			fmt.Fprintf(w, `{"uuid":"b63254c0-3271-4a98-8270-7cfbd6c2f14e","scopes":[%s],"description":"ci","created_at":"2025-01-01T00:00:00Z"}`, scopes)
		case r.URL.Path == "/v2/organizations":
			fmt.Fprint(w, `[{"id":"7","slug":"acme","name":"Acme"},{"id":"8","slug":"labs","name":"Acme Labs"}]`)
		case r.URL.Path == "/v2/organizations/acme/pipelines":
			if r.URL.Query().Get("page") == "2" {
				fmt.Fprint(w, `[{"slug":"deploy","name":"Deploy"}]`)
				return
			}
			w.Header().Set("Link", fmt.Sprintf(`<%s/v2/organizations/acme/pipelines?page=2&per_page=100>; rel="next", <%s/v2/organizations/acme/pipelines?page=2&per_page=100>; rel="last"`, s.URL, s.URL))
			fmt.Fprint(w, `[{"slug":"api","name":"API"},{"slug":"web","name":"Web"}]`)
		case r.URL.Path == "/v2/organizations/labs/pipelines":
			if pipelinesStatus != 0 {
				w.WriteHeader(pipelinesStatus)
				fmt.Fprint(w, `{"message":"Forbidden"}`)
				return
			}
			fmt.Fprint(w, `[{"slug":"research","name":"Research"}]`)
		default:
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"message":"No route matches"}`)
		}
	})
	return s, &limited
}

func analyzeWith(t *testing.T, s *vt.Server, secret string) (*analyze.Report, error) {
	return Analyzer{}.Analyze(context.Background(), s.Client("buildkite", 10*time.Second), verify.Request{RuleID: "buildkite-api-token", Secret: secret})
}

func TestAnalyzeWriteToken(t *testing.T) {
	s, _ := fake(t, `"read_organizations","read_pipelines","read_builds","write_builds"`, 0, false)
	rep, err := analyzeWith(t, s, token)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Severity != analyze.SeverityWrite || rep.Worst != "can start builds (code on the agents, with their secrets) of 4 pipelines in 2 organizations" {
		t.Errorf("severity %s, worst %q", rep.Severity, rep.Worst)
	}
	if rep.Identity != "token b63254c0-3271-4a98-8270-7cfbd6c2f14e" || len(rep.Scopes) != 4 || rep.Count("pipeline") != 4 || rep.Count("organization") != 2 || len(rep.Partial) != 0 {
		t.Errorf("%+v", rep)
	}
	if r := rep.Resources[2]; r.Kind != "pipeline" || r.Name != "acme/api" || strings.Join(r.Permissions, ",") != "read_builds,read_pipelines,write_builds" {
		t.Errorf("first pipeline %+v", r)
	}
}

func TestAnalyzePartialAndRateLimit(t *testing.T) {
	s, limited := fake(t, `"read_organizations","read_pipelines","write_pipelines"`, http.StatusForbidden, true)
	rep, err := analyzeWith(t, s, token)
	if err != nil {
		t.Fatal(err)
	}
	if limited.Load() < 2 {
		t.Errorf("the 429 was not retried")
	}
	if rep.Severity != analyze.SeverityAdmin || len(rep.Partial) != 1 || !strings.Contains(rep.Partial[0], "pipelines of labs") || !strings.Contains(rep.Partial[0], "403") {
		t.Errorf("severity %s, partial %v", rep.Severity, rep.Partial)
	}
	if rep.Count("pipeline") != 3 {
		t.Errorf("%d pipelines, want acme's 3", rep.Count("pipeline"))
	}
}

func TestAnalyzeWithoutOrganizationsScope(t *testing.T) {
	s, _ := fake(t, `"read_builds"`, 0, false)
	rep, err := analyzeWith(t, s, token)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Severity != analyze.SeverityRead || len(rep.Resources) != 0 || len(rep.Partial) != 1 || s.Hits.Load() != 1 {
		t.Errorf("%+v, %d requests", rep, s.Hits.Load())
	}
}

func TestAnalyzeInvalidToken(t *testing.T) {
	s, _ := fake(t, `"read_builds"`, 0, false)
	const bad = "bkua_0000000000000000000000000000000000000000"
	rep, err := analyzeWith(t, s, bad)
	if err == nil || rep != nil || strings.Contains(err.Error(), bad) || s.Hits.Load() != 1 {
		t.Fatalf("rep %+v, err %v, %d requests", rep, err, s.Hits.Load())
	}
}
