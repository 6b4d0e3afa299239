package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/achilles-sec/achilles/scanner/finding"
)

// The machine formats are read by programs, and also by people through cat
// and CI logs: JSON, JSONL and SARIF keep every value (they decode to the
// same strings) yet carry no raw control byte; JUnit escapes what XML would
// let through.
func TestMachineFormatsCarryNoRawControls(t *testing.T) {
	f := hostileFinding()
	f.Secret = "AKIAZ3MSJV4WQPTHKR7N"
	for _, format := range []string{"json", "jsonl", "sarif", "junit"} {
		w, err := New(format, Options{Rules: []RuleInfo{{ID: f.RuleID, Description: "AWS"}}})
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if err := w.Write(&out, []finding.Finding{f}); err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		if what, bad := terminalUnsafe(out.String()); bad {
			t.Errorf("%s: raw %s in the report", format, what)
		}
		if format == "json" {
			var back []finding.Finding
			if err := json.Unmarshal(out.Bytes(), &back); err != nil || len(back) != 1 || back[0].Path != valid(f.Path) || back[0].Git.Message != valid(f.Git.Message) {
				t.Errorf("json does not decode to the same values: %v %+v", err, back)
			}
		}
	}
}

// valid is what encoding/json makes of a string: each invalid byte becomes
// U+FFFD.
func valid(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }
