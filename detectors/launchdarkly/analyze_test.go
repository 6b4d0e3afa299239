package launchdarkly

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

const token = "api-3f6c1d2e-4a5b-4c7d-8e9f-0a1b2c3d4e5f"

type opts struct {
	role          string
	tokenStatus   int
	endless       bool
	nextElsewhere bool
	rateLimitOnce bool
}

// fake answers as LaunchDarkly's REST API: the raw token in Authorization,
// caller identity, the token with its role, projects in pages of two with
// _links.next.
func fake(t *testing.T, o opts) (*vt.Server, *atomic.Int64) {
	var limited atomic.Int64
	return vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("Authorization") != token {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"code":"unauthorized","message":"Invalid access token"}`)
			return
		}
		switch r.URL.Path {
		case "/api/v2/caller-identity":
			if o.rateLimitOnce && limited.Add(1) == 1 {
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(http.StatusTooManyRequests)
				fmt.Fprint(w, `{"code":"rate_limited","message":"Rate limited"}`)
				return
			}
			fmt.Fprint(w, `{"accountId":"57b35f38c32cf4a6ad0000a3","authKind":"token","tokenId":"61e8a2c3d5f0b1a2c3d4e5f6","tokenName":"ci-deploy","tokenKind":"service","serviceToken":true}`)
		case "/api/v2/tokens/61e8a2c3d5f0b1a2c3d4e5f6":
			if o.tokenStatus != 0 {
				w.WriteHeader(o.tokenStatus)
				fmt.Fprint(w, `{"code":"forbidden","message":"Access to the requested resource was denied"}`)
				return
			}
			fmt.Fprintf(w, `{"_id":"61e8a2c3d5f0b1a2c3d4e5f6","name":"ci-deploy","role":%q,"serviceToken":true,"defaultApiVersion":20220603}`, o.role)
		case "/api/v2/projects":
			off := r.URL.Query().Get("offset")
			switch {
			case o.nextElsewhere:
				fmt.Fprint(w, `{"items":[{"key":"web","name":"Web"}],"_links":{"next":{"href":"https://evil.example/api/v2/projects?offset=2"}}}`)
			case o.endless:
				fmt.Fprintf(w, `{"items":[{"key":"p%s","name":"P"}],"_links":{"next":{"href":"/api/v2/projects?limit=20&offset=%sx"}}}`, off, off)
			case off == "":
				fmt.Fprint(w, `{"items":[{"key":"web","name":"Web"},{"key":"mobile","name":"Mobile"}],"totalCount":3,"_links":{"next":{"href":"/api/v2/projects?limit=20&offset=2","type":"application/json"}}}`)
			default:
				fmt.Fprint(w, `{"items":[{"key":"billing","name":"Billing"}],"totalCount":3,"_links":{}}`)
			}
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}), &limited
}

func analyzeWith(s *vt.Server, secret string) (*analyze.Report, error) {
	return Analyzer{}.Analyze(context.Background(), s.Client("launchdarkly", 10*time.Second), verify.Request{RuleID: "launchdarkly-api-token", Secret: secret})
}

func TestAnalyzeWriterWithPages(t *testing.T) {
	s, limited := fake(t, opts{role: "writer", rateLimitOnce: true})
	rep, err := analyzeWith(s, token)
	if err != nil {
		t.Fatal(err)
	}
	if limited.Load() < 2 {
		t.Error("the 429 was not retried")
	}
	if rep.Severity != analyze.SeverityWrite || rep.Worst != "can turn feature flags on and off (production included) in 3 LaunchDarkly projects" {
		t.Errorf("severity %s, worst %q", rep.Severity, rep.Worst)
	}
	if rep.Identity != "ci-deploy (account 57b35f38c32cf4a6ad0000a3)" || rep.Kind != "service access token" || rep.Count("project") != 3 ||
		strings.Join(rep.Scopes, ",") != "role:writer" || len(rep.Partial) != 0 {
		t.Errorf("%+v", rep)
	}
}

func TestAnalyzeAdminAndPartial(t *testing.T) {
	s, _ := fake(t, opts{role: "admin"})
	if rep, err := analyzeWith(s, token); err != nil || rep.Severity != analyze.SeverityAdmin || !strings.HasPrefix(rep.Worst, "admin of the LaunchDarkly account") {
		t.Fatalf("%+v %v", rep, err)
	}
	s, _ = fake(t, opts{tokenStatus: http.StatusForbidden})
	rep, err := analyzeWith(s, token)
	if err != nil || rep.Severity != analyze.SeverityRead || len(rep.Partial) != 1 || !strings.Contains(rep.Partial[0], "403") || rep.Count("project") != 3 {
		t.Fatalf("%+v %v", rep, err)
	}
}

func TestAnalyzePagingBoundsAndHost(t *testing.T) {
	s, _ := fake(t, opts{role: "reader", endless: true})
	rep, err := analyzeWith(s, token)
	if err != nil || rep.Count("project") != analyze.MaxPages || len(rep.Partial) != 1 || !strings.Contains(rep.Partial[0], "stopped after") {
		t.Fatalf("%+v %v", rep, err)
	}
	s, _ = fake(t, opts{role: "reader", nextElsewhere: true})
	rep, err = analyzeWith(s, token)
	if err != nil || len(rep.Partial) != 1 || !strings.Contains(rep.Partial[0], "another host") {
		t.Fatalf("%+v %v", rep, err)
	}
}

func TestAnalyzeInvalidToken(t *testing.T) {
	s, _ := fake(t, opts{role: "reader"})
	const bad = "api-00000000-0000-4000-8000-000000000000"
	rep, err := analyzeWith(s, bad)
	if err == nil || rep != nil || strings.Contains(err.Error(), bad) || s.Hits.Load() != 1 {
		t.Fatalf("rep %+v, err %v, %d requests", rep, err, s.Hits.Load())
	}
}
