package github

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

// fakeGitHub answers as the REST API does for a classic token: 401 "Bad
// credentials" without the documented Bearer header, the listings with
// Link pagination.
type fakeGitHub struct {
	secret string
	// override answers a path instead of the default handler.
	override map[string]http.HandlerFunc
	hits     atomic.Int64
}

func (f *fakeGitHub) handler(t *testing.T) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f.hits.Add(1)
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		if r.Method != http.MethodGet {
			t.Errorf("the analyzer sent %s %s: only GET is read-only", r.Method, r.URL.Path)
		}
		if r.Header.Get("Authorization") != "Bearer "+f.secret || r.Header.Get("X-GitHub-Api-Version") == "" {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"message":"Bad credentials","documentation_url":"https://docs.github.com/rest","status":"401"}`)
			return
		}
		if h, ok := f.override[r.URL.Path]; ok {
			h(w, r)
			return
		}
		base := "https://" + r.Host
		switch r.URL.Path {
		case "/user":
			w.Header().Set("X-OAuth-Scopes", "repo, read:org, workflow")
			fmt.Fprint(w, `{"login":"octocat","id":1,"type":"User","site_admin":false,"name":"The Octocat"}`)
		case "/user/memberships/orgs":
			fmt.Fprint(w, `[{"url":"https://api.github.com/orgs/acme/memberships/octocat","state":"active","role":"admin","organization":{"login":"acme","id":10}},
				{"url":"https://api.github.com/orgs/globex/memberships/octocat","state":"active","role":"member","organization":{"login":"globex","id":11}}]`)
		case "/user/repos":
			if r.URL.Query().Get("page") == "2" {
				fmt.Fprint(w, `[{"id":3,"full_name":"globex/docs","private":false,"permissions":{"admin":false,"maintain":false,"push":false,"triage":false,"pull":true}}]`)
				return
			}
			w.Header().Set("Link", `<`+base+`/user/repos?per_page=100&sort=full_name&page=2>; rel="next", <`+base+`/user/repos?per_page=100&sort=full_name&page=2>; rel="last"`)
			fmt.Fprint(w, `[{"id":1,"full_name":"acme/api","private":true,"permissions":{"admin":true,"maintain":true,"push":true,"triage":true,"pull":true}},
				{"id":2,"full_name":"globex/web","private":true,"permissions":{"admin":false,"maintain":false,"push":true,"triage":true,"pull":true}}]`)
		default:
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"message":"Not Found","documentation_url":"https://docs.github.com/rest"}`)
		}
	}
}

func analyzeWith(t *testing.T, f *fakeGitHub, secret string) (*analyze.Report, error) {
	t.Helper()
	s := vt.NewServer(t, f.handler(t))
	return Analyzer{}.Analyze(context.Background(), s.Client("github", 5*time.Second), verify.Request{RuleID: "github-pat", Secret: secret})
}

func permsOf(rep *analyze.Report, kind, name string) string {
	for _, r := range rep.Resources {
		if r.Kind == kind && r.Name == name {
			return strings.Join(r.Permissions, ",")
		}
	}
	return "<absent>"
}

func TestAnalyzeFull(t *testing.T) {
	f := &fakeGitHub{secret: tok}
	rep, err := analyzeWith(t, f, tok)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Analyzer != "github" || rep.Identity != "octocat" || rep.Kind != "personal access token (classic)" {
		t.Errorf("report header %+v", rep)
	}
	if got := permsOf(rep, "token", "scopes"); got != "read:org,repo,workflow" {
		t.Errorf("scopes %q", got)
	}
	if got := permsOf(rep, "organization", "acme"); got != "admin" {
		t.Errorf("acme role %q", got)
	}
	if got := permsOf(rep, "organization", "globex"); got != "member" {
		t.Errorf("globex role %q", got)
	}
	if got := permsOf(rep, "repository", "acme/api"); got != "admin,maintain,private,pull,push,triage" {
		t.Errorf("acme/api %q", got)
	}
	if got := permsOf(rep, "repository", "globex/web"); got != "private,pull,push,triage" {
		t.Errorf("globex/web %q", got)
	}
	// The second page was followed.
	if got := permsOf(rep, "repository", "globex/docs"); got != "pull" {
		t.Errorf("globex/docs (page 2) %q", got)
	}
	if want := "owner of 1 organization, admin of 1 repository, push to 2 repositories, in 2 organizations"; rep.Worst != want {
		t.Errorf("worst %q, want %q", rep.Worst, want)
	}
	if rep.Severity != analyze.SeverityAdmin {
		t.Errorf("severity %v", rep.Severity)
	}
	if len(rep.Partial) != 0 {
		t.Errorf("partial %q", rep.Partial)
	}
}

