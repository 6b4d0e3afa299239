package report

import (
	"fmt"
	"io"
	"os"
	"strings"
	"text/template"

	"github.com/achilles-sec/achilles/scanner/finding"
)

// templateWriter runs a user's Go text/template over the findings (the
// template sees a slice of findings as "."; field names as in Go:
// .RuleID, .Path, .Line, .Secret, .Verification.Status...).
type templateWriter struct{ t *template.Template }

func newTemplateWriter(path string) (Writer, error) {
	text, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--format template=%s: %w", path, err)
	}
	t, err := template.New(path).Funcs(template.FuncMap{
		"join":  strings.Join,
		"upper": strings.ToUpper,
		// escape writes control characters from scanned content as Go
		// escapes, for templates whose output reaches a terminal.
		"escape": Escape,
	}).Parse(string(text))
	if err != nil {
		return nil, fmt.Errorf("--format template=%s: %w", path, err)
	}
	return templateWriter{t}, nil
}

func (t templateWriter) Write(w io.Writer, fs []finding.Finding) error {
	return t.t.Execute(w, fs)
}
