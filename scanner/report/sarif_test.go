package report

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/achilles-sec/achilles/scanner/finding"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// schemaPath finds ../shared/schemas beside the repository root (CI keeps
// shared/ there); the test fails, never skips, when it is missing.
func schemaPath(t *testing.T) string {
	dir, _ := filepath.Abs(".")
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			p := filepath.Join(filepath.Dir(dir), "shared", "schemas", "sarif-schema-2.1.0.json")
			if _, err := os.Stat(p); err != nil {
				// A contributor's clone has no ../shared; CI always has it.
				if os.Getenv("CI") != "" {
					t.Fatalf("the SARIF schema is missing under CI: %v", err)
				}
				t.Skipf("no SARIF schema at %s (put the OASIS sarif-schema-2.1.0.json there to run this test)", p)
			}
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("repository root not found")
		}
		dir = parent
	}
}

func sampleFindings() []finding.Finding {
	present := true
	return []finding.Finding{
		{RuleID: "aws-access-key-id", Description: "AWS access key ID", Confidence: "high", Tags: []string{"aws"}, Path: "deploy/prod env.sh", Line: 3, Column: 9,
			Secret: "AKIAZ3MSJV4WQPTHKR7N", Match: "key=AKIAZ3MSJV4WQPTHKR7N", Fingerprint: "aws-access-key-id:1234:deploy/prod env.sh",
			Git:          &finding.GitOrigin{Commit: "0123456789abcdef0123456789abcdef01234567", Author: "Ada", Email: "ada@example.com", Date: "2024-01-02T03:04:05Z", StillPresent: &present},
			Verification: &finding.Verification{Status: "live", Identity: "arn:aws:iam::1:user/x", Verifier: "aws"}},
		{RuleID: "password-in-url", Description: "Password in a URL", Confidence: "low", Path: "app.zip!config/db.yml", Line: 1, Column: 1,
			Secret: "hunter2hunter2", Match: "postgres://u:hunter2hunter2@db", Fingerprint: "password-in-url:5678:app.zip!config/db.yml"},
	}
}

func TestSARIFValidatesAgainstSchema(t *testing.T) {
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	schema, err := c.Compile(schemaPath(t))
	if err != nil {
		t.Fatalf("loading the SARIF schema: %v", err)
	}
	for _, incomplete := range []bool{false, true} {
		opts := Options{Version: "1.2.3", Redact: RedactsByDefault("sarif"), Incomplete: incomplete, Rules: []RuleInfo{{ID: "aws-access-key-id", Description: "AWS access key ID", Confidence: "high", Verifiable: true}}}
		if incomplete {
			// The repository is recorded when known (here in one of the two runs).
			opts.Repository = &Repository{URI: "ssh://git@github.com/achilles-sec/achilles.git", Revision: "0123456789abcdef0123456789abcdef01234567", Branch: "main"}
		}
		w, err := New("sarif", opts)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := w.Write(&buf, sampleFindings()); err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		if err := schema.Validate(doc); err != nil {
			t.Fatalf("SARIF does not validate: %v\n%s", err, buf.String())
		}
		out := buf.String()
		for _, secret := range []string{"AKIAZ3MSJV4WQPTHKR7N", "hunter2hunter2"} {
			if strings.Contains(out, secret) {
				t.Errorf("SARIF shows a secret: %s", secret)
			}
		}
		var log struct {
			Runs []struct {
				Tool struct {
					Driver struct {
						Rules []struct{ ID string } `json:"rules"`
					} `json:"driver"`
				} `json:"tool"`
				Results []struct {
					RuleID              string            `json:"ruleId"`
					RuleIndex           int               `json:"ruleIndex"`
					PartialFingerprints map[string]string `json:"partialFingerprints"`
					Properties          map[string]any    `json:"properties"`
				} `json:"results"`
				Invocations []struct {
					ExecutionSuccessful bool `json:"executionSuccessful"`
				} `json:"invocations"`
				VCS []struct {
					RepositoryURI string `json:"repositoryUri"`
					RevisionID    string `json:"revisionId"`
				} `json:"versionControlProvenance"`
			} `json:"runs"`
		}
		json.Unmarshal(buf.Bytes(), &log)
		run := log.Runs[0]
		if len(run.Tool.Driver.Rules) != 2 || len(run.Results) != 2 {
			t.Fatalf("rules %d results %d", len(run.Tool.Driver.Rules), len(run.Results))
		}
		for _, r := range run.Results {
			if run.Tool.Driver.Rules[r.RuleIndex].ID != r.RuleID || r.PartialFingerprints["achillesFingerprint/v1"] == "" {
				t.Errorf("result %+v", r)
			}
		}
		if run.Results[0].Properties["commit"] != "0123456789abcdef0123456789abcdef01234567" {
			t.Errorf("no commit in properties: %v", run.Results[0].Properties)
		}
		if hasVCS := len(run.VCS) == 1 && run.VCS[0].RevisionID != ""; hasVCS != incomplete {
			t.Errorf("versionControlProvenance %+v with repository given = %v", run.VCS, incomplete)
		}
		if run.Invocations[0].ExecutionSuccessful == incomplete {
			t.Errorf("executionSuccessful = %v for incomplete = %v", run.Invocations[0].ExecutionSuccessful, incomplete)
		}
	}
}
