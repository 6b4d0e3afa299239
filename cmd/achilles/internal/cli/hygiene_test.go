package cli

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode"

	"github.com/achilles-sec/achilles/detectors/verifiers"
	"github.com/achilles-sec/achilles/detectors/verify/verifytest"
	"github.com/achilles-sec/achilles/rules"
	"github.com/achilles-sec/achilles/scanner/finding"
)

// hygieneRuleIDs are the default rules whose first example the hygiene
// corpus plants: providers (most with a verifier), private keys, URLs and
// connection strings with passwords, and generic assignments.
var hygieneRuleIDs = []string{
	"github-pat-classic", "github-fine-grained-pat", "gitlab-pat", "slack-bot-token", "slack-webhook-url",
	"stripe-secret-key", "openai-api-key", "anthropic-api-key", "huggingface-token", "npm-access-token",
	"sendgrid-api-key", "telegram-bot-token", "discord-webhook-url", "digitalocean-token", "datadog-api-key",
	"linear-api-key", "notion-api-token", "mailgun-api-key", "twilio-auth-token", "sentry-auth-token",
	"postman-api-key", "doppler-token", "flyio-token", "google-api-key", "aws-secret-access-key",
	"private-key", "wireguard-private-key", "password-in-url", "jdbc-connection-password",
	"generic-password-quoted", "generic-secret-quoted", "generic-secret-unquoted", "xml-key-value-secret",
	"http-bearer-auth-header", "url-query-credential", "cli-credential-argument", "netrc-credentials",
}

// plant is one rule example placed in the corpus.
type plant struct {
	rule, path, example string
	how                 string // kept, removed, zip, base64, staged
}

// hygieneCorpus is a git repository whose history holds the examples of
// hygieneRuleIDs: some still present, some removed by a later commit, some
// inside a zip archive, some base64-encoded, two staged and not committed;
// the first commit's subject quotes one of the secrets.
type hygieneCorpus struct {
	repo   *gitRepo
	plants []plant
	stdin  string // every example, and the base64 lines, as one stream
	first  string // the first commit
}

func buildHygieneCorpus(t *testing.T) *hygieneCorpus {
	t.Helper()
	cfg, err := rules.Default()
	if err != nil {
		t.Fatal(err)
	}
	builtin, err := verifiers.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	c := &hygieneCorpus{repo: newGitRepo(t)}
	hows := []string{"kept", "removed", "zip", "base64"}
	for i, id := range hygieneRuleIDs {
		r := cfg.ByID(id)
		if r == nil || len(r.Examples) == 0 {
			t.Logf("rule %s is gone or has no example; skipped", id)
			continue
		}
		if r.Verifier != "" && builtin[r.Verifier] == nil {
			t.Fatalf("rule %s names verifier %s, which is not built in: the fake could not stand in for it", id, r.Verifier)
		}
		how := hows[i%len(hows)]
		if i == 5 || i == 26 {
			how = "staged"
		}
		name := fmt.Sprintf("%02d-%s.txt", i, id)
		if r.ExamplePath != "" {
			name = fmt.Sprintf("%02d-%s", i, filepath.Base(r.ExamplePath))
		}
		c.plants = append(c.plants, plant{rule: id, path: how + "/" + name, example: r.Examples[0], how: how})
	}
	if len(c.plants) < 30 {
		t.Fatalf("only %d of the corpus rules exist", len(c.plants))
	}
	r := c.repo
	var zipBuf bytes.Buffer
	zw := zip.NewWriter(&zipBuf)
	var encoded strings.Builder
	var quoted string
	for _, p := range c.plants {
		switch p.how {
		case "kept", "removed":
			r.write(p.path, p.example+"\n")
			if quoted == "" && p.how == "kept" && !strings.Contains(p.example, "\n") {
				quoted = p.example
			}
		case "zip":
			w, _ := zw.Create(strings.TrimPrefix(p.path, "zip/"))
			w.Write([]byte(p.example + "\n"))
		case "base64":
			fmt.Fprintf(&encoded, "blob_%s: %s\n", strings.ReplaceAll(p.rule, "-", "_"), base64.StdEncoding.EncodeToString([]byte(p.example+"\n")))
		}
		c.stdin += p.example + "\n\n"
	}
	if quoted == "" {
		t.Fatal("no single-line kept example to quote in a commit message")
	}
	r.run("git", "add", "-A")
	r.run("git", "commit", "-q", "-m", "add service config (the old value was "+quoted+")\n\nand again: "+quoted)
	c.first = strings.TrimSpace(r.run("git", "rev-parse", "HEAD"))
	r.run("git", "rm", "-q", "-r", "removed")
	r.run("git", "commit", "-q", "-m", "drop the old credentials")
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	r.write("vendor/bundle.zip", zipBuf.String())
	r.write("deploy/encoded.yaml", encoded.String())
	r.run("git", "add", "-A")
	r.run("git", "commit", "-q", "-m", "vendor bundle and encoded settings")
	for _, p := range c.plants {
		if p.how == "staged" {
			r.write(p.path, p.example+"\n")
			r.run("git", "add", p.path)
		}
	}
	c.stdin += encoded.String()
	return c
}

