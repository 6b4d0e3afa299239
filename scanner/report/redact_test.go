package report

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/achilles-sec/achilles/scanner/finding"
)

// TestRedactHidesEverySecretEverywhere: with --redact no finding shows any
// secret of the report, its own or another's: a commit message shared by
// the findings of one commit, a companion part a template can reach, an
// identity a provider echoed.
func TestRedactHidesEverySecretEverywhere(t *testing.T) {
	const a, b, part = "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", "glpat-8xXYJeCHLtQhdhsVQM0l", "AKIAZ3MSJV4WQPTHKR7N"
	msg := "add config (old token " + a + ", old key " + b + ")"
	fs := []finding.Finding{
		{RuleID: "github-pat-classic", Path: "a.env", Line: 1, Secret: a, Match: "T=" + a, Git: &finding.GitOrigin{Commit: "c1", Message: msg},
			Verification: &finding.Verification{Status: "live", Identity: "echo " + a, Reason: "said " + b}},
		{RuleID: "gitlab-pat", Path: "b.env", Line: 1, Secret: b, Match: "T=" + b + " " + a, Git: &finding.GitOrigin{Commit: "c1", Message: msg},
			Related: map[string]string{"aws-access-key-id": part}},
		{RuleID: "aws-access-key-id", Path: "c.env", Line: 1, Secret: part, Match: part, Git: &finding.GitOrigin{Message: "key " + part}},
	}
	tmpl := filepath.Join(t.TempDir(), "all.tmpl")
	os.WriteFile(tmpl, []byte(`{{range .}}{{printf "%#v" .}} {{printf "%#v" .Related}}{{with .Verification}}{{printf "%#v" .}}{{end}}
{{end}}`), 0o644)
	for _, format := range []string{"text", "json", "jsonl", "sarif", "csv", "junit", "template=" + tmpl} {
		w, err := New(format, Options{Redact: true})
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if err := w.Write(&out, fs); err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{a, b, part} {
			if strings.Contains(out.String(), s) {
				t.Errorf("%s shows %s:\n%s", format, s, out.String())
			}
		}
	}
	if fs[0].Secret != a || fs[1].Related["aws-access-key-id"] != part {
		t.Fatal("redaction changed the caller's findings")
	}
}
