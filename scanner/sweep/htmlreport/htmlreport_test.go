package htmlreport

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/achilles-sec/achilles/internal/chromiumtest"
	"github.com/achilles-sec/achilles/scanner/finding"
	"github.com/achilles-sec/achilles/scanner/sweep/store"
)

const (
	liveKey = "AKIAZ3MSJV4WQPTHKR7N"
	ghpA    = "ghp_deadbeefdeadbeefdeadbeefdeadbeef0000"
	ghpB    = "ghp_deadbeefcafebabecafebabecafebabe1111"
)

func exposures() []store.Exposure {
	yes, no := true, false
	return []store.Exposure{
		{Repo: "github.com/acme/api", SecretID: store.SecretID(liveKey), Finding: store.Finding{Finding: finding.Finding{RuleID: "aws-access-key-id", Confidence: "high", Tags: []string{"aws", "cloud"}, Secret: liveKey,
			Path: "deploy/.env", Line: 3, Git: &finding.GitOrigin{Commit: "0123456789abcdef", Author: "Dev", Email: "dev@acme.test", Date: "2023-01-15T10:00:00Z", StillPresent: &yes}}},
			Verification: store.Verification{Status: "live", Identity: "arn:aws:iam::123456789012:user/ci", Verifier: "aws"},
			History:      []store.StatusChange{{At: "2024-05-01T00:00:00.000000000Z", Status: "live"}}},
		// The same key in a second repository: one row, two locations.
		{Repo: "github.com/acme/web", SecretID: store.SecretID(liveKey), Finding: store.Finding{Finding: finding.Finding{RuleID: "aws-access-key-id", Confidence: "high", Tags: []string{"aws", "cloud"}, Secret: liveKey,
			Path: "old/.env", Line: 7, Git: &finding.GitOrigin{Date: "2022-11-02T10:00:00Z", StillPresent: &no}}},
			Verification: store.Verification{Status: "live", Identity: "arn:aws:iam::123456789012:user/ci", Verifier: "aws"}},
		{Repo: "github.com/acme/web", SecretID: store.SecretID(ghpA), Finding: store.Finding{Finding: finding.Finding{RuleID: "github-pat-classic", Confidence: "high", Tags: []string{"github"}, Secret: ghpA,
			Path: "ci.yml", Line: 9, Git: &finding.GitOrigin{Date: "2023-06-02T10:00:00Z", StillPresent: &no}}},
			Verification: store.Verification{Status: "dead", Verifier: "github"}, DeadSince: "2024-05-03T00:00:00.000000000Z"},
		{Repo: "github.com/acme/web", SecretID: store.SecretID(ghpB), Finding: store.Finding{Finding: finding.Finding{RuleID: "github-pat-classic", Confidence: "high", Tags: []string{"github"}, Secret: ghpB,
			Path: "ci2.yml", Line: 4, Git: &finding.GitOrigin{Date: "2023-06-03T10:00:00Z", StillPresent: &yes}}}},
		{Repo: "github.com/acme/web", SecretID: "c", Finding: store.Finding{Finding: finding.Finding{RuleID: "private-key", Confidence: "medium", Description: "Private key (PEM: RSA, EC)", Tags: []string{"private-key", "keys"},
			Secret: "-----BEGIN PRIVATE KEY-----x", Path: "k.pem", Line: 1, Git: &finding.GitOrigin{Date: "2023-06-20T10:00:00Z"}}}},
		{Repo: "github.com/acme/web", SecretID: "d", Finding: store.Finding{Finding: finding.Finding{RuleID: "generic-password-quoted", Confidence: "low", Tags: []string{"generic", "password"},
			Secret: "hunter2hunter2", Path: "app.py", Line: 12, Git: &finding.GitOrigin{Date: "2023-07-20T10:00:00Z", StillPresent: &yes}}}},
	}
}

