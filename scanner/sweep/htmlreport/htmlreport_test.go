package htmlreport

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/achilles-sec/achilles/scanner/sweep/store"
)

const liveKey = "AKIAZ3MSJV4WQPTHKR7N"

func exposures() []store.Exposure {
	yes, no := true, false
	return []store.Exposure{
		{Repo: "github.com/acme/api", SecretID: "a", Finding: store.Finding{RuleID: "aws-access-key-id", Tags: []string{"aws", "cloud"}, Secret: liveKey,
			Path: "deploy/.env", Line: 3, Commit: "0123456789abcdef", Author: "Dev", Email: "dev@acme.test", Date: "2023-01-15T10:00:00Z", StillPresent: &yes},
			Verification: store.Verification{Status: "live", Identity: "arn:aws:iam::123456789012:user/ci", Verifier: "aws"},
			History:      []store.StatusChange{{At: "2024-05-01T00:00:00.000000000Z", Status: "live"}}},
		{Repo: "github.com/acme/web", SecretID: "b", Finding: store.Finding{RuleID: "github-pat-classic", Tags: []string{"github"}, Secret: "ghp_deadbeefdeadbeefdeadbeefdeadbeef0000",
			Path: "ci.yml", Line: 9, Date: "2023-06-02T10:00:00Z", StillPresent: &no},
			Verification: store.Verification{Status: "dead", Verifier: "github"}, DeadSince: "2024-05-03T00:00:00.000000000Z"},
		{Repo: "github.com/acme/web", SecretID: "c", Finding: store.Finding{RuleID: "private-key", Secret: "-----BEGIN PRIVATE KEY-----x", Path: "k.pem", Line: 1, Date: "2023-06-20T10:00:00Z"}},
	}
}

func render(t *testing.T, redact bool) string {
	var b bytes.Buffer
	if err := Write(&b, exposures(), Options{Redact: redact, Now: time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestReportRedactsAndOrders(t *testing.T) {
	html := render(t, true)
	if strings.Contains(html, liveKey) || strings.Contains(html, "deadbeefdeadbeef") {
		t.Fatal("a secret is in the redacted report")
	}
	live, dead := strings.Index(html, `class="status s-live"`), strings.Index(html, `class="status s-dead"`)
	if live < 0 || dead < 0 || live > dead {
		t.Fatal("live keys do not come first")
	}
	for _, want := range []string{"https://console.aws.amazon.com/iam/home#/security_credentials", "https://github.com/settings/tokens", "arn:aws:iam::123456789012:user/ci", "<td>502</td>"} {
		if !strings.Contains(html, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if !strings.Contains(render(t, false), liveKey) {
		t.Fatal("--no-redact report hides the secret")
	}
	if strings.Contains(html, "http://") && regexp.MustCompile(`(src|href)="http`).MatchString(strings.ReplaceAll(html, `href="https://`, "")) {
		t.Fatal("the report fetches something")
	}
}

// TestReportRendersInChromium opens the report in headless Chromium and
// checks the DOM after its script ran: the rows, the chart and the filter
// count. In CI it must run (.ci/run installs chromium).
func TestReportRendersInChromium(t *testing.T) {
	bin, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") == "" {
			t.Skip("chromium not installed (CI installs it)")
		}
		t.Fatal("chromium not installed in CI")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "report.html")
	if err := os.WriteFile(path, []byte(render(t, true)), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
		"--user-data-dir="+filepath.Join(dir, "profile"), "--dump-dom", "file://"+path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr.String())
	}
	dom := string(out)
	if n := strings.Count(dom, `class="finding"`); n != 3 {
		t.Fatalf("%d finding rows rendered, want 3\n%s", n, dom)
	}
	if !strings.Contains(dom, `<svg id="chart"`) || strings.Count(dom, `class="bar"`) < 6 {
		t.Fatalf("chart not rendered (want one bar per month Jan-Jun 2023)\n%s", dom)
	}
	if !strings.Contains(dom, "3 of 3 findings shown") {
		t.Fatalf("the filter script did not run\n%s", dom)
	}
}
