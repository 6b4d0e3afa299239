package cli

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
)

// planAPI is a fake acme provider whose keys reach different things: the
// key ending in "3" administers a project, every other live key reads one.
func planAPI(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var hits atomic.Int64
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		auth := r.Header.Get("Authorization")
		if !strings.HasPrefix(auth, "Bearer tok_") || auth[len(auth)-1] < '0' || auth[len(auth)-1] > '9' {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/v1/me":
			fmt.Fprintf(w, `{"user":{"email":"owner-%c@acme.example"}}`, auth[len(auth)-1])
		case "/v1/projects":
			if strings.HasSuffix(auth, "3") {
				w.Write([]byte(`[{"name":"payments","role":"admin"}]`))
				return
			}
			w.Write([]byte(`[{"name":"docs","role":"read"}]`))
		case "/v1/billing":
			w.Write([]byte(`{}`))
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

// TestScanResponsePlan: `git --analyze` opens the text and the HTML report
// with the live keys, most harmful first (an admin key before a key that
// reads, although the reader was exposed longer), each with its owner,
// who committed it, since when, where it still is, what it reaches and
// the steps; the HTML plan is checked in headless Chromium.
func TestScanResponsePlan(t *testing.T) {
	srv, hits := planAPI(t)
	withAnalyzers(t, acmeAnalyzer{})
	reader, admin := token(4), token(5) // both live (a last digit); only the admin ends in "3"
	if !strings.HasSuffix(admin, "3") || strings.HasSuffix(reader, "3") {
		t.Fatalf("test tokens: %s %s", admin, reader)
	}
	r := newGitRepo(t)
	r.write("old.env", "K="+reader+"\n")
	r.run("git", "add", ".")
	r.run("git", "commit", "-qm", "reader key", "--author", "Old Dev <old@acme.example>", "--date", "2024-01-01T10:00:00Z")
	r.write("ci/deploy.env", "K="+admin+"\n")
	r.run("git", "add", ".")
	r.run("git", "commit", "-qm", "admin key", "--date", "2025-06-01T10:00:00Z")
	r.run("git", "rm", "-q", "old.env")
	r.run("git", "commit", "-qm", "remove the old key")
	cfg := verifyConfigAt(t, srv.URL)

	res := runCLI(t, "", "git", r.dir, "-c", cfg, "--analyze", "--no-progress")
	if res.code != ExitFindings {
		t.Fatalf("%+v", res)
	}
	if !strings.Contains(res.stderr, "analysis: 2 live keys analyzed") {
		t.Errorf("no analysis summary: %s", res.stderr)
	}
	out := res.stdout
	if !strings.HasPrefix(out, "RESPONSE PLAN: 2 live keys, most harmful first") {
		t.Fatalf("the text report does not open with the plan:\n%s", out)
	}
	first, second := strings.Index(out, "1. "), strings.Index(out, "2. ")
	if first < 0 || second < 0 || !strings.Contains(out[first:second], "[admin]") || !strings.Contains(out[second:], "[read]") {
		t.Errorf("the admin key is not first:\n%s", out)
	}
	for _, want := range []string{"owner        owner-3@acme.example", "exposed by   Ada <ada@example.com>", "exposed by   Old Dev <old@acme.example>",
		"since        2024-01-01", "still in     ci/deploy.env", "history only (removed from HEAD)", "reaches      project payments (admin)",
		"Review", "audit log"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in the plan:\n%s", want, out)
		}
	}
	// The plan names keys by fingerprint; the secrets are in the findings
	// below it (text is not redacted unless --redact).
	if planPart, _, _ := strings.Cut(out, "LIVE "); strings.Contains(planPart, admin) || strings.Contains(planPart, reader) {
		t.Errorf("the plan prints a secret:\n%s", planPart)
	}
	if hits.Load() == 0 {
		t.Fatal("nothing asked of the provider")
	}

	// A sweep with --analyze keeps each live key's analysis, and a report
	// of its database opens with the same plan.
	sweepDir := t.TempDir()
	list := filepath.Join(sweepDir, "repos.txt")
	os.WriteFile(list, []byte(r.dir+"\n"), 0o600)
	db := filepath.Join(sweepDir, "sweep.db")
	before := hits.Load()
	if res := runCLI(t, "", "sweep", "--repos", list, "--db", db, "--cache", filepath.Join(sweepDir, "cache"), "-c", cfg, "--analyze",
		"--no-progress", "--exit-code", "0"); res.code != 0 {
		t.Fatalf("sweep: %+v", res)
	}
	if hits.Load() == before {
		t.Fatal("the sweep asked nothing of the provider")
	}
	res = runCLI(t, "", "report", "--db", db, "-f", "text", "-c", cfg)
	if !strings.HasPrefix(res.stdout, "RESPONSE PLAN: 2 live keys") || !strings.Contains(res.stdout, "reaches      project payments (admin)") ||
		strings.Index(res.stdout, "[admin]") > strings.Index(res.stdout, "[read]") {
		t.Fatalf("the sweep report's plan:\n%s", res.stdout)
	}
	sweepPage := filepath.Join(sweepDir, "sweep.html")
	if res := runCLI(t, "", "report", "--db", db, "-f", "html", "-c", cfg, "-o", sweepPage); res.code != 0 {
		t.Fatalf("report: %+v", res)
	}

	chromium, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") == "" {
			t.Skip("chromium not installed (CI installs it)")
		}
		t.Fatal("chromium not installed in CI")
	}
	dir := t.TempDir()
	page := filepath.Join(dir, "plan.html")
	res = runCLI(t, "", "git", r.dir, "-c", cfg, "--analyze", "--no-progress", "-f", "html", "-o", page)
	if res.code != ExitFindings {
		t.Fatalf("%+v", res)
	}
	dom, _ := renderChromium(t, chromium, dir, page, nil)
	items := regexp.MustCompile(`<li class="plan-item sev-(\w+)" id="plan-([0-9a-f]{8})"`).FindAllStringSubmatch(dom, -1)
	if len(items) != 2 || items[0][1] != "admin" || items[1][1] != "read" {
		t.Fatalf("plan items in the rendered page: %v", items)
	}
	for _, want := range []string{"Response plan: 2 live keys, most harmful first", "owner-3@acme.example", "Old Dev &lt;old@acme.example&gt;",
		"2024-01-01", "<code>ci/deploy.env</code>", "history only (removed from HEAD)", "project payments: admin"} {
		if !strings.Contains(dom, want) {
			t.Errorf("no %q in the rendered plan", want)
		}
	}
	// Redacted by default: neither key appears in the page.
	if strings.Contains(dom, admin) || strings.Contains(dom, reader) {
		t.Error("the HTML report shows a key in full")
	}
	dom, _ = renderChromium(t, chromium, sweepDir, sweepPage, nil)
	items = regexp.MustCompile(`<li class="plan-item sev-(\w+)" id="plan-([0-9a-f]{8})"`).FindAllStringSubmatch(dom, -1)
	if len(items) != 2 || items[0][1] != "admin" || items[1][1] != "read" || !strings.Contains(dom, "project payments: admin") {
		t.Fatalf("plan items in the sweep's rendered page: %v", items)
	}
}