func render(t *testing.T, es []store.Exposure, redact bool) string {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&b, es, Options{Redact: redact, Now: time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestReportRedactsAndOrders(t *testing.T) {
	html := render(t, exposures(), true)
	for _, s := range []string{liveKey, "deadbeefdeadbeef", "hunter2hunter2"} {
		if strings.Contains(html, s) {
			t.Fatalf("secret %q is in the redacted report", s)
		}
	}
	// One row per secret, urgency order: live, high (still at HEAD), medium,
	// low, dead.
	if n := strings.Count(html, `<tr class="secret"`); n != 5 {
		t.Fatalf("%d secret rows, want 5 (the live key's two locations folded)", n)
	}
	order := []string{store.SecretID(liveKey)[:8], store.SecretID(ghpB)[:8], "private key", "generic password", store.SecretID(ghpA)[:8]}
	last := -1
	lower := strings.ToLower(html)
	for _, want := range order {
		i := strings.Index(lower, `<tr class="secret"`)
		j := strings.Index(lower[max(i, 0):], strings.ToLower(want))
		if i < 0 || j < 0 || i+j < last {
			t.Fatalf("%q is out of urgency order %v", want, order)
		}
		last = i + j
	}
	// Two redacted GitHub tokens look alike; their fingerprints differ.
	if a, b := "#"+store.SecretID(ghpA)[:8], "#"+store.SecretID(ghpB)[:8]; !strings.Contains(html, a) || !strings.Contains(html, b) || a == b {
		t.Fatalf("fingerprints %s %s missing", a, b)
	}
	for _, want := range []string{
		"Amazon Web Services", ">GitHub<", // catalogue names, not rule-id prefixes
		"Private key", "Generic password",
		"https://console.aws.amazon.com/iam/home#/security_credentials", "https://github.com/settings/tokens",
		"arn:aws:iam::123456789012:user/ci",
		"exposed 576 days", // the live key's first commit in either repository, to now
		"2 locations in 2 repositories",
		`class="conf c-high"`, `class="conf c-low"`,
		`class="headline live"`, "1 live secret: revoke it first",
		"@media print",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	for _, bad := range []string{`<span class="prov">private</span>`, `<span class="prov">generic</span>`, `<span class="prov">aws</span>`} {
		if strings.Contains(html, bad) {
			t.Errorf("provider label is a rule-id prefix: %s", bad)
		}
	}
	if !strings.Contains(render(t, exposures(), false), liveKey) {
		t.Fatal("--no-redact report hides the secret")
	}
	if regexp.MustCompile(`(src|href)="http`).MatchString(strings.ReplaceAll(html, `href="https://`, "")) {
		t.Fatal("the report fetches something")
	}
}

func TestHeadline(t *testing.T) {
	es := exposures()
	for i := range es {
		es[i].Verification = store.Verification{}
		es[i].History = nil
	}
	html := render(t, es, true)
	if strings.Contains(html, `class="headline live"`) || !strings.Contains(html, `class="headline unverified"`) ||
		!strings.Contains(html, "5 secrets found, none verified") || !strings.Contains(html, "--verify") ||
		strings.Contains(html, `class="card live"`) || !strings.Contains(html, "live (none verified)") {
		t.Fatalf("unverified headline wrong:\n%s", html[:min(len(html), 4000)])
	}
	es[2].Verification.Status = "dead"
	if html := render(t, es, true); !strings.Contains(html, `class="headline ok"`) || !strings.Contains(html, "No live secrets among the 1 verified") {
		t.Fatal("verified, none live: headline wrong")
	}
}

// TestScanFindingsRedactBeforeFingerprint: a single scan's findings give
// the same page, fingerprints taken from the full secret, and the secret
// hidden even where another field quotes it.
func TestScanFindingsRedactBeforeFingerprint(t *testing.T) {
	fs := []finding.Finding{
		{RuleID: "github-pat-classic", Confidence: "high", Secret: ghpA, Path: "a.txt", Line: 1},
		{RuleID: "github-pat-classic", Confidence: "high", Secret: ghpB, Path: "b.txt", Line: 2,
			Verification: &finding.Verification{Status: "unknown", Identity: "token " + ghpA}},
	}
	var b bytes.Buffer
	if err := WriteFindings(&b, fs, Options{Redact: true}); err != nil {
		t.Fatal(err)
	}
	html := b.String()
	if strings.Contains(html, "deadbeefdeadbeef") || strings.Contains(html, "cafebabe") {
		t.Fatal("a secret is in the redacted page")
	}
	if !strings.Contains(html, finding.SecretHash(ghpA)[:8]) || !strings.Contains(html, finding.SecretHash(ghpB)[:8]) {
		t.Fatal("fingerprints are not of the full secrets")
	}
	if !strings.Contains(html, "<title>achilles scan report</title>") || strings.Contains(html, `id="f-repo"`) {
		t.Fatal("a scan's page is titled as a sweep or offers a repository filter")
	}
}

// many makes n findings of n/2 secrets (each in two files) across
// providers, confidences and statuses.
func many(n int) []store.Exposure {
	yes := true
	kinds := []struct{ rule, conf, status string }{
		{"github-pat-classic", "high", ""}, {"aws-access-key-id", "high", "live"}, {"slack-bot-token", "high", "dead"},
		{"generic-password-quoted", "low", ""}, {"private-key", "medium", ""}, {"stripe-secret-key", "high", "unknown"},
	}
	var es []store.Exposure
	for i := 0; len(es) < n; i++ {
		k := kinds[i%len(kinds)]
		secret := fmt.Sprintf("secret-%06d-%s", i, strings.Repeat("x", 24))
		for j := 0; j < 2 && len(es) < n; j++ {
			es = append(es, store.Exposure{Repo: fmt.Sprintf("github.com/acme/repo%02d", i%17), SecretID: store.SecretID(secret),
				Finding: store.Finding{Finding: finding.Finding{RuleID: k.rule, Confidence: k.conf, Secret: secret, Path: fmt.Sprintf("services/svc%03d/config/settings-%d.env", i%300, j),
					Line: 1 + i%90, Git: &finding.GitOrigin{Commit: fmt.Sprintf("%040x", i*7+j), Author: "Developer " + strconv.Itoa(i%23), Email: fmt.Sprintf("dev%d@acme.test", i%23), Date: time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i*2).Format(time.RFC3339), StillPresent: &yes}}},
				Verification: store.Verification{Status: k.status}})
		}
	}
	return es
}

// TestReportRendersInChromium opens the report in headless Chromium at 6
// and at 1,200 findings: checks the DOM after the script ran (paging shows
// one page, the filter count), takes screenshots, and logs the page size and
// the time to a ready table. ACHILLES_SCREENSHOTS=DIR keeps the PNGs. In CI
// it must run (.ci/run installs chromium).
func TestReportRendersInChromium(t *testing.T) {
	bin, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") == "" {
			t.Skip("chromium not installed (CI installs it)")
		}
		t.Fatal("chromium not installed in CI")
	}
	for _, c := range []struct {
		name      string
		es        []store.Exposure
		rows      int // secret rows on the first page
		shown     string
		chartBars int
	}{
		{"small", exposures(), 5, "1–5 of 5 secrets", 6},
		{"large", many(1200), 50, "1–50 of 600 secrets · page 1 of 12", 12},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "report.html")
			html := render(t, c.es, true)
			if err := os.WriteFile(path, []byte(html), 0o600); err != nil {
				t.Fatal(err)
			}
			dom, ms := chromiumDOM(t, bin, dir, path)
			if n := strings.Count(dom, `<tr class="secret"`); n != c.rows {
				t.Fatalf("%d secret rows on the first page, want %d", n, c.rows)
			}
			if !strings.Contains(dom, c.shown) {
				t.Fatalf("pager does not say %q", c.shown)
			}
			if !strings.Contains(dom, `<svg id="chart"`) || strings.Count(dom, `class="bar"`) < c.chartBars {
				t.Fatalf("chart not rendered")
			}
			png := filepath.Join(dir, "report.png")
			shot(t, bin, dir, path, png, "1400,1000")
			if keep := os.Getenv("ACHILLES_SCREENSHOTS"); keep != "" {
				b, _ := os.ReadFile(png)
				os.WriteFile(filepath.Join(keep, "htmlreport-"+c.name+".png"), b, 0o644)
			}
			t.Logf("%d findings, %d secrets: %d bytes, table ready %d ms after navigation", len(c.es), strings.Count(html, `<tr class="secret"`), len(html), ms)
		})
	}
}

