package report

import (
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/achilles-sec/achilles/scanner/finding"
)

func TestCSV(t *testing.T) {
	w, _ := New("csv", Options{})
	var buf bytes.Buffer
	fs := sampleFindings()
	fs[1].Git = &finding.GitOrigin{Author: "=HYPERLINK(\"x\")"}
	fs[1].Path = "@SUM(1+1)*cmd|' /C calc'!A0" // file names come from the scanned repository
	if err := w.Write(&buf, fs); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0][0] != "rule_id" || rows[1][0] != "aws-access-key-id" || rows[1][4] != "3" || rows[1][16] != "live" {
		t.Fatalf("%v", rows)
	}
	if !strings.HasPrefix(rows[2][11], "'=") || !strings.HasPrefix(rows[2][3], "'@") {
		t.Errorf("a formula-looking cell was not neutralised: %q", rows[2])
	}
}

func TestJUnit(t *testing.T) {
	w, _ := New("junit", Options{Redact: true})
	var buf bytes.Buffer
	if err := w.Write(&buf, sampleFindings()); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Suites   []struct {
			Cases []struct {
				Name    string `xml:"name,attr"`
				Failure struct {
					Type string `xml:"type,attr"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Tests != 2 || doc.Failures != 2 || doc.Suites[0].Cases[0].Failure.Type != "aws-access-key-id" {
		t.Fatalf("%+v", doc)
	}
	if strings.Contains(buf.String(), "AKIAZ3MSJV4WQPTHKR7N") {
		t.Error("redacted JUnit shows the secret")
	}
	buf.Reset()
	w.Write(&buf, nil)
	if !strings.Contains(buf.String(), `failures="0"`) {
		t.Errorf("empty report: %s", buf.String())
	}
}

func TestTemplate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.tmpl")
	os.WriteFile(path, []byte(`{{range .}}{{.RuleID}} {{.Path}}:{{.Line}} {{.Secret}}{{if .Verification}} {{upper .Verification.Status}}{{end}}
{{end}}`), 0o644)
	w, err := New("template="+path, Options{Redact: true})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := w.Write(&buf, sampleFindings()); err != nil {
		t.Fatal(err)
	}
	want := "aws-access-key-id deploy/prod env.sh:3 AK*****" + " LIVE\npassword-in-url app.zip!config/db.yml:1 h*****\n"
	if buf.String() != want {
		t.Fatalf("got %q\nwant %q", buf.String(), want)
	}
	if _, err := New("template=/no/such/file", Options{}); err == nil {
		t.Error("a missing template was accepted")
	}
}
