package report

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/achilles-sec/achilles/scanner/finding"
)

// Escape sequences a hostile repository can put in a file name, an author
// or a commit message: OSC 52 (write the clipboard), clear the screen,
// cursor up (overwrite earlier findings), an 8-bit CSI as UTF-8 and as a
// raw byte, DEL and a set-title sequence.
const hostile = "\x1b]52;c;ZXZpbA==\x07\x1b[2J\x1b[10A\u009b2J\x9b1m\x7f\x1b]0;pwned\x1b\\"

// terminalUnsafe reports the first control byte or rune (other than the
// writer's own colour codes, removed first) in out.
func terminalUnsafe(out string) (string, bool) {
	for _, code := range []string{ansiReset, ansiBold, ansiRed, ansiYellow, ansiDim, ansiCyan} {
		out = strings.ReplaceAll(out, code, "")
	}
	for i, r := range out {
		if r == utf8.RuneError || r == 0x1b || r == 0x7f || r >= 0x80 && r <= 0x9f || r < 0x20 && r != '\n' {
			return out[max(0, i-20):min(len(out), i+20)], true
		}
	}
	return "", false
}

func hostileFinding() finding.Finding {
	return finding.Finding{RuleID: "aws-access-key-id", Description: "AWS access key ID", Confidence: "high",
		Path: "cfg" + hostile + ".env", Line: 2, Column: 1, Secret: "AKIAZ3MSJV4WQPTHKR7N" + hostile, Match: "k=" + hostile,
		Fingerprint: "aws-access-key-id:1234:cfg" + hostile + ".env", Git: &finding.GitOrigin{Commit: "0123456789ab" + hostile, Author: "Eve" + hostile, Email: "eve" + hostile + "@example.com", Date: "2024" + hostile, Message: "fix\n" + hostile}, Decoded: []string{"base64" + hostile},
		Verification: &finding.Verification{Status: "dead", Reason: "said " + hostile, Identity: "id" + hostile, Scopes: []string{"repo" + hostile}, ExpiresAt: "soon" + hostile}}
}

// TestTextAndCSVEscapeScannedContent: with and without colour, the text
// report holds no control character from the content (only its own colour
// codes), and no CSV cell holds one; the content is still there, escaped.
func TestTextAndCSVEscapeScannedContent(t *testing.T) {
	fs := []finding.Finding{hostileFinding()}
	for _, opts := range []Options{{}, {Color: true}, {Redact: true}} {
		w, _ := New("text", opts)
		var buf bytes.Buffer
		if err := w.Write(&buf, fs); err != nil {
			t.Fatal(err)
		}
		if at, bad := terminalUnsafe(buf.String()); bad {
			t.Errorf("text %+v: control character near %q", opts, at)
		}
		for _, want := range []string{`cfg\x1b]52;c;ZXZpbA==\a\x1b[2J\x1b[10A\u009b2J\x9b1m\x7f`, `Eve\x1b`, `fix\n\x1b`, `said \x1b`, `(said \x1b]52`} {
			if !strings.Contains(buf.String(), want) && !(opts.Redact && strings.HasPrefix(want, "AKIA")) {
				t.Errorf("text %+v does not show %q escaped:\n%s", opts, want, buf.String())
			}
		}
	}
	w, _ := New("csv", Options{})
	var buf bytes.Buffer
	if err := w.Write(&buf, fs); err != nil {
		t.Fatal(err)
	}
	if at, bad := terminalUnsafe(buf.String()); bad {
		t.Errorf("csv: control character near %q", at)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil || len(rows) != 2 {
		t.Fatalf("csv: %v %q", err, rows)
	}
	if got := rows[1][3]; got != Escape(fs[0].Path) {
		t.Errorf("csv path cell %q", got)
	}
}

// TestCSVFormulaGuardAfterEscaping: a cell that starts with a control
// character is escaped (no longer a formula); one that starts with = is
// still guarded.
func TestCSVFormulaGuardAfterEscaping(t *testing.T) {
	for in, want := range map[string]string{"=1+1": "'=1+1", "\t=1+1": `\t=1+1`, "\r@x": `\r@x`, "-\x1b[2J": `'-\x1b[2J`, "ok": "ok"} {
		if got := csvSafe(in); got != want {
			t.Errorf("csvSafe(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestTextShowsCanary: a canary finding is marked in its heading and its
// verification line says it was not sent, with the verifier's reason.
func TestTextShowsCanary(t *testing.T) {
	f := sampleFindings()[0]
	f.Verification = &finding.Verification{Status: "canary", Verifier: "aws",
		Reason: "canary token: the key id belongs to AWS account 052310077262 (Thinkst Canarytokens (canarytokens.org)); not sent to STS, where any use sets it off"}
	for _, color := range []bool{false, true} {
		w, _ := New("text", Options{Color: color})
		var buf bytes.Buffer
		if err := w.Write(&buf, []finding.Finding{f}); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		plain := out
		for _, code := range []string{ansiReset, ansiBold, ansiYellow, ansiRed, ansiCyan, ansiDim} {
			plain = strings.ReplaceAll(plain, code, "")
		}
		if !strings.HasPrefix(plain, "CANARY aws-access-key-id") || !strings.Contains(plain, "verified  canary: a planted decoy, never sent  (canary token") || !strings.Contains(plain, "account 052310077262") {
			t.Errorf("color %v:\n%s", color, out)
		}
	}
}