func chromiumDOM(t *testing.T, bin, dir, path string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	out, stderr, err := chromiumtest.Run(ctx, bin, dir, "--dump-dom", "file://"+path)
	if err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr)
	}
	m := regexp.MustCompile(`data-ready-ms="(\d+)"`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("the page's script did not finish")
	}
	ms, _ := strconv.Atoi(string(m[1]))
	return string(out), ms
}

func shot(t *testing.T, bin, dir, path, png, size string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if _, stderr, err := chromiumtest.Run(ctx, bin, dir, "--window-size="+size, "--screenshot="+png, "file://"+path); err != nil {
		t.Fatalf("chromium screenshot: %v\n%s", err, stderr)
	}
	if st, err := os.Stat(png); err != nil || st.Size() < 10_000 {
		t.Fatalf("screenshot missing or blank: %v", err)
	}
}

// TestScannedContentIsEscaped: paths, authors and identities come from the
// scanned repositories; none becomes markup or script on the page.
func TestScannedContentIsEscaped(t *testing.T) {
	es := exposures()
	es[0].Finding.Path = `x/<img src=x onerror=alert(1)>.env`
	es[0].Finding.Git.Author = `</td><script>alert(2)</script>`
	es[0].Verification.Identity = `"><svg onload=alert(3)>`
	es[0].Repo = `github.com/acme/"onmouseover="alert(4)`
	html := render(t, es, true)
	for _, bad := range []string{"<img src=x", "<script>alert", "<svg onload", `"onmouseover="`} {
		if strings.Contains(html, bad) {
			t.Errorf("scanned content %q reached the page unescaped", bad)
		}
	}
	if !strings.Contains(html, "&lt;img src=x onerror=alert(1)&gt;") {
		t.Error("the hostile path is not shown escaped")
	}
}
