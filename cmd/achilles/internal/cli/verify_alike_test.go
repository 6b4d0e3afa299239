package cli

import (
	"encoding/json"
	"fmt"
	"hash/crc32"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/achilles-sec/achilles/scanner/finding"
)

// githubToken makes a ghp_ token from 30 random characters, with GitHub's
// documented checksum (CRC32 in six base62 digits) right or wrong.
func githubToken(random string, goodChecksum bool) string {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	v := crc32.ChecksumIEEE([]byte(random))
	if !goodChecksum {
		v++
	}
	sum := make([]byte, 6)
	for i := 5; i >= 0; i-- {
		sum[i] = alphabet[v%62]
		v /= 62
	}
	return "ghp_" + random + string(sum)
}

// TestScanAndSweepVerifyAlike: `achilles git --verify` and `achilles sweep
// --verify` of the same repository make the same decisions, through the
// one orchestrator: a GitHub token with a wrong checksum is never sent
// (unknown, a look-alike), a good one is asked once and is live; a pair
// verifier whose key id the file holds twice is rejected with the nearest
// key id, which is unknown (the pairing may be wrong), while the same
// rejection with the only key id of its file is dead.
func TestScanAndSweepVerifyAlike(t *testing.T) {
	good := githubToken("Zx8Qm2Lp7Rt4Vw9Yb3Nc6Hd1Kf5Sg0", true)
	bad := githubToken("Ab3Cd5Ef7Gh9Jk2Lm4Np6Qr8St0Uv1", false)
	var ghHits, pairHits atomic.Int64
	var sent sentLog
	fake := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/gh/user":
			ghHits.Add(1)
			sent.add(r.Header.Get("Authorization"))
			if r.Header.Get("Authorization") != "Bearer "+good {
				w.WriteHeader(http.StatusUnauthorized)
				fmt.Fprint(w, `{"message":"Bad credentials"}`)
				return
			}
			w.Header().Set("X-OAuth-Scopes", "repo")
			fmt.Fprint(w, `{"login":"octo-ada"}`)
		case r.URL.Path == "/pair/v1/check":
			pairHits.Add(1)
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":"invalid key pair"}`)
		default:
			http.NotFound(w, r)
		}
	}))
	defer fake.Close()

	cfg := filepath.Join(t.TempDir(), "achilles.toml")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`[extend]
useDefault = true

[[rules]]
id = "pair-key-id"
regex = '''PAIRID[0-9]{10}'''
keywords = ["pairid"]

[[rules]]
id = "pair-secret"
regex = '''pairsecret_[a-z0-9]{24}'''
keywords = ["pairsecret_"]
verifier = "pair"

[verify.endpoints]
github = "%[1]s/gh"
pair = "%[1]s/pair"

[[verify.http]]
id = "pair"
companions = ["pair-key-id"]
url = "https://api.pair.example/v1/check"
headers = { "X-Key-Id" = '{{part "pair-key-id"}}', "X-Secret" = "{{secret}}" }
dead = { status = [401] }
`, fake.URL)), 0o600)

	r := newGitRepo(t)
	r.write("gh.env", "GITHUB_TOKEN="+good+"\nOLD_TOKEN="+bad+"\n")
	r.write("one.env", "PAIR_ID=PAIRID0000000001\nPAIR_SECRET=pairsecret_aaaaaaaaaaaaaaaaaaaaaaa1\n")
	r.write("two.env", "PAIR_ID=PAIRID0000000002\nPAIR_SECRET=pairsecret_bbbbbbbbbbbbbbbbbbbbbbb2\nOTHER_ID=PAIRID0000000003\n")
	r.run("git", "add", "-A")
	r.run("git", "commit", "-qm", "keys")

	verdicts := func(fs []finding.Finding) map[string]string {
		out := map[string]string{}
		for _, f := range fs {
			if f.RuleID != "pair-secret" && !strings.HasPrefix(f.Secret, "ghp_") {
				continue
			}
			v := "none"
			if f.Verification != nil {
				v = f.Verification.Status
				if strings.Contains(f.Verification.Reason, "look-alike") {
					v += " (look-alike)"
				}
				if strings.Contains(f.Verification.Reason, "pairing may be wrong") {
					v += " (pairing)"
				}
			}
			out[f.Secret] = v
		}
		return out
	}
	want := map[string]string{
		good:                                  "live",
		bad:                                   "unknown (look-alike)",
		"pairsecret_aaaaaaaaaaaaaaaaaaaaaaa1": "dead",
		"pairsecret_bbbbbbbbbbbbbbbbbbbbbbb2": "unknown (pairing)",
	}

	scan := runCLI(t, "", "git", r.dir, "-c", cfg, "--verify", "--verify-timeout", "5s", "-f", "json", "--no-redact", "--no-progress")
	var fs []finding.Finding
	if err := json.Unmarshal([]byte(scan.stdout), &fs); err != nil {
		t.Fatalf("scan: exit %d: %v\n%s", scan.code, err, scan.stderr)
	}
	if got := verdicts(fs); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("scan verdicts %v, want %v", got, want)
	}
	scanGH, scanPair := ghHits.Load(), pairHits.Load()
	if scanGH != 1 || sent.has("Bearer "+bad) {
		t.Errorf("scan sent %d GitHub requests (the look-alike: %v), want 1 and no", scanGH, sent.has("Bearer "+bad))
	}
	if scanPair != 2 {
		t.Errorf("scan sent %d pair requests, want 2 (one per secret)", scanPair)
	}

	dir := t.TempDir()
	list := filepath.Join(dir, "repos.txt")
	os.WriteFile(list, []byte(r.dir+"\n"), 0o600)
	db := filepath.Join(dir, "sweep.db")
	sw := runCLI(t, "", "sweep", "--exit-code", "0", "-c", cfg, "--repos", list, "--db", db, "--cache", filepath.Join(dir, "cache"), "--verify", "--no-progress")
	if sw.code != 0 {
		t.Fatalf("sweep: exit %d\n%s", sw.code, sw.stderr)
	}
	rep := runCLI(t, "", "report", "--db", db, "-f", "json", "--no-redact")
	fs = nil
	if err := json.Unmarshal([]byte(rep.stdout), &fs); err != nil {
		t.Fatalf("report: exit %d: %v\n%s", rep.code, err, rep.stderr)
	}
	if got := verdicts(fs); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("sweep verdicts %v, want %v", got, want)
	}
	if n := ghHits.Load() - scanGH; n != 1 {
		t.Errorf("sweep sent %d GitHub requests, want 1", n)
	}
	if n := pairHits.Load() - scanPair; n != 2 {
		t.Errorf("sweep sent %d pair requests, want 2", n)
	}
	if sent.has("Bearer " + bad) {
		t.Error("the sweep sent the look-alike")
	}
}

type sentLog struct {
	mu   sync.Mutex
	seen []string
}

func (s *sentLog) add(v string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seen = append(s.seen, v)
}

func (s *sentLog) has(v string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, x := range s.seen {
		if x == v {
			return true
		}
	}
	return false
}
