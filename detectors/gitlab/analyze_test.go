package gitlab

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

// fakeGitLab answers as the GitLab REST API v4 does: 401 {"message":"401
// Unauthorized"} without the PRIVATE-TOKEN header, Link pagination.
type fakeGitLab struct {
	scopes   string
	override map[string]http.HandlerFunc
	hits     atomic.Int64
}

func (f *fakeGitLab) handler(t *testing.T) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f.hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		if r.Method != http.MethodGet {
			t.Errorf("%s %s: only GET is read-only", r.Method, r.URL.Path)
		}
		if r.Header.Get("PRIVATE-TOKEN") != tok {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"message":"401 Unauthorized"}`)
			return
		}
		if h, ok := f.override[r.URL.Path]; ok {
			h(w, r)
			return
		}
		scopes := f.scopes
		if scopes == "" {
			scopes = `"api","read_repository"`
		}
		switch r.URL.Path {
		case "/api/v4/personal_access_tokens/self":
			fmt.Fprintf(w, `{"id":42,"name":"ci-deploy","revoked":false,"created_at":"2024-01-01T00:00:00.000Z","scopes":[%s],"user_id":7,"last_used_at":null,"active":true,"expires_at":"2027-01-01"}`, scopes)
		case "/api/v4/user":
			fmt.Fprint(w, `{"id":7,"username":"ada","name":"Ada Lovelace","state":"active","bot":false,"is_admin":false}`)
		case "/api/v4/projects":
			q := r.URL.Query()
			if q.Get("min_access_level") != "10" || q.Get("pagination") != "keyset" {
				t.Errorf("projects query %q", r.URL.RawQuery)
			}
			if q.Get("id_after") == "" {
				w.Header().Set("Link", `<https://`+r.Host+`/api/v4/projects?id_after=2&min_access_level=10&order_by=id&pagination=keyset&per_page=100&sort=asc>; rel="next"`)
				fmt.Fprint(w, `[{"id":1,"path_with_namespace":"acme/api","visibility":"private","permissions":{"project_access":{"access_level":30,"notification_level":3},"group_access":{"access_level":50,"notification_level":3}}},
					{"id":2,"path_with_namespace":"acme/web","visibility":"internal","permissions":{"project_access":{"access_level":30,"notification_level":3},"group_access":null}}]`)
				return
			}
			fmt.Fprint(w, `[{"id":3,"path_with_namespace":"oss/lib","visibility":"public","permissions":{"project_access":{"access_level":20,"notification_level":3},"group_access":null}}]`)
		case "/api/v4/groups":
			switch r.URL.Query().Get("min_access_level") {
			case "10":
				fmt.Fprint(w, `[{"id":5,"name":"acme","full_path":"acme"},{"id":6,"name":"oss","full_path":"oss"}]`)
			case "40", "50":
				fmt.Fprint(w, `[{"id":5,"name":"acme","full_path":"acme"}]`)
			}
		default:
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"message":"404 Not Found"}`)
		}
	}
}

func run(t *testing.T, f *fakeGitLab, secret string, timeout time.Duration) (*analyze.Report, error) {
	t.Helper()
	s := vt.NewServer(t, f.handler(t))
	return Analyzer{}.Analyze(context.Background(), s.Client("gitlab", timeout), verify.Request{RuleID: "gitlab-pat", Secret: secret})
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
	rep, err := run(t, &fakeGitLab{}, tok, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Identity != "ada (token ci-deploy), expires 2027-01-01" || rep.Kind != "access token" {
		t.Errorf("identity %q kind %q", rep.Identity, rep.Kind)
	}
	for _, c := range []struct{ kind, name, want string }{
		{"token", "ci-deploy", "api,read_repository"},
		{"project", "acme/api", "owner,private"},
		{"project", "acme/web", "developer,internal"},
		{"project", "oss/lib", "public,reporter"}, // from the second page
		{"group", "acme", "owner"},
		{"group", "oss", "member"},
	} {
		if got := perms(rep, c.kind, c.name); got != c.want {
			t.Errorf("%s %s: %q, want %q", c.kind, c.name, got, c.want)
		}
	}
	if want := "owner of 1 group, maintainer or owner of 1 project, can push to 2 projects"; rep.Worst != want {
		t.Errorf("worst %q, want %q", rep.Worst, want)
	}
	if rep.Severity != analyze.SeverityAdmin || len(rep.Partial) != 0 {
		t.Errorf("severity %v partial %q", rep.Severity, rep.Partial)
	}
}

func TestAnalyzeReadOnlyScopes(t *testing.T) {
	rep, err := run(t, &fakeGitLab{scopes: `"read_api"`}, tok, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Severity != analyze.SeverityRead || !strings.HasPrefix(rep.Worst, "reads 3 projects (developer or above on 2, but the token's scopes are read-only") {
		t.Errorf("worst %q severity %v", rep.Worst, rep.Severity)
	}
}

func TestAnalyzeStopsAtPageBound(t *testing.T) {
	var pages atomic.Int64
	f := &fakeGitLab{override: map[string]http.HandlerFunc{
		"/api/v4/projects": func(w http.ResponseWriter, r *http.Request) {
			n := pages.Add(1)
			w.Header().Set("Link", `<https://`+r.Host+`/api/v4/projects?id_after=`+strconv.FormatInt(n, 10)+`&pagination=keyset>; rel="next"`)
			fmt.Fprintf(w, `[{"id":%d,"path_with_namespace":"acme/p%d","permissions":{"project_access":{"access_level":10},"group_access":null}}]`, n, n)
		},
	}}
	rep, err := run(t, f, tok, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if pages.Load() != analyze.MaxPages || rep.Count("project") != analyze.MaxPages {
		t.Errorf("%d pages, %d projects", pages.Load(), rep.Count("project"))
	}
	if !strings.Contains(strings.Join(rep.Partial, "\n"), "projects: stopped after 20 pages") {
		t.Errorf("partial %q", rep.Partial)
	}
}

