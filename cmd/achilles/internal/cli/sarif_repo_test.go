package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/achilles-sec/achilles/rules"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// sarifSchema finds ../shared/schemas/sarif-schema-2.1.0.json beside the
// repository; without it the test is skipped with a message, except under
// CI, which always has it.
func sarifSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	dir := repoRoot(t)
	p := filepath.Join(filepath.Dir(dir), "shared", "schemas", "sarif-schema-2.1.0.json")
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("the SARIF schema is missing under CI: %v", err)
		}
		t.Skipf("no SARIF schema at %s (put the OASIS sarif-schema-2.1.0.json there to run this test)", p)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	s, err := c.Compile(p)
	if err != nil {
		t.Fatalf("loading the SARIF schema: %v", err)
	}
	return s
}

// TestSARIFOfFullHistoryValidates commits the first example of every
// built-in rule to a real repository (in two commits, the second editing
// half the files), scans its whole history with -f sarif and validates the
// document against the SARIF 2.1.0 schema: hundreds of rules with findings,
// each rule's tags unique, severities derived from confidence.
func TestSARIFOfFullHistoryValidates(t *testing.T) {
	schema := sarifSchema(t)
	cfg, err := rules.Default()
	if err != nil {
		t.Fatal(err)
	}
	r := newGitRepo(t)
	n := 0
	for i, rule := range cfg.Rules {
		if len(rule.Examples) == 0 || rule.SkipReport {
			continue
		}
		path := fmt.Sprintf("examples/%04d.txt", i)
		if rule.ExamplePath != "" {
			path = fmt.Sprintf("examples/%04d/%s", i, rule.ExamplePath)
		}
		r.write(path, rule.Examples[0]+"\n")
		n++
	}
	r.run("git", "add", "-A")
	r.run("git", "commit", "-qm", "examples")
	for i := range cfg.Rules {
		if i%2 == 0 {
			if p := filepath.Join(r.dir, fmt.Sprintf("examples/%04d.txt", i)); fileExists(p) {
				r.write(fmt.Sprintf("examples/%04d.txt", i), "intro line\n"+mustRead(t, p))
			}
		}
	}
	r.run("git", "commit", "-qam", "edit")
	res := runBinary(t, r.dir, nil, "git", ".", "-f", "sarif", "--no-progress")
	if res.code != ExitFindings {
		t.Fatalf("exit %d, want %d: %s", res.code, ExitFindings, res.stderr)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader([]byte(res.stdout)))
	if err != nil {
		t.Fatal(err)
	}
	if err := schema.Validate(doc); err != nil {
		t.Fatalf("the SARIF of a full-history scan does not validate: %v", err)
	}
	var log struct {
		Runs []struct {
			Tool struct {
				Driver struct {
					Rules []struct {
						ID         string         `json:"id"`
						Properties map[string]any `json:"properties"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID string `json:"ruleId"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &log); err != nil {
		t.Fatal(err)
	}
	run := log.Runs[0]
	withFindings := map[string]bool{}
	for _, res := range run.Results {
		withFindings[res.RuleID] = true
	}
	if len(withFindings) < 300 {
		t.Errorf("%d rules with findings in the run, want hundreds (%d examples committed)", len(withFindings), n)
	}
	severities := map[any]int{}
	for _, rule := range run.Tool.Driver.Rules {
		severities[rule.Properties["security-severity"]]++
	}
	if len(severities) < 2 {
		t.Errorf("every rule has the same security-severity: %v", severities)
	}
	t.Logf("%d examples, %d rules with findings, %d results, severities %v", n, len(withFindings), len(run.Results), severities)
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func mustRead(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
