package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/achilles-sec/achilles/scanner/finding"
)

// junitWriter writes JUnit XML: one test case per finding, failed, so CI
// systems that show test reports list each leak; an empty report is one
// passing case.
type junitWriter struct{}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	ClassName string        `xml:"classname,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

func (junitWriter) write(w io.Writer, l *finding.List) error {
	fs, err := l.Slice()
	if err != nil {
		return err
	}
	suite := junitSuite{Name: "achilles", Tests: len(fs), Failures: len(fs)}
	for _, f := range fs {
		text := fmt.Sprintf("%s\nfile: %s:%d:%d\nsecret: %s\nfingerprint: %s\n", f.Description, f.Path, f.Line, f.Column, f.Secret, f.Fingerprint)
		for _, o := range f.Origin() {
			text += o.Name + ": " + o.Value + "\n"
		}
		if v := f.Verification; v != nil {
			text += "verification: " + v.Status + "\n"
		}
		// CI pages show these in terminals and browsers: no control
		// character from the content passes (encoding/xml lets C1 through).
		suite.Cases = append(suite.Cases, junitCase{
			Name:      Escape(fmt.Sprintf("%s:%d %s", f.Path, f.Line, f.RuleID)),
			ClassName: f.RuleID,
			Failure:   &junitFailure{Message: Escape(f.Description + " in " + f.Path), Type: f.RuleID, Text: escapeLines(text)},
		})
	}
	if len(fs) == 0 {
		suite.Tests = 1
		suite.Cases = []junitCase{{Name: "no secrets found", ClassName: "achilles"}}
	}
	out := junitSuites{Name: "achilles", Tests: suite.Tests, Failures: suite.Failures, Suites: []junitSuite{suite}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	_, err = io.WriteString(w, "\n")
	return err
}

// escapeLines escapes each line of a multi-line text, keeping its newlines.
func escapeLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = Escape(l)
	}
	return strings.Join(lines, "\n")
}
