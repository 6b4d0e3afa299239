package cli

import (
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReportFormatsToFilesAndDevices writes every format through -o: a
// regular file is replaced whole with mode 0600 (an older, wider report at
// the path included), a device is written through and stays a device.
func TestReportFormatsToFilesAndDevices(t *testing.T) {
	dir := t.TempDir()
	tmpl := filepath.Join(dir, "report.tmpl")
	os.WriteFile(tmpl, []byte("{{range .}}{{.RuleID}} {{.Path}}:{{.Line}}\n{{end}}"), 0o644)
	parse := map[string]func([]byte) error{
		"sarif": func(b []byte) error {
			var v struct {
				Version string `json:"version"`
				Runs    []struct {
					Results []json.RawMessage `json:"results"`
				} `json:"runs"`
			}
			if err := json.Unmarshal(b, &v); err != nil {
				return err
			}
			if v.Version != "2.1.0" || len(v.Runs) != 1 || len(v.Runs[0].Results) != 1 {
				return fmt.Errorf("unexpected SARIF: %s", b)
			}
			return nil
		},
		"csv": func(b []byte) error {
			recs, err := csv.NewReader(strings.NewReader(string(b))).ReadAll()
			if err == nil && len(recs) != 2 {
				err = fmt.Errorf("want a header and one row: %q", recs)
			}
			return err
		},
		"junit": func(b []byte) error {
			var v struct {
				XMLName xml.Name
			}
			if err := xml.Unmarshal(b, &v); err != nil {
				return err
			}
			if !strings.Contains(string(b), "test-token") {
				return fmt.Errorf("no finding in %s", b)
			}
			return nil
		},
		"template=" + tmpl: func(b []byte) error {
			if string(b) != "test-token stdin:1\n" {
				return fmt.Errorf("template output %q", b)
			}
			return nil
		},
	}
	for format, check := range parse {
		out := filepath.Join(dir, "report.out")
		os.WriteFile(out, []byte("an older report\n"), 0o644)
		r := runCLI(t, tokA+"\n", "stdin", "-c", testConfig, "-f", format, "-o", out)
		if r.code != ExitFindings || r.stdout != "" {
			t.Fatalf("%s: %+v", format, r)
		}
		st, err := os.Stat(out)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s: report mode %v, want 0600", format, st.Mode().Perm())
		}
		b, _ := os.ReadFile(out)
		if err := check(b); err != nil {
			t.Errorf("%s: %v", format, err)
		}
		if r := runCLI(t, tokA+"\n", "stdin", "-c", testConfig, "-f", format, "-o", os.DevNull); r.code != ExitFindings {
			t.Fatalf("%s to %s: %+v", format, os.DevNull, r)
		}
		if st, err := os.Stat(os.DevNull); err != nil || st.Mode().IsRegular() {
			t.Fatalf("%s: %s was replaced", format, os.DevNull)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

// TestSARIFNamesTheRepository: a git scan's SARIF records the origin
// remote (without its credentials) and HEAD.
func TestSARIFNamesTheRepository(t *testing.T) {
	r := newGitRepo(t)
	r.write("a.env", "T="+tokA+"\n")
	r.run("git", "add", "-A")
	r.run("git", "commit", "-qm", "leak")
	r.run("git", "remote", "add", "origin", "https://ci:glpat-notreal0123456789@gitlab.example.com/g/p.git")
	head := strings.TrimSpace(r.run("git", "rev-parse", "HEAD"))
	res := runCLI(t, "", "git", r.dir, "-c", r.config(), "-f", "sarif", "--no-progress")
	if res.code != ExitFindings {
		t.Fatalf("%+v", res)
	}
	want := `"repositoryUri": "https://gitlab.example.com/g/p.git",
          "revisionId": "` + head + `",
          "branch": "main"`
	if !strings.Contains(res.stdout, want) || strings.Contains(res.stdout, "glpat") {
		t.Fatalf("versionControlProvenance:\n%s", res.stdout)
	}
}

// TestCIFormatsRedactByDefault: SARIF, JUnit and CSV reports are kept as CI
// artifacts and uploaded; they hide secrets unless --no-redact is given,
// which shows them; --redact with --no-redact is a usage error.
func TestCIFormatsRedactByDefault(t *testing.T) {
	const key = "AKIAQYLPMN5HHHFPZAM2"
	r := newGitRepo(t)
	r.write("deploy.env", "AWS_ACCESS_KEY_ID="+key+"\n")
	r.run("git", "add", "-A")
	r.run("git", "commit", "-qm", "add")
	for _, format := range []string{"sarif", "junit", "csv"} {
		hidden := runBinary(t, r.dir, nil, "git", ".", "-f", format, "--no-progress")
		if hidden.code != ExitFindings || strings.Contains(hidden.stdout, key) || !strings.Contains(hidden.stdout, "aws-access-key-id") || !strings.Contains(hidden.stdout, "*****") {
			t.Errorf("%s: exit %d, the report should name the finding with the key redacted:\n%s", format, hidden.code, hidden.stdout)
		}
		shown := runBinary(t, r.dir, nil, "git", ".", "-f", format, "--no-progress", "--no-redact")
		if shown.code != ExitFindings || !strings.Contains(shown.stdout, key) {
			t.Errorf("%s --no-redact: exit %d, the key should be shown:\n%s", format, shown.code, shown.stdout)
		}
	}
	if plain := runBinary(t, r.dir, nil, "git", ".", "-f", "json", "--no-progress"); !strings.Contains(plain.stdout, key) {
		t.Errorf("json is not a CI format and keeps the key unless --redact")
	}
	if both := runBinary(t, r.dir, nil, "git", ".", "--redact", "--no-redact"); both.code != ExitUsage {
		t.Errorf("--redact --no-redact: exit %d, want %d", both.code, ExitUsage)
	}
}

// TestTemplateAcceptsGitleaksNames runs a gitleaks user's template (its
// field names: .File, .StartLine, .EndLine, .StartColumn, .RuleID, .Secret,
// .Commit, .Author) and one with achilles' names over a real repository.
func TestTemplateAcceptsGitleaksNames(t *testing.T) {
	const key = "AKIAQYLPMN5HHHFPZAM2"
	r := newGitRepo(t)
	r.write("config/deploy.env", "# deploy\nAWS_ACCESS_KEY_ID="+key+"\n")
	r.run("git", "add", "-A")
	r.run("git", "commit", "-qm", "add")
	head := strings.TrimSpace(r.run("git", "rev-parse", "HEAD"))
	tpl := filepath.Join(t.TempDir(), "gitleaks.tmpl")
	os.WriteFile(tpl, []byte(`{{range .}}{{.File}}|{{.StartLine}}-{{.EndLine}}|{{.StartColumn}}|{{.RuleID}}|{{.Secret}}|{{.Commit}}|{{.Author}}|{{if .StillPresent}}present{{end}}{{"\n"}}{{end}}`), 0o600)
	res := runBinary(t, r.dir, nil, "git", ".", "-f", "template="+tpl, "--no-progress")
	want := "config/deploy.env|2-2|19|aws-access-key-id|" + key + "|" + head + "|Ada|present\n"
	if res.code != ExitFindings || res.stdout != want {
		t.Errorf("exit %d, template output %q, want %q (stderr %s)", res.code, res.stdout, want, res.stderr)
	}
	redacted := runBinary(t, r.dir, nil, "git", ".", "-f", "template="+tpl, "--no-progress", "--redact")
	if strings.Contains(redacted.stdout, key) {
		t.Errorf("--redact does not cover templates: %q", redacted.stdout)
	}
}
