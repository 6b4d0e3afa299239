package npm

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

const tok = "npm_Q2x9LmP4vR7sT1uW3yZ5aB8cD6eF0g1h2i3j"

// fakeRegistry answers as registry.npmjs.org does: 401 without the Bearer
// token, packages as a name → access object.
type fakeRegistry struct {
	readonly bool
	override map[string]http.HandlerFunc
	hits     atomic.Int64
}

func (f *fakeRegistry) handler(t *testing.T) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f.hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		if r.Method != http.MethodGet {
			t.Errorf("%s %s: only GET is read-only", r.Method, r.URL.Path)
		}
		if r.Header.Get("Authorization") != "Bearer "+tok {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":"Unauthorized"}`)
			return
		}
		if h, ok := f.override[r.URL.Path]; ok {
			h(w, r)
			return
		}
		switch r.URL.Path {
		case "/-/whoami":
			fmt.Fprint(w, `{"username":"ada"}`)
		case "/-/npm/v1/tokens":
			fmt.Fprintf(w, `{"objects":[
				{"token":"npm_Q2…","key":"c03241a9e5","cidr_whitelist":["192.168.0.1/24"],"readonly":%t,"automation":false,"created":"2024-10-02T00:00:00.000Z","updated":"2024-10-02T00:00:00.000Z"},
				{"token":"npm_af…","key":"7f3134bb01","cidr_whitelist":null,"readonly":true,"automation":false,"created":"2023-10-21T00:00:00.000Z","updated":"2023-10-21T00:00:00.000Z"}],
				"total":2,"urls":{}}`, f.readonly)
		case "/-/user/ada/package":
			fmt.Fprint(w, `{"left-pad-ng":"write","@acme/core":"write","@acme/cli":"write","@globex/sdk":"read"}`)
		case "/-/org/acme/user":
			fmt.Fprint(w, `{"ada":"owner","bob":"developer"}`)
		case "/-/org/globex/user":
			fmt.Fprint(w, `{"ada":"developer","carol":"owner"}`)
		default:
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"error":"Not found"}`)
		}
	}
}

func run(t *testing.T, f *fakeRegistry, secret string) (*analyze.Report, error) {
	t.Helper()
	s := vt.NewServer(t, f.handler(t))
	return Analyzer{}.Analyze(context.Background(), s.Client("npm", 10*time.Second), verify.Request{RuleID: "npm-access-token", Secret: secret})
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
	rep, err := run(t, &fakeRegistry{}, tok)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Identity != "ada" || rep.Kind != "publish token" {
		t.Errorf("identity %q kind %q", rep.Identity, rep.Kind)
	}
	for _, c := range []struct{ kind, name, want string }{
		{"package", "left-pad-ng", "write"},
		{"package", "@acme/core", "write"},
		{"package", "@globex/sdk", "read"},
		{"organization", "acme", "owner"},
		{"organization", "globex", "developer"},
		{"token", "c03241a9e5", "cidr:192.168.0.1/24,publish"},
	} {
		if got := perms(rep, c.kind, c.name); got != c.want {
			t.Errorf("%s %s: %q, want %q", c.kind, c.name, got, c.want)
		}
	}
	if rep.Worst != "owner of 1 npm organization and can publish 3 packages" || rep.Severity != analyze.SeverityAdmin {
		t.Errorf("worst %q severity %v", rep.Worst, rep.Severity)
	}
	if len(rep.Partial) != 0 {
		t.Errorf("partial %q", rep.Partial)
	}
}

func TestAnalyzeReadOnlyToken(t *testing.T) {
	rep, err := run(t, &fakeRegistry{readonly: true}, tok)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Kind != "read-only token" || rep.Worst != "installs 4 packages (the token is read-only)" || rep.Severity != analyze.SeverityRead {
		t.Errorf("kind %q worst %q severity %v", rep.Kind, rep.Worst, rep.Severity)
	}
}

func TestAnalyzePartialFailure(t *testing.T) {
	f := &fakeRegistry{override: map[string]http.HandlerFunc{
		"/-/npm/v1/tokens": func(w http.ResponseWriter, r *http.Request) {
			// Listing tokens needs a one-time password when 2FA covers it.
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `{"error":"You must provide a one-time pass. Upgrade your client to npm@latest in order to use 2FA."}`)
		},
		"/-/org/globex/user": func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprint(w, `{"error":"internal server error"}`)
		},
	}}
	rep, err := run(t, f, tok)
	if err != nil {
		t.Fatal(err)
	}
	p := strings.Join(rep.Partial, "\n")
	if !strings.Contains(p, "token flags: /-/npm/v1/tokens answered HTTP 403") || !strings.Contains(p, "organization globex: /-/org/globex/user answered HTTP 500") {
		t.Errorf("partial %q", p)
	}
	if rep.Count("package") != 4 || perms(rep, "organization", "acme") != "owner" {
		t.Errorf("resources %+v", rep.Resources)
	}
}

func TestAnalyzeRateLimited(t *testing.T) {
	var limited atomic.Bool
	f := &fakeRegistry{}
	inner := f.handler(t)
	s := vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/-/user/ada/package" && limited.CompareAndSwap(false, true) {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprint(w, `{"error":"Too Many Requests"}`)
			return
		}
		inner(w, r)
	})
	rep, err := Analyzer{}.Analyze(context.Background(), s.Client("npm", 10*time.Second), verify.Request{Secret: tok})
	if err != nil {
		t.Fatal(err)
	}
	if !limited.Load() || rep.Count("package") != 4 || len(rep.Partial) != 0 {
		t.Errorf("packages %d partial %q", rep.Count("package"), rep.Partial)
	}
}

func TestAnalyzeInvalidToken(t *testing.T) {
	const wrong = "npm_Wr0ngWr0ngWr0ngWr0ngWr0ngWr0ngWr0ng00"
	f := &fakeRegistry{}
	rep, err := run(t, f, wrong)
	if err == nil || rep != nil {
		t.Fatalf("report for a rejected token: %+v", rep)
	}
	if strings.Contains(err.Error(), wrong) || !strings.Contains(err.Error(), "401") || f.hits.Load() != 1 {
		t.Errorf("error %q after %d requests", err, f.hits.Load())
	}
}
