package sentry

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

const tok = "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"

// fakeSentry answers as sentry.io's API does: 401 {"detail":"Invalid
// token"} without the Bearer token; Link headers with a next cursor on
// every page and results="false" on the last.
type fakeSentry struct {
	scopes      string
	endless     bool
	failProject bool
	limitOnce   bool
	limited     atomic.Bool
	hits        atomic.Int64
}

func (f *fakeSentry) handler(t *testing.T) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f.hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		if r.Method != http.MethodGet {
			t.Errorf("%s %s", r.Method, r.URL.Path)
		}
		if r.Header.Get("Authorization") != "Bearer "+tok {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"detail":"Invalid token"}`)
			return
		}
		link := func(cursor string, more bool) {
			w.Header().Set("Link", fmt.Sprintf(`<https://%s%s?&cursor=0:0:1>; rel="previous"; results="false"; cursor="0:0:1", <https://%s%s?&cursor=%s>; rel="next"; results="%t"; cursor="%s"`,
				r.Host, r.URL.Path, r.Host, r.URL.Path, cursor, more, cursor))
		}
		cursor := r.URL.Query().Get("cursor")
		switch r.URL.Path {
		case "/api/0/":
			scopes := f.scopes
			if scopes == "" {
				scopes = `"org:read","project:read","project:releases","event:read"`
			}
			fmt.Fprintf(w, `{"version":"0","auth":{"scopes":[%s]},"user":{"id":"1","name":"Ada","username":"ada","email":"ada@example.com"}}`, scopes)
		case "/api/0/organizations/":
			link("100:1:0", false)
			fmt.Fprint(w, `[{"id":"2","slug":"acme","name":"Acme"}]`)
		case "/api/0/projects/":
			if f.limitOnce && f.limited.CompareAndSwap(false, true) {
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(http.StatusTooManyRequests)
				fmt.Fprint(w, `{"detail":"You are attempting to use this endpoint too frequently. Limit is 40 requests in 1 seconds"}`)
				return
			}
			if f.failProject {
				w.WriteHeader(http.StatusForbidden)
				fmt.Fprint(w, `{"detail":"You do not have permission to perform this action."}`)
				return
			}
			if f.endless {
				link(cursor+"x", true)
				fmt.Fprintf(w, `[{"id":"%d","slug":"p%d","organization":{"slug":"acme"}}]`, len(cursor), len(cursor))
				return
			}
			if cursor == "" {
				link("0:100:0", true)
				fmt.Fprint(w, `[{"id":"3","slug":"backend","organization":{"id":"2","slug":"acme"}}]`)
				return
			}
			link("0:200:0", false)
			fmt.Fprint(w, `[{"id":"4","slug":"frontend","organization":{"id":"2","slug":"acme"}}]`)
		default:
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"detail":"The requested resource does not exist"}`)
		}
	}
}

func run(t *testing.T, f *fakeSentry, secret string) (*analyze.Report, error) {
	t.Helper()
	s := vt.NewServer(t, f.handler(t))
	return Analyzer{}.Analyze(context.Background(), s.Client("sentry", 10*time.Second), verify.Request{RuleID: "sentry-auth-token", Secret: secret})
}

func perms(rep *analyze.Report, kind, name string) string {
	for _, r := range rep.Resources {
		if r.Kind == kind && r.Name == name {
			return strings.Join(r.Permissions, ",")
		}
	}
	return "<absent>"
}

func TestAnalyzeFull(t *testing.T) {
	f := &fakeSentry{}
	rep, err := run(t, f, tok)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Identity != "ada@example.com" || rep.Kind != "user auth token" {
		t.Errorf("identity %q kind %q", rep.Identity, rep.Kind)
	}
	if perms(rep, "organization", "acme") != "org:read" || perms(rep, "project", "acme/backend") != "event:read,project:read,project:releases" || perms(rep, "project", "acme/frontend") == "<absent>" {
		t.Errorf("resources %+v", rep.Resources)
	}
	if rep.Worst != "changes Sentry data (project:releases) in 1 organization, 2 projects" || rep.Severity != analyze.SeverityWrite {
		t.Errorf("worst %q severity %v", rep.Worst, rep.Severity)
	}
	// root, one organisations page (results="false" stops it), two project pages
	if f.hits.Load() != 4 || len(rep.Partial) != 0 {
		t.Errorf("%d requests, partial %q", f.hits.Load(), rep.Partial)
	}
}

func TestAnalyzeAdminScopesAndBound(t *testing.T) {
	f := &fakeSentry{scopes: `"org:admin","project:admin"`, endless: true}
	rep, err := run(t, f, tok)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Count("project") != analyze.MaxPages || !strings.Contains(strings.Join(rep.Partial, ""), "projects: stopped after 20 pages") {
		t.Errorf("%d projects, partial %q", rep.Count("project"), rep.Partial)
	}
	if rep.Severity != analyze.SeverityAdmin || !strings.HasPrefix(rep.Worst, "administers Sentry (org:admin, project:admin)") {
		t.Errorf("worst %q", rep.Worst)
	}
}

func TestAnalyzePartialAndRateLimit(t *testing.T) {
	rep, err := run(t, &fakeSentry{failProject: true}, tok)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Partial) != 1 || !strings.Contains(rep.Partial[0], "projects: /api/0/projects/ answered HTTP 403") || rep.Count("organization") != 1 {
		t.Errorf("partial %q", rep.Partial)
	}
	f := &fakeSentry{limitOnce: true}
	rep, err = run(t, f, tok)
	if err != nil || !f.limited.Load() || rep.Count("project") != 2 || len(rep.Partial) != 0 {
		t.Errorf("after a 429: err %v, %+v", err, rep)
	}
}

func TestAnalyzeInvalidToken(t *testing.T) {
	const wrong = "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"
	f := &fakeSentry{}
	rep, err := run(t, f, wrong)
	if err == nil || rep != nil || strings.Contains(err.Error(), wrong) || !strings.Contains(err.Error(), "401") || f.hits.Load() != 1 {
		t.Errorf("rep %+v err %v after %d requests", rep, err, f.hits.Load())
	}
}

func TestNextPage(t *testing.T) {
	if u, more := nextPage(`<https://sentry.io/api/0/x/?&cursor=0:0:1>; rel="previous"; results="false"; cursor="0:0:1", <https://sentry.io/api/0/x/?&cursor=0:100:0>; rel="next"; results="true"; cursor="0:100:0"`); !more || u != "https://sentry.io/api/0/x/?&cursor=0:100:0" {
		t.Errorf("next %q %v", u, more)
	}
	if _, more := nextPage(`<https://sentry.io/api/0/x/?&cursor=0:100:0>; rel="next"; results="false"; cursor="0:100:0"`); more {
		t.Error(`results="false" followed`)
	}
	if _, ok := underBase("https://sentry.io", "https://evil.example/api/0/x/"); ok {
		t.Error("followed a link to another host")
	}
}
