package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/verify"
)

// acmeAnalyzer is the analyzer of the test rule's provider ("acme", see
// verifyConfigAt): GET /v1/me for the identity, then the paginated
// /v1/projects listing with each project's role, and /v1/billing, which a
// key without billing access is refused (403).
type acmeAnalyzer struct{}

func (acmeAnalyzer) ID() string { return "acme" }

func (a acmeAnalyzer) Analyze(ctx context.Context, c *verify.Client, req verify.Request) (*analyze.Report, error) {
	call := func(path string) verify.Call {
		return verify.Call{Verifier: a.ID(), Official: "https://api.acme.example", Path: path,
			Header: map[string]string{"Authorization": "Bearer " + req.Secret}}
	}
	var me struct {
		User struct {
			Email string `json:"email"`
		} `json:"user"`
	}
	if _, err := analyze.GetJSON(ctx, c, req, call("/v1/me"), &me); err != nil {
		if analyze.IsStatus(err, http.StatusUnauthorized) {
			return nil, fmt.Errorf("the key is not live (401)")
		}
		return nil, err
	}
	rep := &analyze.Report{Analyzer: a.ID(), Identity: me.User.Email, Kind: "API token", Severity: analyze.SeverityRead}
	truncated, err := analyze.Pages(ctx, c, req, call("/v1/projects"), func(r *verify.Response) error {
		var ps []struct{ Name, Role string }
		if err := json.Unmarshal(r.Body, &ps); err != nil {
			return err
		}
		for _, p := range ps {
			rep.Resources = append(rep.Resources, analyze.Resource{Kind: "project", Name: p.Name, Permissions: []string{p.Role}})
			if p.Role == "admin" {
				rep.Severity = analyze.SeverityAdmin
			}
		}
		return nil
	})
	if err != nil {
		rep.Partial = append(rep.Partial, "projects: "+err.Error())
	} else if truncated {
		rep.Partial = append(rep.Partial, "projects: page limit reached")
	}
	if _, err := analyze.GetJSON(ctx, c, req, call("/v1/billing"), nil); err != nil {
		rep.Partial = append(rep.Partial, "billing: "+err.Error())
	}
	rep.Worst = fmt.Sprintf("admin of %d acme projects", rep.Count("project"))
	return rep, nil
}

// acmeAPI is the fake acme provider for the analyzer: a Bearer token ending
// in a digit is live; projects come in two Link-paginated pages, one name
// holding a terminal escape; billing is refused.
func acmeAPI(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var hits atomic.Int64
	var srv *httptest.Server
	srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		auth := r.Header.Get("Authorization")
		if !strings.HasPrefix(auth, "Bearer tok_") || auth[len(auth)-1] < '0' || auth[len(auth)-1] > '9' {
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"error":"invalid token ` + strings.TrimPrefix(auth, "Bearer ") + `"}`))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/v1/me":
			w.Write([]byte(`{"user":{"email":"ops@acme.example"}}`))
		case "/v1/projects":
			if r.URL.Query().Get("page") == "2" {
				w.Write([]byte(`[{"name":"web","role":"admin"}]`))
				return
			}
			w.Header().Set("Link", fmt.Sprintf(`<%s/v1/projects?page=2>; rel="next"`, srv.URL))
			w.Write([]byte(`[{"name":"api","role":"write"},{"name":"evil\u001b[2J","role":"read"}]`))
		case "/v1/billing":
			w.WriteHeader(http.StatusForbidden)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func withAnalyzers(t *testing.T, as ...analyze.Analyzer) {
	old := analyzerSet
	analyzerSet = func() (map[string]analyze.Analyzer, error) {
		m := map[string]analyze.Analyzer{}
		for _, a := range as {
			m[a.ID()] = a
		}
		return m, nil
	}
	t.Cleanup(func() { analyzerSet = old })
}

func TestAnalyzeCommand(t *testing.T) {
	srv, hits := acmeAPI(t)
	withAnalyzers(t, acmeAnalyzer{})
	cfg := verifyConfigAt(t, srv.URL)
	r := runCLI(t, token(7)+"\n", "analyze", "--rule", "test-token", "-c", cfg)
	if r.code != 0 {
		t.Fatalf("%+v", r)
	}
	lines := strings.Split(r.stdout, "\n")
	if lines[0] != "admin of 3 acme projects" {
		t.Errorf("the worst line is not first:\n%s", r.stdout)
	}
	for _, want := range []string{"identity: ops@acme.example", "kind:     API token", "severity: admin", "KIND", "project  web", "admin", `evil\x1b[2J`, "billing: /v1/billing answered HTTP 403"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("no %q in:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "\x1b") {
		t.Error("a control character from the answer reached the terminal")
	}
	if hits.Load() != 4 {
		t.Errorf("%d requests, want 4 (me, two pages, billing)", hits.Load())
	}

	r = runCLI(t, token(7), "analyze", "--rule", "test-token", "-c", cfg, "-f", "json")
	var rep analyze.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != 0 {
		t.Fatalf("%v %+v", err, r)
	}
	if rep.Analyzer != "acme" || rep.Severity != analyze.SeverityAdmin || len(rep.Resources) != 3 || rep.Resources[0].Name != "api" || len(rep.Partial) != 1 {
		t.Fatalf("%+v", rep)
	}
}

func TestAnalyzeDeadKeyAndUsage(t *testing.T) {
	srv, hits := acmeAPI(t)
	withAnalyzers(t, acmeAnalyzer{})
	cfg := verifyConfigAt(t, srv.URL)
	dead := token(12)
	r := runCLI(t, dead, "analyze", "--rule", "test-token", "-c", cfg)
	if r.code != ExitFindings || r.stdout != "" || !strings.Contains(r.stderr, "not live") || strings.Contains(r.stderr, dead) {
		t.Fatalf("%+v", r)
	}
	// A rule whose provider has no analyzer: a usage error naming those that do.
	r = runCLI(t, "x", "analyze", "--rule", "test-password", "-c", cfg)
	if r.code != ExitUsage || !strings.Contains(r.stderr, "test-password has no analyzer") || !strings.Contains(r.stderr, "acme") {
		t.Fatalf("%+v", r)
	}
	if r := runCLI(t, "x", "analyze", "--rule", "no-such-rule", "-c", cfg); r.code != ExitUsage {
		t.Fatalf("%+v", r)
	}
	if r := runCLI(t, "", "analyze", "--rule", "test-token", "-c", cfg); r.code != ExitUsage || !strings.Contains(r.stderr, "no secret") {
		t.Fatalf("%+v", r)
	}
	if hits.Load() != 1 {
		t.Fatalf("%d requests", hits.Load())
	}
}

func TestAnalyzeNeverSendsACanary(t *testing.T) {
	srv, hits := acmeAPI(t)
	withAnalyzers(t, acmeAnalyzer{})
	cfg := verifyConfigAt(t, srv.URL)
	// A key id of an account that issues canary tokens, as a companion.
	r := runCLI(t, token(7), "analyze", "--rule", "test-token", "--part", "aws-access-key-id=AKIAQYLPMN5HHHFPZAM2", "-c", cfg)
	if r.code != ExitFindings || !strings.Contains(r.stderr, "canary") || !strings.Contains(r.stderr, "nothing sent") || hits.Load() != 0 {
		t.Fatalf("%+v, %d requests", r, hits.Load())
	}
}
