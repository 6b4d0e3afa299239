package triage

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/achilles-sec/achilles/scanner/finding"
)

const fuzzCommit = "0123456789abcdef0123456789abcdef01234567"

// FuzzReadIgnore reads arbitrary bytes as an ignore file. Every gitleaks
// entry it takes must suppress the finding it describes, and read the same
// when written back; every entry AppendIgnore accepts must be read back as
// written.
func FuzzReadIgnore(f *testing.F) {
	f.Add([]byte("# reviewed 2024-05\n" + finding.MakeFingerprint("aws-access-key", "AKIAEXAMPLE", "deploy/prod.env") + "\n"))
	f.Add([]byte(fuzzCommit + ":deploy/a:b.env:aws-key:7\r\ndeploy/a:b.env:aws-key:7\r\n\r\n"))
	f.Add([]byte("\ufeffgeneric-api-key:3f2a:config/app.yaml\n  padded:entry:path  \n#comment\n"))
	f.Add([]byte("a::1\n:rule:2\npath:rule:-3\npath:rule:+4\npath:rule:0\n" + strings.Repeat("x", 41) + ":p:r:5\n"))
	f.Add([]byte(strings.Repeat("A", 64) + ":p:r:9\n" + strings.Repeat("ab", 32) + ":p:r:9"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		flt := NewFilter()
		if err := flt.Read(bytes.NewReader(data)); err != nil {
			if !strings.Contains(err.Error(), "too long") {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		for _, p := range flt.positional {
			x := finding.Finding{RuleID: p.rule, Path: p.path, Line: p.line, Git: &finding.GitOrigin{Commit: p.commit}, Fingerprint: "-"}
			if x.Git.Commit == "" {
				x.Git.Commit = fuzzCommit
			}
			if !flt.Suppressed(x) {
				t.Fatalf("entry %+v does not suppress %+v", p, x)
			}
			if p.line < 1 || p.commit != "" && !isCommit(p.commit) {
				t.Fatalf("entry %+v taken", p)
			}
			back := NewFilter()
			back.Add(formatPositional(p))
			if len(back.positional) != 1 || back.positional[0] != p {
				t.Fatalf("entry %+v reads back as %+v", p, back.positional)
			}
		}

		// The lines as fingerprints to append: each accepted one is read back.
		lines := strings.Split(string(data), "\n")
		path := filepath.Join(dir, "ignore")
		os.Remove(path)
		if err := AppendIgnore(path, lines); err != nil {
			return
		}
		back := NewFilter()
		if err := readIgnoreFile(back, path); err != nil {
			t.Fatal(err)
		}
		for _, l := range lines {
			if !back.exact[strings.TrimSpace(l)] {
				t.Fatalf("appended %q, read back %v", l, back.exact)
			}
		}
	})
}

// formatPositional writes a gitleaks entry as .gitleaksignore holds it.
func formatPositional(p positional) string {
	s := p.path + ":" + p.rule + ":" + strconv.Itoa(p.line)
	if p.commit != "" {
		s = p.commit + ":" + s
	}
	return s
}

// FuzzBaseline reads arbitrary bytes as a --baseline report: no panic; what
// is not JSON is an error; every fingerprint read was in the report.
func FuzzBaseline(f *testing.F) {
	a := finding.Finding{RuleID: "aws-access-key", Secret: "AKIAEXAMPLE", Path: "a.env", Line: 3}
	a.Fingerprint = finding.MakeFingerprint(a.RuleID, a.Secret, a.Path)
	achilles, _ := json.MarshalIndent([]finding.Finding{a}, "", "  ")
	f.Add(achilles)
	f.Add([]byte(`[{"Description":"AWS","StartLine":3,"File":"a.env","Commit":"` + fuzzCommit + `","RuleID":"aws-access-token","Fingerprint":"` + fuzzCommit + `:a.env:aws-access-token:3"}]`))
	f.Add([]byte("\ufeff[]"))
	f.Add([]byte(`null`))
	f.Add([]byte(`[null, {"fingerprint": 5}, {"Fingerprint": ""}]`))
	f.Add([]byte(`{"fingerprint":"r:1:a"}`))
	f.Add([]byte(`{"rule_id":"x"}` + "\n" + `{"rule_id":"y"}`))
	f.Add([]byte("not json"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fps, err := baselineFingerprints(data)
		if !json.Valid(bytes.TrimPrefix(data, []byte(utf8BOM))) && err == nil {
			t.Fatalf("%q is not JSON and was read", data)
		}
		if err != nil {
			if msg := err.Error(); !strings.Contains(msg, "JSON report") && !strings.Contains(msg, "fingerprint") {
				t.Fatalf("unclear error %q", msg)
			}
			return
		}
		// Written back as an achilles report, the same fingerprints are read.
		var report []finding.Finding
		for _, fp := range fps {
			report = append(report, finding.Finding{Fingerprint: fp})
		}
		out, err := json.Marshal(report)
		if err != nil {
			t.Fatal(err)
		}
		back, err := baselineFingerprints(out)
		if err != nil || len(back) != len(fps) {
			t.Fatalf("%q read back as %q, %v", fps, back, err)
		}
		for i := range fps {
			if back[i] != fps[i] {
				t.Fatalf("%q read back as %q", fps, back)
			}
		}
	})
}
