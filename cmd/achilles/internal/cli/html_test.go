package cli

import (
	"context"
	"fmt"
	"math/rand"
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
)

// Five secrets of five kinds, as the built-in rules find them.
var fiveSecrets = map[string]string{
	"aws":     "AKIAQ7XK2M5N4RTWV6YB",
	"github":  "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",
	"slack":   "xoxb-2838319228-4930592038593-Hq8vKd7ZpL2mTx9RbNc4WfYs",
	"generic": "Tr0ub4dor&3-horse",
	"pem":     "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun",
}

func fiveSecretRepo(t *testing.T) *gitRepo {
	r := newGitRepo(t)
	r.write("deploy/app.env", "aws_access_key_id = "+fiveSecrets["aws"]+"\nGITHUB_TOKEN="+fiveSecrets["github"]+"\n")
	r.run("git", "add", "-A")
	r.run("git", "commit", "-qm", "deploy config")
	r.write("chat/bot.env", "SLACK_BOT_TOKEN="+fiveSecrets["slack"]+"\n")
	r.write("app/settings.py", `db_password = "`+fiveSecrets["generic"]+`"`+"\n")
	r.write("keys/id_rsa", "-----BEGIN RSA PRIVATE KEY-----\n"+fiveSecrets["pem"]+"\nVTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK\nLxoS2tFczGkPLPgizskuemMghRniWaoLcyehkd3qqGElvW/VDL5AaWTg0nLVkjRo\n-----END RSA PRIVATE KEY-----\n")
	r.run("git", "add", "-A")
	r.run("git", "commit", "-qm", "more")
	// The Slack token leaves HEAD: it stays in history, listed after the
	// ones still present.
	r.run("git", "rm", "-q", "chat/bot.env")
	r.run("git", "commit", "-qm", "remove bot token")
	return r
}

// TestHTMLFormatForGitAndDir: `-f html` on git and dir writes the report
// page (0600, redacted by default, one row per secret with provider names
// from the catalogue, confidence and fingerprints; the same secret in two
// files is one row with two locations); --no-redact shows secrets.
func TestHTMLFormatForGitAndDir(t *testing.T) {
	r := fiveSecretRepo(t)
	// The AWS key again in a second file: one secret, two locations.
	r.write("backup/app.env.bak", "aws_access_key_id = "+fiveSecrets["aws"]+"\n")
	r.run("git", "add", "-A")
	r.run("git", "commit", "-qm", "backup")
	out := t.TempDir()
	for _, cmd := range []string{"git", "dir"} {
		path := filepath.Join(out, cmd+".html")
		res := runBinary(t, r.dir, nil, cmd, ".", "-f", "html", "-o", path, "--no-progress")
		if res.code != ExitFindings {
			t.Fatalf("%s -f html: exit %d\n%s", cmd, res.code, res.stderr)
		}
		st, err := os.Stat(path)
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Fatalf("%s report: %v %v", cmd, err, st)
		}
		b, _ := os.ReadFile(path)
		html := string(b)
		for kind, s := range fiveSecrets {
			if kind == "slack" && cmd == "dir" {
				continue // gone from the work tree
			}
			if strings.Contains(html, s) {
				t.Errorf("%s: the %s secret is in the redacted page", cmd, kind)
			}
			if kind != "pem" && !strings.Contains(html, "#"+finding.SecretHash(s)[:8]) { // (the key's secret is its whole block)
				t.Errorf("%s: no fingerprint of the %s secret", cmd, kind)
			}
		}
		for _, want := range []string{"<title>achilles scan report</title>", "Amazon Web Services", "GitHub", "Generic password", "Private key",
			`class="conf c-high"`, `class="headline unverified"`, "none verified", "2 locations", "https://github.com/settings/tokens"} {
			if !strings.Contains(html, want) {
				t.Errorf("%s page lacks %q", cmd, want)
			}
		}
		if n := strings.Count(html, `<tr class="secret"`); cmd == "git" && n != 5 || cmd == "dir" && n != 4 {
			t.Errorf("%s: %d secret rows", cmd, n)
		}
		if cmd == "git" && strings.Index(html, "chat/bot.env") < strings.Index(html, "keys/id_rsa") {
			t.Errorf("the token gone from HEAD is listed before one still there")
		}
	}
	res := runBinary(t, r.dir, nil, "dir", ".", "-f", "html", "--no-redact")
	if !strings.Contains(res.stdout, fiveSecrets["aws"]) || !strings.Contains(res.stdout, "handle this file as a secret") {
		t.Fatal("--no-redact page hides the secret or does not warn")
	}
}