func TestAnalyzePartialFailure(t *testing.T) {
	f := &fakeGitLab{override: map[string]http.HandlerFunc{
		"/api/v4/user": func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `{"error":"insufficient_scope","error_description":"The request requires higher privileges than provided by the access token.","scope":"api read_user"}`)
		},
		"/api/v4/groups": func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprint(w, `{"message":"500 Internal Server Error"}`)
		},
	}}
	rep, err := run(t, f, tok, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	p := strings.Join(rep.Partial, "\n")
	if !strings.Contains(p, "user: /api/v4/user answered HTTP 403") || !strings.Contains(p, "groups (min_access_level=10): /api/v4/groups answered HTTP 500") {
		t.Errorf("partial %q", p)
	}
	if rep.Count("project") != 3 || rep.Count("group") != 0 || !strings.HasPrefix(rep.Identity, "unknown user") {
		t.Errorf("report %+v", rep)
	}
}

func TestAnalyzeRateLimited(t *testing.T) {
	var limited atomic.Bool
	f := &fakeGitLab{}
	inner := f.handler(t)
	s := vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v4/projects" && limited.CompareAndSwap(false, true) {
			w.Header().Set("Retry-After", "1")
			w.Header().Set("RateLimit-Remaining", "0")
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprint(w, `{"message":"Retry later"}`)
			return
		}
		inner(w, r)
	})
	rep, err := Analyzer{}.Analyze(context.Background(), s.Client("gitlab", 10*time.Second), verify.Request{Secret: tok})
	if err != nil {
		t.Fatal(err)
	}
	if !limited.Load() || rep.Count("project") != 3 || len(rep.Partial) != 0 {
		t.Errorf("projects %d partial %q", rep.Count("project"), rep.Partial)
	}
}

func TestAnalyzeInvalidToken(t *testing.T) {
	const wrong = "glpat-Wr0ngWr0ngWr0ngWr0ng"
	f := &fakeGitLab{}
	rep, err := run(t, f, wrong, 5*time.Second)
	if err == nil || rep != nil {
		t.Fatalf("report for a rejected token: %+v", rep)
	}
	if strings.Contains(err.Error(), wrong) || !strings.Contains(err.Error(), "401") || f.hits.Load() != 1 {
		t.Errorf("error %q after %d requests", err, f.hits.Load())
	}
}

func TestAnalyzeRunnerTokenNotSent(t *testing.T) {
	f := &fakeGitLab{}
	if _, err := run(t, f, "glrt-t1_Zx8Qm2Lp7Rt4Vw9Yb3Nc", 5*time.Second); err == nil || f.hits.Load() != 0 {
		t.Errorf("runner token: err %v, %d requests", err, f.hits.Load())
	}
}
