package report

import (
	"fmt"
	"io"
	"os"
	"strings"
	"text/template"

	"github.com/achilles-sec/achilles/scanner/finding"
)

// templateWriter runs a user's Go text/template over the findings: the
// template sees a slice of TemplateFinding as "." (fields as in Go:
// .RuleID, .Path, .Line, .Secret, .Verification.Status, ...; and gitleaks'
// names, so gitleaks users' templates run unchanged). README.md lists them.
type templateWriter struct{ t *template.Template }

// TemplateFinding is what a template sees of one finding: every field of
// finding.Finding, plus the names gitleaks' templates use.
type TemplateFinding struct {
	finding.Finding
}

// File is the path (gitleaks' name).
func (f TemplateFinding) File() string { return f.Path }

// SymlinkFile is always empty: achilles does not follow symbolic links.
func (f TemplateFinding) SymlinkFile() string { return "" }

// StartLine and StartColumn are where the match starts (gitleaks' names).
func (f TemplateFinding) StartLine() int   { return f.Line }
func (f TemplateFinding) StartColumn() int { return f.Column }

// EndLine and EndColumn are where the match ends.
func (f TemplateFinding) EndLine() int {
	return f.Line + strings.Count(f.Match, "\n")
}

func (f TemplateFinding) EndColumn() int {
	if i := strings.LastIndexByte(f.Match, '\n'); i >= 0 {
		return len(f.Match) - i - 1
	}
	return f.Column + len(f.Match) - 1
}

// Commit, Author, Email, Date and Message are the git origin's fields, ""
// for a finding outside git history (gitleaks' names, and achilles' before
// locations had kinds).
func (f TemplateFinding) Commit() string  { return f.git().Commit }
func (f TemplateFinding) Author() string  { return f.git().Author }
func (f TemplateFinding) Email() string   { return f.git().Email }
func (f TemplateFinding) Date() string    { return f.git().Date }
func (f TemplateFinding) Message() string { return f.git().Message }

// StillPresent is nil when it was not looked up (a file, a staged change).
func (f TemplateFinding) StillPresent() *bool { return f.git().StillPresent }

// IntroducedLine is the line in the introducing commit of a secret that
// has since moved.
func (f TemplateFinding) IntroducedLine() int { return f.git().IntroducedLine }

func (f TemplateFinding) git() finding.GitOrigin {
	if f.Git == nil {
		return finding.GitOrigin{}
	}
	return *f.Git
}

// RuleId is a spelling some templates use.
func (f TemplateFinding) RuleId() string { return f.RuleID }

// Link is empty: a link needs the remote's web address, which a template
// can build from .Commit and .Path.
func (f TemplateFinding) Link() string { return "" }

func newTemplateWriter(path string) (formatter, error) {
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

func (t templateWriter) write(w io.Writer, l *finding.List) error {
	fs, err := l.Slice()
	if err != nil {
		return err
	}
	view := make([]TemplateFinding, len(fs))
	for i := range fs {
		view[i] = TemplateFinding{fs[i]}
	}
	return t.t.Execute(w, view)
}