// TestSweepExitCodeAndSummaryCountTheDatabase: a rerun over an unchanged
// repository finds nothing new, yet the summary says what the database
// holds and the exit status follows --exit-code and --fail-on, as a scan's.
func TestSweepExitCodeAndSummaryCountTheDatabase(t *testing.T) {
	r := fiveSecretRepo(t)
	dir := t.TempDir()
	list := filepath.Join(dir, "repos.txt")
	os.WriteFile(list, []byte(r.dir+"\n"), 0o600)
	db := filepath.Join(dir, "sweep.db")
	args := []string{"sweep", "--repos", list, "--db", db, "--cache", filepath.Join(dir, "cache"), "--no-progress"}
	first := runBinary(t, dir, nil, args...)
	if first.code != ExitFindings || !strings.Contains(first.stderr, "1 scanned") || !strings.Contains(first.stderr, "holds 5 findings of 5 secrets in 1 repository; 0 live") {
		t.Fatalf("first sweep: exit %d\n%s", first.code, first.stderr)
	}
	again := runBinary(t, dir, nil, append(args, "--exit-code", "7")...)
	if again.code != 7 || !strings.Contains(again.stderr, "1 unchanged") || !strings.Contains(again.stderr, "this run found 0 findings") ||
		!strings.Contains(again.stderr, "holds 5 findings") {
		t.Fatalf("rerun: exit %d, want 7 with 5 findings held\n%s", again.code, again.stderr)
	}
	if res := runBinary(t, dir, nil, append(args, "--exit-code", "0")...); res.code != 0 {
		t.Fatalf("--exit-code 0: exit %d\n%s", res.code, res.stderr)
	}
	for _, bad := range [][]string{{"--exit-code", "300"}, {"--fail-on", "some"}} {
		if res := runBinary(t, dir, nil, append(args, bad...)...); res.code != ExitUsage {
			t.Errorf("%v: exit %d, want %d", bad, res.code, ExitUsage)
		}
	}
	// --fail-on live: no rule of the test rule set has a verifier, so
	// verifying sends nothing and finds nothing live: exit 0.
	cfgDB := filepath.Join(dir, "test.db")
	cfgArgs := []string{"sweep", "--config", r.config(), "--repos", list, "--db", cfgDB, "--cache", filepath.Join(dir, "cache"), "--no-progress"}
	live := runBinary(t, dir, nil, append(cfgArgs, "--fail-on", "live")...)
	if live.code != 0 || !regexp.MustCompile(`holds [1-9]\d* findings? .*; 0 live`).MatchString(live.stderr) {
		t.Fatalf("--fail-on live with findings but no live secret: exit %d, want 0\n%s", live.code, live.stderr)
	}
	if res := runBinary(t, dir, nil, cfgArgs...); res.code != ExitFindings {
		t.Fatalf("--fail-on any with findings: exit %d\n%s", res.code, res.stderr)
	}
}