// secretForms are the ways a secret can show in a report: as is, escaped
// by each format (JSON, XML/HTML, CSV), and for multi-line secrets (private
// keys) each long line on its own, and each long run of letters and digits
// (which no format escapes).
func secretForms(s string) []string {
	forms := map[string]bool{s: true, html.EscapeString(s): true, strings.ReplaceAll(s, `"`, `""`): true}
	if b, err := json.Marshal(s); err == nil {
		forms[string(b[1:len(b)-1])] = true
	}
	var xb bytes.Buffer
	if err := xml.EscapeText(&xb, []byte(s)); err == nil {
		forms[xb.String()] = true
	}
	for _, line := range strings.Split(s, "\n") {
		if line = strings.TrimSpace(line); len(line) >= 16 {
			forms[line] = true
		}
	}
	for _, run := range strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		if len(run) >= 16 {
			forms[run] = true
		}
	}
	out := make([]string, 0, len(forms))
	for f := range forms {
		out = append(out, f)
	}
	return out
}

// leakChecker finds raw secrets in outputs.
type leakChecker struct {
	secrets map[string][]string // secret -> its forms
}

func newLeakChecker() *leakChecker { return &leakChecker{secrets: map[string][]string{}} }

// add records the secrets of an unredacted JSON report (findings and
// nothing else) and returns the findings.
func (l *leakChecker) add(t *testing.T, label, jsonReport string) []finding.Finding {
	t.Helper()
	var fs []finding.Finding
	if err := json.Unmarshal([]byte(jsonReport), &fs); err != nil {
		t.Fatalf("%s: unredacted JSON: %v\n%s", label, err, jsonReport)
	}
	for _, f := range fs {
		// Shorter secrets could show by chance (a user name, a word);
		// none of the corpus's are that short.
		if len(f.Secret) < 8 {
			t.Errorf("%s: %s found a secret of %d bytes; the corpus has none that short", label, f.RuleID, len(f.Secret))
			continue
		}
		if !strings.Contains(jsonReport, jsonString(f.Secret)) {
			t.Fatalf("%s: the unredacted report does not show %s's secret", label, f.RuleID)
		}
		if _, ok := l.secrets[f.Secret]; !ok {
			l.secrets[f.Secret] = secretForms(f.Secret)
		}
	}
	return fs
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}

// check fails the test for each secret shown in text.
func (l *leakChecker) check(t *testing.T, label, text string) {
	t.Helper()
	for s, forms := range l.secrets {
		for _, f := range forms {
			if strings.Contains(text, f) {
				i := strings.Index(text, f)
				lo, hi := max(0, i-80), min(len(text), i+len(f)+40)
				t.Errorf("%s shows a secret (%.12s…): …%s…", label, s, text[lo:hi])
				break
			}
		}
	}
}

// hygieneFormats are every report format; the template prints every field
// a template can reach.
func hygieneFormats(t *testing.T) []string {
	tmpl := filepath.Join(t.TempDir(), "all.tmpl")
	os.WriteFile(tmpl, []byte(`{{range .}}{{printf "%#v" .}} related={{printf "%#v" .Related}}{{with .Verification}} verification={{printf "%#v" .}}{{end}}
{{end}}`), 0o644)
	return []string{"text", "json", "jsonl", "sarif", "csv", "junit", "template=" + tmpl}
}

