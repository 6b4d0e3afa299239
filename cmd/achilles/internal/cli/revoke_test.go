package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/scanner/finding"
	"github.com/achilles-sec/achilles/scanner/sweep/store"
)

// revokeFake answers GitHub's POST /credentials/revoke (unauthenticated,
// {"credentials": [...]}, 202) and Slack's auth.revoke (Bearer,
// {"ok":true,"revoked":true}) as documented, and records what it got.
type revokeFake struct {
	*httptest.Server
	mu      sync.Mutex
	hits    int
	revoked []string
}

func newRevokeFake(t *testing.T) *revokeFake {
	f := &revokeFake{}
	f.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.hits++
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/credentials/revoke" && r.Header.Get("Authorization") == "":
			var body struct {
				Credentials []string `json:"credentials"`
			}
			raw, _ := io.ReadAll(r.Body)
			if json.Unmarshal(raw, &body) != nil || len(body.Credentials) == 0 {
				w.WriteHeader(http.StatusUnprocessableEntity)
				return
			}
			f.revoked = append(f.revoked, body.Credentials...)
			w.WriteHeader(http.StatusAccepted)
		case r.URL.Path == "/api/auth.revoke" && strings.HasPrefix(r.Header.Get("Authorization"), "Bearer xox"):
			f.revoked = append(f.revoked, strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
			w.Write([]byte(`{"ok":true,"revoked":true}`))
		case r.URL.Path == "/api/auth.revoke":
			w.Write([]byte(`{"ok":false,"error":"invalid_auth"}`))
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *revokeFake) count() (int, []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits, append([]string(nil), f.revoked...)
}

// revokeConfig extends the default rules and points the GitHub and Slack
// APIs at the fake (a trusted --config, as a GitHub Enterprise one is).
func revokeConfig(t *testing.T, base string) string {
	path := filepath.Join(t.TempDir(), "revoke.toml")
	os.WriteFile(path, []byte(fmt.Sprintf("[extend]\nuseDefault = true\n\n[verify.endpoints]\ngithub = %q\nslack = %q\n", base, base)), 0o644)
	return path
}

// withTerminal makes the confirmation read answer (err: there is none).
func withTerminal(t *testing.T, answer string, err error) {
	old := openTerminal
	openTerminal = func() (io.ReadCloser, error) {
		if err != nil {
			return nil, err
		}
		return io.NopCloser(strings.NewReader(answer)), nil
	}
	t.Cleanup(func() { openTerminal = old })
}

const ghTok = "ghp_Q2x9LmP4vR7sT1uW3yZ5aB8cD6eF0g1h2i3j"

func TestRevokeDryRunSendsNothing(t *testing.T) {
	f := newRevokeFake(t)
	withTerminal(t, "y\n", nil)
	audit := filepath.Join(t.TempDir(), "audit.jsonl")
	r := runCLI(t, ghTok, "revoke", "--rule", "github-pat-classic", "-c", revokeConfig(t, f.URL), "--dry-run", "--audit", audit)
	if r.code != 0 || !strings.Contains(r.stdout, "GitHub") || !strings.Contains(r.stdout, "github-pat-classic") || !strings.Contains(r.stdout, finding.Redact(ghTok)) || !strings.Contains(r.stderr, "nothing sent") {
		t.Fatalf("%+v", r)
	}
	if strings.Contains(r.stdout+r.stderr, ghTok) {
		t.Fatal("the plan shows the secret")
	}
	if hits, _ := f.count(); hits != 0 {
		t.Fatalf("%d requests in a dry run", hits)
	}
	if _, err := os.Stat(audit); err == nil {
		t.Fatal("a dry run wrote the audit log")
	}
}

func TestRevokeWithoutTerminalRefuses(t *testing.T) {
	f := newRevokeFake(t)
	withTerminal(t, "", errors.New("no tty"))
	audit := filepath.Join(t.TempDir(), "audit.jsonl")
	r := runCLI(t, ghTok, "revoke", "--rule", "github-pat-classic", "-c", revokeConfig(t, f.URL), "--audit", audit)
	if r.code != ExitUsage || !strings.Contains(r.stderr, "--yes") {
		t.Fatalf("%+v", r)
	}
	if hits, _ := f.count(); hits != 0 {
		t.Fatalf("%d requests without confirmation", hits)
	}
	// Declined at the prompt: nothing sent either.
	withTerminal(t, "n\n", nil)
	r = runCLI(t, ghTok, "revoke", "--rule", "github-pat-classic", "-c", revokeConfig(t, f.URL), "--audit", audit)
	if r.code != ExitFindings || !strings.Contains(r.stderr, "Revoke 1 credential? [y/N]") {
		t.Fatalf("%+v", r)
	}
	if hits, _ := f.count(); hits != 0 {
		t.Fatalf("%d requests after no", hits)
	}
}

func TestRevokeYesRevokesAndAudits(t *testing.T) {
	f := newRevokeFake(t)
	withTerminal(t, "", errors.New("no tty"))
	audit := filepath.Join(t.TempDir(), "audit.jsonl")
	r := runCLI(t, ghTok+"\n", "revoke", "--rule", "github-pat-classic", "-c", revokeConfig(t, f.URL), "--yes", "--audit", audit)
	if r.code != 0 || !strings.Contains(r.stdout, "revoked") {
		t.Fatalf("%+v", r)
	}
	if hits, got := f.count(); hits != 1 || len(got) != 1 || got[0] != ghTok {
		t.Fatalf("%d requests, revoked %v", hits, got)
	}
	st, err := os.Stat(audit)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("audit log: %v %v", st, err)
	}
	raw, _ := os.ReadFile(audit)
	if strings.Contains(string(raw), ghTok) {
		t.Fatal("the audit log holds the secret")
	}
	var e analyze.AuditEntry
	if err := json.Unmarshal(raw, &e); err != nil || e.Status != analyze.Revoked || e.Provider != "github" || e.Rule != "github-pat-classic" ||
		e.Fingerprint != finding.MakeFingerprint("github-pat-classic", ghTok, "") || e.Time.IsZero() || !strings.Contains(e.Answer, "202") {
		t.Fatalf("%v %+v", err, e)
	}
	// A second run appends.
	runCLI(t, ghTok, "revoke", "--rule", "github-pat-classic", "-c", revokeConfig(t, f.URL), "--yes", "--audit", audit)
	raw, _ = os.ReadFile(audit)
	if strings.Count(string(raw), "\n") != 2 {
		t.Fatalf("audit log:\n%s", raw)
	}
}