func TestAnalyzeFineGrainedWithoutMembersAndSSO(t *testing.T) {
	const fg = "github_pat_11ABCDEFG0Q2x9LmP4vR7s_T1uW3yZ5aB8cD6eF0g1h2i3jK4lM5nO6pQ7rS8tU9vW0xY1zA2bC3dE4fG5h"
	f := &fakeGitHub{secret: fg, override: map[string]http.HandlerFunc{
		// Fine-grained tokens send no X-OAuth-Scopes.
		"/user": func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, `{"login":"octocat","id":1,"type":"User"}`)
		},
		"/user/memberships/orgs": func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `{"message":"Resource not accessible by personal access token","documentation_url":"https://docs.github.com/rest/orgs/members","status":"403"}`)
		},
		"/user/orgs": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-GitHub-SSO", "partial-results; organizations=21955855,20582480")
			fmt.Fprint(w, `[{"login":"acme","id":10}]`)
		},
		"/user/repos": func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, `[{"id":2,"full_name":"acme/web","private":true,"permissions":{"admin":false,"maintain":false,"push":true,"triage":true,"pull":true}}]`)
		},
	}}
	rep, err := analyzeWith(t, f, fg)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Kind != "fine-grained personal access token" || permsOf(rep, "token", "scopes") != "<absent>" {
		t.Errorf("kind %q, scopes %q", rep.Kind, permsOf(rep, "token", "scopes"))
	}
	if got := permsOf(rep, "organization", "acme"); got != "member" {
		t.Errorf("acme from /user/orgs %q", got)
	}
	partial := strings.Join(rep.Partial, "\n")
	if !strings.Contains(partial, "organization roles: /user/memberships/orgs answered HTTP 403") {
		t.Errorf("partial lacks the refused memberships: %q", partial)
	}
	if !strings.Contains(partial, "21955855, 20582480") {
		t.Errorf("partial lacks the SSO organisations: %q", partial)
	}
	if rep.Worst != "push to 1 repository, in 1 organization" || rep.Severity != analyze.SeverityWrite {
		t.Errorf("worst %q severity %v", rep.Worst, rep.Severity)
	}
}

func TestAnalyzeRepositoriesFail(t *testing.T) {
	f := &fakeGitHub{secret: tok, override: map[string]http.HandlerFunc{
		"/user/repos": func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprint(w, `{"message":"Server Error"}`)
		},
	}}
	rep, err := analyzeWith(t, f, tok)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Count("repository") != 0 || rep.Count("organization") != 2 {
		t.Errorf("resources %+v", rep.Resources)
	}
	if len(rep.Partial) != 1 || !strings.Contains(rep.Partial[0], "repositories: /user/repos answered HTTP 500") {
		t.Errorf("partial %q", rep.Partial)
	}
}

func TestAnalyzeStopsAtPageBound(t *testing.T) {
	var pages atomic.Int64
	f := &fakeGitHub{secret: tok}
	f.override = map[string]http.HandlerFunc{
		"/user/repos": func(w http.ResponseWriter, r *http.Request) {
			n := pages.Add(1)
			w.Header().Set("Link", fmt.Sprintf(`<https://%s/user/repos?per_page=100&page=%d>; rel="next"`, r.Host, n+1))
			fmt.Fprintf(w, `[{"full_name":"acme/r%d","private":false,"permissions":{"admin":false,"maintain":false,"push":true,"triage":true,"pull":true}}]`, n)
		},
	}
	rep, err := analyzeWith(t, f, tok)
	if err != nil {
		t.Fatal(err)
	}
	if pages.Load() != analyze.MaxPages || rep.Count("repository") != analyze.MaxPages {
		t.Errorf("read %d pages, %d repositories; want %d", pages.Load(), rep.Count("repository"), analyze.MaxPages)
	}
	if !strings.Contains(strings.Join(rep.Partial, "\n"), fmt.Sprintf("stopped after %d pages", analyze.MaxPages)) {
		t.Errorf("partial does not say the listing was cut: %q", rep.Partial)
	}
}

func TestAnalyzeRateLimitedThenAnswers(t *testing.T) {
	var limited atomic.Bool
	f := &fakeGitHub{secret: tok}
	inner := f.handler(t)
	s := vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/user/repos" && limited.CompareAndSwap(false, true) {
			w.Header().Set("Retry-After", "1")
			w.Header().Set("X-RateLimit-Remaining", "0")
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprint(w, `{"message":"API rate limit exceeded"}`)
			return
		}
		inner(w, r)
	})
	rep, err := Analyzer{}.Analyze(context.Background(), s.Client("github", 10*time.Second), verify.Request{Secret: tok})
	if err != nil {
		t.Fatal(err)
	}
	if !limited.Load() || rep.Count("repository") != 3 || len(rep.Partial) != 0 {
		t.Errorf("after the retry: %d repositories, partial %q", rep.Count("repository"), rep.Partial)
	}
}

func TestAnalyzeInvalidToken(t *testing.T) {
	f := &fakeGitHub{secret: "ghp_theRightOneIsNotThis000000000000000000"}
	rep, err := analyzeWith(t, f, tok)
	if err == nil || rep != nil {
		t.Fatalf("a rejected token gave a report: %+v", rep)
	}
	if strings.Contains(err.Error(), tok) || !strings.Contains(err.Error(), "401") {
		t.Errorf("error %q", err)
	}
	if f.hits.Load() != 1 {
		t.Errorf("%d requests after a 401, want 1", f.hits.Load())
	}
}

func TestAnalyzeInstallationToken(t *testing.T) {
	const inst = "ghs_Q2x9LmP4vR7sT1uW3yZ5aB8cD6eF0g1h2i3j"
	f := &fakeGitHub{secret: inst, override: map[string]http.HandlerFunc{
		"/installation/repositories": func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, `{"total_count":1,"repositories":[{"id":1,"full_name":"acme/api","private":true,"permissions":{"admin":false,"maintain":false,"push":true,"triage":false,"pull":true}}]}`)
		},
	}}
	rep, err := analyzeWith(t, f, inst)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Identity != "app installation" || permsOf(rep, "repository", "acme/api") != "private,pull,push" {
		t.Errorf("report %+v", rep)
	}
	if rep.Worst != "push to 1 repository" || rep.Severity != analyze.SeverityWrite {
		t.Errorf("worst %q severity %v", rep.Worst, rep.Severity)
	}
}