// runRedacted runs a scan with --redact in every format, to stdout and to
// a file, and checks no output shows a secret and every file is 0600.
func (l *leakChecker) runRedacted(t *testing.T, label, stdin string, args ...string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "report")
	for _, format := range hygieneFormats(t) {
		a := append(append([]string(nil), args...), "--redact", "--no-progress", "-f", format)
		r := runCLI(t, stdin, a...)
		if r.code != ExitFindings {
			t.Fatalf("%s -f %s: exit %d\n%s", label, format, r.code, r.stderr)
		}
		l.check(t, fmt.Sprintf("%s -f %s stdout", label, format), r.stdout)
		l.check(t, fmt.Sprintf("%s -f %s stderr", label, format), r.stderr)
		r = runCLI(t, stdin, append(a, "-o", out)...)
		if r.code != ExitFindings || r.stdout != "" {
			t.Fatalf("%s -f %s -o: exit %d, stdout %q\n%s", label, format, r.code, r.stdout, r.stderr)
		}
		l.check(t, fmt.Sprintf("%s -f %s stderr (with -o)", label, format), r.stderr)
		checkReportFile(t, l, fmt.Sprintf("%s -f %s -o", label, format), out)
	}
}

func checkReportFile(t *testing.T, l *leakChecker, label, path string) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatalf("%s: %v", label, err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("%s: report file mode %v, want 0600", label, st.Mode().Perm())
	}
	b, _ := os.ReadFile(path)
	if len(b) == 0 {
		t.Errorf("%s: empty report", label)
	}
	l.check(t, label+" file", string(b))
}

