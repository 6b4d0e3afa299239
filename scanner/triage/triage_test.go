package triage

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/achilles-sec/achilles/scanner/finding"
)

func TestFilter(t *testing.T) {
	const commit = "0123456789abcdef0123456789abcdef01234567"
	a := finding.Finding{RuleID: "aws-key", Secret: "AKIAEXAMPLE", Path: "deploy/a:b.env", Line: 7, Git: &finding.GitOrigin{Commit: commit}}
	a.Fingerprint = finding.MakeFingerprint(a.RuleID, a.Secret, a.Path)
	other := a
	other.Secret = "AKIAOTHER"
	other.Fingerprint = finding.MakeFingerprint(other.RuleID, other.Secret, other.Path)
	for _, tc := range []struct {
		name, entry string
		want        bool
	}{
		{"achilles fingerprint", a.Fingerprint, true},
		{"fingerprint with blanks", "  " + a.Fingerprint + "\t", true},
		{"comment", "# " + a.Fingerprint, false},
		{"gitleaks commit:path:rule:line", commit + ":deploy/a:b.env:aws-key:7", true},
		{"gitleaks path:rule:line", "deploy/a:b.env:aws-key:7", true},
		{"gitleaks, other commit", "1123456789abcdef0123456789abcdef01234567:deploy/a:b.env:aws-key:7", false},
		{"gitleaks, other line", commit + ":deploy/a:b.env:aws-key:8", false},
		{"gitleaks, other rule", commit + ":deploy/a:b.env:gcp-key:7", false},
		{"gitleaks, signed line", commit + ":deploy/a:b.env:aws-key:+7", false},
	} {
		f := NewFilter()
		f.Add(tc.entry)
		if got := f.Suppressed(a); got != tc.want {
			t.Errorf("%s: suppressed %v, want %v", tc.name, got, tc.want)
		}
		// A fingerprint names one secret; a positional entry names a line.
		if positional := f.Len() > len(f.exact); tc.want && !positional && f.Suppressed(other) {
			t.Errorf("%s: another secret was suppressed", tc.name)
		}
	}
}

func TestAppendIgnore(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".achillesignore")
	// An existing file without a final newline.
	if err := os.WriteFile(path, []byte("# reviewed\nrule:1111:a.env"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := AppendIgnore(path, []string{"rule:2222222222222222:b.env", " rule:3333333333333333:c.env "}); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	if want := "# reviewed\nrule:1111:a.env\nrule:2222222222222222:b.env\nrule:3333333333333333:c.env\n"; string(got) != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	f := NewFilter()
	if err := readIgnoreFile(f, path); err != nil || f.Len() != 3 {
		t.Fatalf("loaded %d entries, %v", f.Len(), err)
	}
	if err := AppendIgnore(path, []string{"a\nb"}); err == nil {
		t.Error("a fingerprint with a newline was accepted")
	}
	for _, bogus := range []string{"bogus", "rule:xyz:a.env", "rule:2222222222222222:", "a.env:rule:0"} {
		if err := AppendIgnore(path, []string{bogus}); err == nil {
			t.Errorf("%q was accepted as a fingerprint", bogus)
		}
	}
	if err := AppendIgnore(path, []string{"0123456789abcdef0123456789abcdef01234567:a.env:aws-access-key-id:3", "a.env:aws-access-key-id:3"}); err != nil {
		t.Errorf("gitleaks entries refused: %v", err)
	}
	// A committed link to a file of the user's is never written through.
	dir := t.TempDir()
	victim := filepath.Join(dir, "bashrc")
	os.WriteFile(victim, []byte("alias ls=ls\n"), 0o644)
	link := filepath.Join(dir, ".achillesignore")
	if err := os.Symlink(victim, link); err != nil {
		t.Skip(err)
	}
	if err := AppendIgnore(link, []string{"rule:4444444444444444:d.env"}); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("appended through a symlink: %v", err)
	}
	if got, _ := os.ReadFile(victim); string(got) != "alias ls=ls\n" {
		t.Errorf("the link's target changed: %q", got)
	}
}

func TestBaseline(t *testing.T) {
	const commit = "c0ffee0000000000000000000000000000000000"
	dir := t.TempDir()
	path := filepath.Join(dir, "old.json")
	// achilles' own report and gitleaks' report keys are both read.
	os.WriteFile(path, []byte(`[{"fingerprint":"r:1:a"},{"Fingerprint":"`+commit+`:b.env:r:3"}]`), 0o644)
	f := NewFilter()
	if err := f.LoadBaseline(path); err != nil {
		t.Fatal(err)
	}
	kept, n := f.Apply([]finding.Finding{{Fingerprint: "r:1:a"}, {Fingerprint: "r:2:a"}, {RuleID: "r", Path: "b.env", Line: 3, Git: &finding.GitOrigin{Commit: commit}}})
	if n != 2 || len(kept) != 1 || kept[0].Fingerprint != "r:2:a" {
		t.Fatalf("kept %+v, suppressed %d", kept, n)
	}
	os.WriteFile(path, []byte(`{"not":"a report"}`), 0o644)
	if err := NewFilter().LoadBaseline(path); err == nil {
		t.Error("a baseline that is not a report was accepted")
	}
}

func TestReadIgnore(t *testing.T) {
	// A folder whose name is 40 bytes but not hex is a path, not a commit.
	dir := strings.Repeat("x", 40)
	x := finding.Finding{RuleID: "r", Path: dir + ":a.env", Line: 2, Fingerprint: "r:1:a"}
	f := NewFilter()
	// A byte order mark before the first entry is not part of it.
	if err := f.Read(strings.NewReader("\ufeffr:1:a\r\n" + dir + ":a.env:r:2\n")); err != nil {
		t.Fatal(err)
	}
	if !f.exact["r:1:a"] || len(f.positional) != 1 || f.positional[0].commit != "" || !f.Suppressed(x) {
		t.Fatalf("read %v %+v", f.exact, f.positional)
	}
}

func TestBaselineWithoutFingerprints(t *testing.T) {
	for _, in := range []string{`[{"rule_id":"r"}]`, `[null]`, `[{"Fingerprint":3}]`, `{"rule_id":"r"}` + "\n"} {
		if _, err := baselineFingerprints([]byte(in)); err == nil {
			t.Errorf("%s was read as a baseline", in)
		}
	}
	if fps, err := baselineFingerprints([]byte("\ufeff[]")); err != nil || len(fps) != 0 {
		t.Errorf("an empty report with a byte order mark: %q %v", fps, err)
	}
}

// readIgnoreFile reads an ignore file the way the CLI hands one over.
func readIgnoreFile(f *Filter, path string) error {
	file, err := os.Open(path)
	if err != nil {
		return err
	}
	defer file.Close()
	return f.Read(file)
}