// TestHTMLReportScreenshots renders the page of a sweep database of five
// findings and of a repository with 1,200 in headless Chromium (a report
// and a scan, through the binary), checks what the script made of it
// (paging, the pager's count), and logs size and time to a ready table.
// ACHILLES_SCREENSHOTS=DIR keeps the PNGs.
func TestHTMLReportScreenshots(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") == "" {
			t.Skip("chromium not installed (CI installs it)")
		}
		t.Fatal("chromium not installed in CI")
	}
	dir := t.TempDir()
	// Five: a sweep database, then `achilles report`.
	r := fiveSecretRepo(t)
	list := filepath.Join(dir, "repos.txt")
	os.WriteFile(list, []byte(r.dir+"\n"), 0o600)
	db := filepath.Join(dir, "sweep.db")
	runBinary(t, dir, nil, "sweep", "--repos", list, "--db", db, "--cache", filepath.Join(dir, "cache"), "--no-progress", "--exit-code", "0")
	small := filepath.Join(dir, "sweep-5.html")
	if res := runBinary(t, dir, nil, "report", "--db", db, "-f", "html", "-o", small); res.code != 0 {
		t.Fatalf("report: exit %d\n%s", res.code, res.stderr)
	}
	// 1,200: 1,100 AWS keys still at HEAD and 100 removed, in 120 files
	// over three commits, scanned with `git -f html`.
	big := newGitRepo(t)
	rng := rand.New(rand.NewSource(12))
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	key := func() string {
		b := []byte("AKIA")
		for range 16 {
			b = append(b, alphabet[rng.Intn(len(alphabet))])
		}
		return string(b)
	}
	for c := 0; c < 3; c++ {
		for f := 0; f < 40; f++ {
			var sb strings.Builder
			for k := 0; k < 10; k++ {
				fmt.Fprintf(&sb, "# service %d\naws_access_key_id = %s\n", k, key())
			}
			big.write(fmt.Sprintf("services/svc%02d/config-%d.env", f, c), sb.String())
		}
		big.run("git", "add", "-A")
		big.run("git", "commit", "-qm", fmt.Sprintf("config round %d", c))
	}
	for f := 0; f < 10; f++ {
		big.run("git", "rm", "-q", fmt.Sprintf("services/svc%02d/config-0.env", f))
	}
	big.run("git", "commit", "-qm", "remove old configs")
	large := filepath.Join(dir, "git-1200.html")
	start := time.Now()
	res := runBinary(t, big.dir, nil, "git", ".", "-f", "html", "-o", large, "--no-progress")
	m := regexp.MustCompile(`; (\d+) findings`).FindStringSubmatch(res.stderr)
	if res.code != ExitFindings || m == nil {
		t.Fatalf("git -f html: exit %d\n%s", res.code, res.stderr)
	}
	// A random key now and then fails a rule's entropy or pattern check.
	n, _ := strconv.Atoi(m[1])
	if n < 1150 {
		t.Fatalf("%d findings of 1,200 keys", n)
	}
	t.Logf("git scan with -f html of 1,200 findings: %s", time.Since(start).Round(time.Millisecond))
	for _, c := range []struct {
		path, name, shown string
		rows              int
	}{
		{small, "sweep-5", "1–5 of 5 secrets", 5},
		{large, "git-1200", fmt.Sprintf("1–50 of %d secrets · page 1 of %d", n, (n+49)/50), 50},
	} {
		b, _ := os.ReadFile(c.path)
		dom, ms := renderChromium(t, chromium, dir, c.path, nil)
		if n := strings.Count(dom, `<tr class="secret"`); n != c.rows || !strings.Contains(dom, c.shown) {
			t.Fatalf("%s: %d rows on the first page, want %d, pager %q", c.name, n, c.rows, c.shown)
		}
		png := filepath.Join(dir, c.name+".png")
		renderChromium(t, chromium, dir, c.path, []string{"--window-size=1400,1000", "--screenshot=" + png})
		if st, err := os.Stat(png); err != nil || st.Size() < 10_000 {
			t.Fatalf("screenshot of %s missing or blank: %v", c.name, err)
		}
		shots := []string{png}
		if keep := os.Getenv("ACHILLES_SCREENSHOTS"); keep != "" {
			for _, s := range shots {
				p, _ := os.ReadFile(s)
				os.WriteFile(filepath.Join(keep, filepath.Base(s)), p, 0o644)
			}
			os.WriteFile(filepath.Join(keep, c.name+".html"), b, 0o600)
		}
		t.Logf("%s: %d bytes, table ready %d ms after navigation", c.name, len(b), ms)
	}
	// The print stylesheet prints every row of the filter, not one page.
	pdf := filepath.Join(dir, "git-1200.pdf")
	renderChromium(t, chromium, dir, large, []string{"--no-pdf-header-footer", "--print-to-pdf=" + pdf})
	if st, err := os.Stat(pdf); err != nil || st.Size() < 100_000 {
		t.Fatalf("printed PDF missing or small (one page only?): %v", err)
	} else {
		t.Logf("printed to PDF: %d bytes, %d pages", st.Size(), pdfPages(pdf))
		if keep := os.Getenv("ACHILLES_SCREENSHOTS"); keep != "" {
			p, _ := os.ReadFile(pdf)
			os.WriteFile(filepath.Join(keep, "git-1200.pdf"), p, 0o644)
		}
	}
}

func pdfPages(path string) int {
	b, _ := os.ReadFile(path)
	return len(regexp.MustCompile(`/Type\s*/Page[^s]`).FindAll(b, -1))
}

// renderChromium opens path in headless Chromium with extra arguments (a
// DOM dump when none) and returns the DOM and the page's ready time.
func renderChromium(t *testing.T, bin, dir, path string, extra []string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	if extra == nil {
		extra = []string{"--dump-dom"}
	}
	out, stderr, err := chromiumtest.Run(ctx, bin, dir, append(append([]string{}, extra...), "file://"+path)...)
	if err != nil {
		t.Fatalf("chromium %v: %v\n%s", extra, err, stderr)
	}
	if extra[0] != "--dump-dom" {
		return "", 0
	}
	m := regexp.MustCompile(`data-ready-ms="(\d+)"`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("the page's script did not finish")
	}
	ms, _ := strconv.Atoi(string(m[1]))
	return string(out), ms
}