func TestRevokeCanaryAndManual(t *testing.T) {
	f := newRevokeFake(t)
	withTerminal(t, "y\n", nil)
	audit := filepath.Join(t.TempDir(), "audit.jsonl")
	cfg := revokeConfig(t, f.URL)
	r := runCLI(t, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKQ", "revoke", "--rule", "aws-secret-access-key", "--part", "aws-access-key-id=AKIAQYLPMN5HHHFPZAM2", "-c", cfg, "--audit", audit)
	if r.code != ExitFindings || !strings.Contains(r.stdout, "Never revoked") || !strings.Contains(r.stdout, "canary") {
		t.Fatalf("%+v", r)
	}
	r = runCLI(t, "Q2x9LmP4vR7sT1uW3yZ5aB8c", "revoke", "--rule", "vercel-token", "-c", cfg, "--audit", audit)
	if r.code != ExitFindings || !strings.Contains(r.stdout, "revoke it at https://vercel.com/account/tokens") {
		t.Fatalf("%+v", r)
	}
	if hits, _ := f.count(); hits != 0 {
		t.Fatalf("%d requests", hits)
	}
}

func TestRevokeFromSweepDatabase(t *testing.T) {
	f := newRevokeFake(t)
	withTerminal(t, "", errors.New("no tty"))
	dir := t.TempDir()
	db := filepath.Join(dir, "sweep.db")
	st, err := store.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	slackTok := "xoxb-2461234567-2469876543210-Q2x9LmP4vR7sT1uW3yZ5aB8c"
	mk := func(rule, secret, path string) finding.Finding {
		return finding.Finding{RuleID: rule, Secret: secret, Path: path, Line: 1, Fingerprint: finding.MakeFingerprint(rule, secret, path)}
	}
	fs := []finding.Finding{mk("github-pat-classic", ghTok, "a.env"), mk("github-pat-classic", ghTok, "b.env"), mk("slack-bot-token", slackTok, "c.env"), mk("github-pat-classic", "ghp_"+strings.Repeat("Z", 36), "d.env")}
	if _, err := st.SaveScan(context.Background(), store.Scan{Repo: store.Repo{Key: "h/o/r", URL: "https://h/o/r"}, At: time.Now(), Findings: fs}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	audit := filepath.Join(dir, "audit.jsonl")
	args := []string{"revoke", "--db", db, "-c", revokeConfig(t, f.URL), "--yes", "--audit", audit}
	for _, x := range fs[:3] {
		args = append(args, "--fingerprint", x.Fingerprint)
	}
	r := runCLI(t, "", args...)
	if r.code != 0 {
		t.Fatalf("%+v", r)
	}
	hits, got := f.count()
	// One GitHub request for the one unique token, one Slack call.
	if hits != 2 || len(got) != 2 {
		t.Fatalf("%d requests, revoked %v", hits, got)
	}
	st, err = store.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rows, err := st.Revocations(context.Background())
	if err != nil || len(rows) != 3 {
		t.Fatalf("%+v %v", rows, err)
	}
	for _, row := range rows {
		if row.Status != string(analyze.Revoked) || row.SecretID == "" || (row.Provider != "github" && row.Provider != "slack") {
			t.Fatalf("%+v", row)
		}
	}
	// Three audit lines, one per fingerprint.
	fh, _ := os.Open(audit)
	defer fh.Close()
	n := 0
	for sc := bufio.NewScanner(fh); sc.Scan(); n++ {
	}
	if n != 3 {
		t.Fatalf("%d audit lines", n)
	}
	if r := runCLI(t, "", "revoke", "--db", db, "--fingerprint", "nope", "--yes", "--audit", audit); r.code != ExitUsage {
		t.Fatalf("%+v", r)
	}
}