// echoProvider is a loopback TLS fake for every built-in verifier: it
// answers each request with an error (or, now and then, a success) whose
// body and headers quote the whole request back, secret included, as a
// careless provider or proxy might.
func echoProvider(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	s := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k := n.Add(1)
		body, _ := readAllLimited(r.Body, 1<<16)
		var b strings.Builder
		fmt.Fprintf(&b, "%s %s", r.Method, r.URL.String())
		for name, vs := range r.Header {
			fmt.Fprintf(&b, " %s: %s", name, strings.Join(vs, ","))
		}
		fmt.Fprintf(&b, " body: %s", body)
		echo := b.String()
		q, _ := json.Marshal(echo)
		oneLine := strings.NewReplacer("\r", " ", "\n", " ").Replace(echo)
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="`+oneLine+`"`)
		w.Header().Set("X-Request-Echo", oneLine)
		w.Header().Set("Content-Type", "application/json")
		errBody := fmt.Sprintf(`{"ok":false,"error":%s,"message":%s,"error_description":%s,"errors":[{"message":%s,"code":%s}],"detail":%s}`, q, q, q, q, q, q)
		switch k % 7 {
		case 0:
			w.WriteHeader(http.StatusUnauthorized)
		case 1:
			w.WriteHeader(http.StatusForbidden)
		case 2:
			w.WriteHeader(http.StatusInternalServerError)
		case 3:
			w.WriteHeader(http.StatusBadRequest)
		case 4:
			w.WriteHeader(http.StatusNotFound)
		case 5: // a 200 that says no, as Slack does
		case 6: // a success whose every identity-like field quotes the request
			errBody = fmt.Sprintf(`{"ok":true,"user":{"email":%s,"login":%s,"name":%s,"id":%s},"email":%s,"login":%s,"name":%s,"username":%s,"id":%s,"account":%s,"data":{"email":%s,"name":%s,"viewer":{"email":%s}},"scopes":[%s],"result":{"username":%s}}`,
				q, q, q, q, q, q, q, q, q, q, q, q, q, q, q)
		}
		w.Write([]byte(errBody))
	}))
	t.Cleanup(s.Close)
	return s, &n
}

// verifyEndpointsConfig writes a rules file: the default rules, with every
// built-in verifier sent to base unless special names another base for it.
func verifyEndpointsConfig(t *testing.T, base string, special map[string]string) string {
	builtin, err := verifiers.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, 0, len(builtin))
	for id := range builtin {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var b strings.Builder
	b.WriteString("[extend]\nuseDefault = true\n\n[verify.endpoints]\n")
	for _, id := range ids {
		u := base
		if s, ok := special[id]; ok {
			u = s
		}
		fmt.Fprintf(&b, "%q = %q\n", id, u)
	}
	path := filepath.Join(t.TempDir(), "verify.toml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestSecretHygiene scans a corpus of real secrets in every scan mode and
// every report format with --redact, to stdout and to files, with and
// without verification against providers that echo what they are sent,
// then sweeps it and writes every sweep report; no secret may show
// anywhere, and every report file is 0600.
func TestSecretHygiene(t *testing.T) {
	t.Setenv("ACHILLES_CONFIG", "")
	c := buildHygieneCorpus(t)
	repo := c.repo.dir
	l := newLeakChecker()

	// The unredacted JSON of each mode: the secrets to look for, and proof
	// that the corpus is found (so the checks below are not vacuous).
	type mode struct {
		name  string
		stdin string
		args  []string
	}
	modes := []mode{
		{"git", "", []string{"git", repo}},
		{"git --range", "", []string{"git", repo, "--range", c.first + "..HEAD"}},
		{"git --staged", "", []string{"git", repo, "--staged"}},
		{"dir", "", []string{"dir", repo}},
		{"stdin", c.stdin, []string{"stdin"}},
	}
	found := map[string][]finding.Finding{}
	for _, m := range modes {
		r := runCLI(t, m.stdin, append(m.args, "-f", "json", "--no-progress")...)
		if r.code != ExitFindings {
			t.Fatalf("%s: exit %d\n%s", m.name, r.code, r.stderr)
		}
		found[m.name] = l.add(t, m.name, r.stdout)
	}
	// The full history holds every planted example but the staged ones,
	// with the removed ones marked so, the zipped ones inside the archive
	// and the encoded ones decoded; the staged scan finds the staged ones.
	byPath := map[string][]finding.Finding{}
	for _, f := range found["git"] {
		byPath[f.Path] = append(byPath[f.Path], f)
	}
	staged := map[string]bool{}
	for _, f := range found["git --staged"] {
		staged[f.Path] = true
	}
	for _, p := range c.plants {
		var ok bool
		switch p.how {
		case "kept", "removed":
			for _, f := range byPath[p.path] {
				ok = ok || f.Git.StillPresent != nil && *f.Git.StillPresent == (p.how == "kept")
			}
		case "zip":
			ok = len(byPath["vendor/bundle.zip!"+strings.TrimPrefix(p.path, "zip/")]) > 0
		case "base64":
			ok = true // checked as a whole below
		case "staged":
			ok = staged[p.path]
		}
		if !ok {
			t.Errorf("%s (%s) not found as planted", p.rule, p.path)
		}
	}
	decoded := 0
	for _, f := range byPath["deploy/encoded.yaml"] {
		if len(f.Decoded) > 0 {
			decoded++
		}
	}
	if want := strings.Count(c.stdin, "blob_"); decoded < want {
		t.Errorf("%d findings decoded from deploy/encoded.yaml, want at least %d", decoded, want)
	}
	if len(l.secrets) < 30 {
		t.Fatalf("%d distinct secrets found; the corpus plants more", len(l.secrets))
	}
	t.Logf("%d plants, %d distinct secrets", len(c.plants), len(l.secrets))

	for _, m := range modes {
		l.runRedacted(t, m.name, m.stdin, m.args...)
	}
	// precommit scans the staged changes of the working directory.
	t.Run("precommit", func(t *testing.T) {
		t.Chdir(repo)
		l.runRedacted(t, "precommit", "", "precommit")
	})

	// Verification against providers that quote the request back, and a
	// host that resets the connection.
	fake, hits := echoProvider(t)
	cfg := verifyEndpointsConfig(t, fake.URL, map[string]string{"slack": verifytest.ResettingHost(t), "gitlab": verifytest.ResettingHost(t)})
	r := runCLI(t, "", "git", repo, "-c", cfg, "--verify", "--verify-timeout", "5s", "-f", "json", "--no-progress")
	if r.code != ExitFindings {
		t.Fatalf("verify: exit %d\n%s", r.code, r.stderr)
	}
	var verified, reasons int
	for _, f := range l.add(t, "git --verify", r.stdout) {
		if f.Verification != nil {
			verified++
			if f.Verification.Reason != "" {
				reasons++
			}
		}
	}
	if hits.Load() == 0 || verified == 0 || reasons == 0 {
		t.Fatalf("verification did not run: %d requests, %d verified, %d with reasons", hits.Load(), verified, reasons)
	}
	l.runRedacted(t, "git --verify", "", "git", repo, "-c", cfg, "--verify", "--verify-timeout", "5s")

	// Sweep (which has no --redact: its database holds the secrets, mode
	// 0600) and its reports, redacted by default.
	t.Run("sweep", func(t *testing.T) {
		dir := t.TempDir()
		list := filepath.Join(dir, "repos.txt")
		os.WriteFile(list, []byte(repo+"\n"), 0o644)
		db := filepath.Join(dir, "sweep.db")
		r := runCLI(t, "", "sweep", "--repos", list, "--db", db, "--cache", filepath.Join(dir, "cache"), "--no-progress",
			"-c", cfg, "--verify", "--verify-timeout", "5s")
		// The database holds findings: the sweep fails, as a scan does.
		if r.code != ExitFindings {
			t.Fatalf("sweep: exit %d, want %d\n%s", r.code, ExitFindings, r.stderr)
		}
		l.check(t, "sweep stdout", r.stdout)
		l.check(t, "sweep stderr", r.stderr)
		if st, err := os.Stat(db); err != nil || st.Mode().Perm() != 0o600 {
			t.Fatalf("database mode: %v %v", st, err)
		}
		r = runCLI(t, "", "report", "--db", db, "--format", "json", "--no-redact")
		if n := len(l.add(t, "report --no-redact", r.stdout)); n < 30 {
			t.Fatalf("the sweep database holds %d findings", n)
		}
		out := filepath.Join(dir, "report.out")
		for _, format := range []string{"html", "json", "csv", "sarif"} {
			r := runCLI(t, "", "report", "--db", db, "--format", format)
			if r.code != 0 || r.stdout == "" {
				t.Fatalf("report %s: %+v", format, r)
			}
			l.check(t, "report -f "+format+" stdout", r.stdout)
			l.check(t, "report -f "+format+" stderr", r.stderr)
			r = runCLI(t, "", "report", "--db", db, "--format", format, "-o", out)
			if r.code != 0 {
				t.Fatalf("report %s -o: %+v", format, r)
			}
			checkReportFile(t, l, "report -f "+format+" -o", out)
		}
	})
}

// TestVerifyHostThatHangsOrResets: a provider host that accepts and never
// answers, or resets every connection, ends as unknown (timeout, network
// error) within --verify-timeout; the scan does not stall.
func TestVerifyHostThatHangsOrResets(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.env"), []byte("A="+token(3)+"\n"), 0o644)
	for _, c := range []struct {
		name, base, reason string
	}{
		{"hang", verifytest.HangingHost(t), "timeout"},
		{"reset", verifytest.ResettingHost(t), "network error"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := verifyConfigAt(t, c.base)
			start := time.Now()
			r := runCLI(t, "", "dir", dir, "-c", cfg, "--verify", "--verify-timeout", "300ms", "-f", "json", "--no-progress")
			// A generous bound: it proves the scan did not wait on the host,
			// not how fast it is.
			if d := time.Since(start); d > 10*time.Second {
				t.Fatalf("the scan took %s with a 300ms verification timeout", d)
			}
			var fs []finding.Finding
			if err := json.Unmarshal([]byte(r.stdout), &fs); err != nil || r.code != ExitFindings || len(fs) != 1 {
				t.Fatalf("%v %+v", err, r)
			}
			v := fs[0].Verification
			if v == nil || v.Status != "unknown" || !strings.Contains(v.Reason, c.reason) {
				t.Fatalf("verification %+v, want unknown (%s)", v, c.reason)
			}
			if strings.Contains(r.stdout+r.stderr, "Bearer") {
				t.Errorf("the request shows in the output:\n%s%s", r.stdout, r.stderr)
			}
		})
	}
}
