package cli

import (
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/achilles-sec/achilles/scanner/finding"
)

// fakeProvider is a TLS server on loopback that the CLI trusts through
// SSL_CERT_FILE (set in TestMain before anything loads the system roots).
var (
	fakeProvider *httptest.Server
	fakeHits     atomic.Int64
)

func TestMain(m *testing.M) {
	fakeProvider = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fakeHits.Add(1)
		auth := r.Header.Get("Authorization")
		if r.URL.Path != "/v1/me" || !strings.HasPrefix(auth, "Bearer tok_") {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		// Secrets ending in a digit are live; the others were revoked.
		if c := auth[len(auth)-1]; c >= '0' && c <= '9' {
			fmt.Fprintf(w, `{"user":{"email":"owner-%c@example.com"}}`, c)
			return
		}
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte(`{"error":"token revoked"}`))
	}))
	dir, _ := os.MkdirTemp("", "achilles-ca")
	ca := filepath.Join(dir, "ca.pem")
	os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: fakeProvider.Certificate().Raw}), 0o644)
	os.Setenv("SSL_CERT_FILE", ca)
	code := m.Run()
	fakeProvider.Close()
	os.RemoveAll(dir)
	os.Exit(code)
}

// verifyConfig declares a verifier for the test rule, pointed at the fake.
func verifyConfig(t *testing.T) string { return verifyConfigAt(t, fakeProvider.URL) }

// verifyConfigAt declares the test rule's verifier with its API at base.
func verifyConfigAt(t *testing.T, base string) string {
	abs, _ := filepath.Abs(testConfig)
	path := filepath.Join(t.TempDir(), "verify.toml")
	cfg := fmt.Sprintf(`[extend]
path = '%s'

[[rules]]
id = "test-token"
verifier = "acme"

[verify.endpoints]
acme = "%s"

[[verify.http]]
id = "acme"
url = "https://api.acme.example/v1/me"
headers = { Authorization = "Bearer {{secret}}" }
identity = "user.email"
dead = { status = [401] }
`, abs, base)
	os.WriteFile(path, []byte(cfg), 0o644)
	return path
}

// token makes the i-th of 200 distinct valid test tokens.
func token(i int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	return fmt.Sprintf("tok_Q2x9LmP4vR7sT1uW3yZ5a%c%c%d", alphabet[i%52], alphabet[(i/52)%52], i%10)[:27] + string("ab0123456789"[i%12])
}

func TestVerifyOneRequestPerUniqueSecret(t *testing.T) {
	dir := t.TempDir()
	// 1,000 findings of 200 unique secrets, in 50 files.
	for f := 0; f < 50; f++ {
		var b strings.Builder
		for k := 0; k < 20; k++ {
			fmt.Fprintf(&b, "key%d = %s\n", k, token((f*20+k)%200))
		}
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%02d.env", f)), []byte(b.String()), 0o644)
	}
	before := fakeHits.Load()
	r := runCLI(t, "", "dir", dir, "-c", verifyConfig(t), "--verify", "-f", "json", "--no-progress")
	if r.code != ExitFindings {
		t.Fatalf("%+v", r)
	}
	var fs []finding.Finding
	if err := json.Unmarshal([]byte(r.stdout), &fs); err != nil {
		t.Fatal(err)
	}
	if len(fs) != 1000 {
		t.Fatalf("%d findings, want 1000", len(fs))
	}
	if hits := fakeHits.Load() - before; hits != 200 {
		t.Fatalf("%d requests to the provider for 200 unique secrets", hits)
	}
	live := 0
	for _, f := range fs {
		v := f.Verification
		if v == nil {
			t.Fatalf("no verification on %s", f.Fingerprint)
		}
		wantLive := f.Secret[len(f.Secret)-1] >= '0' && f.Secret[len(f.Secret)-1] <= '9'
		if (v.Status == "live") != wantLive || v.Status == "unknown" {
			t.Fatalf("%s: %+v", f.Secret, v)
		}
		if wantLive {
			live++
			if v.Identity != "owner-"+f.Secret[len(f.Secret)-1:]+"@example.com" {
				t.Fatalf("identity %q", v.Identity)
			}
		}
	}
	if live == 0 || live == len(fs) {
		t.Fatalf("%d live of %d: the fixture should mix both", live, len(fs))
	}
}

func TestOnlyVerifiedFailOnAndRedact(t *testing.T) {
	dir := t.TempDir()
	liveTok, deadTok := token(3), token(12)
	os.WriteFile(filepath.Join(dir, "a.env"), []byte("A="+liveTok+"\nB="+deadTok+"\n"), 0o644)
	cfg := verifyConfig(t)
	r := runCLI(t, "", "dir", dir, "-c", cfg, "--only-verified", "-f", "jsonl", "--no-progress")
	if r.code != ExitFindings || strings.Count(r.stdout, "\n") != 1 || !strings.Contains(r.stdout, `"live"`) {
		t.Fatalf("only-verified: %+v", r)
	}
	// Text: the response plan of the one live key, then the live finding
	// first and marked; --redact hides both secrets everywhere.
	r = runCLI(t, "", "dir", dir, "-c", cfg, "--verify", "--redact", "--no-progress")
	_, findings, _ := strings.Cut(r.stdout, "\n\nLIVE ")
	if !strings.HasPrefix(r.stdout, "RESPONSE PLAN: 1 live key") || !strings.HasPrefix(findings, "test-token") || strings.Contains(r.stdout[:strings.Index(r.stdout, "\n\nLIVE ")], "\ntest-token  Test token") {
		t.Errorf("no plan, or the live finding is not first and marked:\n%s", r.stdout)
	}
	if strings.Contains(r.stdout+r.stderr, liveTok) || strings.Contains(r.stdout+r.stderr, deadTok) {
		t.Error("a secret shows with --redact")
	}
	// --fail-on live: a dead secret alone does not fail the run.
	os.WriteFile(filepath.Join(dir, "a.env"), []byte("B="+deadTok+"\n"), 0o644)
	r = runCLI(t, "", "dir", dir, "-c", cfg, "--fail-on", "live", "--no-progress")
	if r.code != 0 || !strings.Contains(r.stdout, "dead") {
		t.Fatalf("fail-on live with only dead secrets: %+v", r)
	}
}

func TestVerifyCommand(t *testing.T) {
	cfg := verifyConfig(t)
	r := runCLI(t, token(7)+"\n", "verify", "--rule", "test-token", "-c", cfg)
	if r.code != ExitFindings || !strings.Contains(r.stdout, "acme: live") || !strings.Contains(r.stdout, "owner-5@example.com") {
		t.Fatalf("%+v", r)
	}
	r = runCLI(t, token(12), "verify", "--rule", "test-token", "-c", cfg, "-f", "json")
	if r.code != 0 || !strings.Contains(r.stdout, `"status": "dead"`) || strings.Contains(r.stdout+r.stderr, token(12)) {
		t.Fatalf("%+v", r)
	}
	if r := runCLI(t, "x", "verify", "--rule", "no-such-rule"); r.code != ExitUsage {
		t.Fatalf("%+v", r)
	}
}
