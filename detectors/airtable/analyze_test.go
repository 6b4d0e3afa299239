package airtable

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

const tok = "patAbCdEfGhIjKlMn.0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func fake(t *testing.T, override func(w http.ResponseWriter, r *http.Request) bool) *vt.Server {
	return vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Method != http.MethodGet {
			t.Errorf("%s %s: the analyzer must only read", r.Method, r.URL.Path)
		}
		if r.Header.Get("Authorization") != "Bearer "+tok {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":{"type":"AUTHENTICATION_REQUIRED","message":"Authentication required"}}`)
			return
		}
		if override != nil && override(w, r) {
			return
		}
		switch r.URL.Path {
		case "/v0/meta/whoami":
			fmt.Fprint(w, `{"id":"usrL2PNC5o3H4lBEi","email":"ada@example.com","scopes":["data.records:read","data.records:write","schema.bases:read"]}`)
		case "/v0/meta/bases":
			if r.URL.Query().Get("offset") == "" {
				fmt.Fprint(w, `{"bases":[{"id":"appLkNDICXNqxSDhG","name":"Apartment Hunting","permissionLevel":"create"},{"id":"appSW9R5uCNmRmfl6","name":"Project Tracker","permissionLevel":"edit"}],"offset":"itr23sEjsdfEr3282/appSW9R5uCNmRmfl6"}`)
				return
			}
			if r.URL.Query().Get("offset") != "itr23sEjsdfEr3282/appSW9R5uCNmRmfl6" {
				t.Errorf("second page asked with %q", r.URL.RawQuery)
			}
			fmt.Fprint(w, `{"bases":[{"id":"appQ3Z0yCCrr0ewZm","name":"Budget","permissionLevel":"read"}]}`)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	})
}

func run(t *testing.T, s *vt.Server, secret string) (*analyze.Report, error) {
	t.Helper()
	rep, err := Analyzer{}.Analyze(context.Background(), s.Client("airtable", 5*time.Second), verify.Request{Secret: secret})
	if err != nil && strings.Contains(err.Error(), secret) {
		t.Fatalf("error shows the secret: %v", err)
	}
	return rep, err
}

func perms(rep *analyze.Report, kind, name string) string {
	for _, r := range rep.Resources {
		if r.Kind == kind && r.Name == name {
			return strings.Join(r.Permissions, ",")
		}
	}
	return "<absent>"
}

func TestBases(t *testing.T) {
	rep, err := run(t, fake(t, nil), tok)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Identity != "ada@example.com" || perms(rep, "token", "scopes") != "data.records:read,data.records:write,schema.bases:read" {
		t.Errorf("identity %q resources %+v", rep.Identity, rep.Resources)
	}
	if perms(rep, "base", "Apartment Hunting (appLkNDICXNqxSDhG)") != "create" || perms(rep, "base", "Budget (appQ3Z0yCCrr0ewZm)") != "read" {
		t.Errorf("bases over two pages: %+v", rep.Resources)
	}
	if rep.Severity != analyze.SeverityWrite || rep.Worst != "can create, change and delete records in 2 of 3 bases" {
		t.Errorf("worst %q severity %s", rep.Worst, rep.Severity)
	}
}

func TestBoundPartialAndRateLimit(t *testing.T) {
	var pages, who atomic.Int64
	s := fake(t, func(w http.ResponseWriter, r *http.Request) bool {
		switch r.URL.Path {
		case "/v0/meta/whoami":
			if who.Add(1) == 1 {
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(http.StatusTooManyRequests)
				fmt.Fprint(w, `{"errors":[{"error":"RATE_LIMIT_REACHED","message":"Rate limit exceeded. Please try again later"}]}`)
				return true
			}
		case "/v0/meta/bases":
			n := pages.Add(1)
			fmt.Fprintf(w, `{"bases":[{"id":"app%d","name":"B%d","permissionLevel":"read"}],"offset":"itr%d"}`, n, n, n)
			return true
		}
		return false
	})
	rep, err := run(t, s, tok)
	if err != nil {
		t.Fatal(err)
	}
	if who.Load() != 2 || pages.Load() != analyze.MaxPages || rep.Count("base") != analyze.MaxPages {
		t.Errorf("whoami %d, %d pages, %d bases", who.Load(), pages.Load(), rep.Count("base"))
	}
	if len(rep.Partial) != 1 || rep.Partial[0] != "bases: stopped after 20 pages" {
		t.Errorf("partial %q", rep.Partial)
	}

	s = fake(t, func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path == "/v0/meta/bases" {
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `{"error":{"type":"INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND","message":"Invalid permissions, or the requested model was not found."}}`)
			return true
		}
		return false
	})
	rep, err = run(t, s, tok)
	if err != nil || len(rep.Partial) != 1 || rep.Partial[0] != "bases: /v0/meta/bases answered HTTP 403" || rep.Severity != analyze.SeverityRead {
		t.Errorf("partial failure: %+v, %v", rep, err)
	}
}

func TestInvalidToken(t *testing.T) {
	rep, err := run(t, fake(t, nil), tok[:len(tok)-1]+"0")
	if err == nil || rep != nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("an invalid token gave %+v, %v", rep, err)
	}
}
