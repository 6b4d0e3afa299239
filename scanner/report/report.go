// Package report writes findings in the formats users ask for. Writers are
// sinks: one small interface and one switch that picks the format. Scanning
// code never imports this package.
package report

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/achilles-sec/achilles/scanner/finding"
	"github.com/achilles-sec/achilles/scanner/plan"
)

// Writer writes a whole report, of a slice of findings or of a list
// (which may have spilled to a spool: the writers read it in passes).
type Writer interface {
	Write(w io.Writer, fs []finding.Finding) error
	WriteList(w io.Writer, fs *finding.List) error
}

// formatter is one format's writer.
type formatter interface {
	write(w io.Writer, fs *finding.List) error
}

// formatWriter is the Writer of a format.
type formatWriter struct{ f formatter }

func (x formatWriter) Write(w io.Writer, fs []finding.Finding) error {
	return x.f.write(w, finding.ListOf(fs))
}

func (x formatWriter) WriteList(w io.Writer, fs *finding.List) error { return x.f.write(w, fs) }

// Options shape every format.
type Options struct {
	// Redact hides secrets in every field of every format.
	Redact bool
	// Color adds ANSI colour to the text format.
	Color bool
	// Version is the achilles version, for formats that name the tool.
	Version string
	// Incomplete marks a report of a scan that was interrupted; formats
	// that can say so do (text: a first line; SARIF: executionSuccessful).
	Incomplete bool
	// Rules lists the rule set, for formats that describe rules (SARIF).
	Rules []RuleInfo
	// Repository names the scanned repository, when it is one with a
	// remote, for formats that record it (SARIF versionControlProvenance).
	Repository *Repository
	// Catalogue names providers, revocation pages and which keys achilles
	// can revoke, for the response plan text and HTML open with.
	Catalogue plan.Catalogue
	// Now is the time exposure lengths are counted to (default: now).
	Now time.Time
}

// Repository is the scanned repository: its remote as an absolute URI
// without credentials, the commit at HEAD and the branch.
type Repository struct {
	URI      string
	Revision string
	Branch   string
}

func (o Options) now() time.Time {
	if o.Now.IsZero() {
		return time.Now()
	}
	return o.Now
}

// Formats lists the names New accepts (template takes "template=FILE").
var Formats = []string{"text", "json", "jsonl", "sarif", "csv", "junit", "html", "template=FILE"}

// RedactsByDefault reports whether a format hides secrets unless the user
// asks otherwise (--no-redact): formats made for CI systems and for files
// passed around (SARIF uploaded to code scanning, JUnit and CSV kept as CI
// artifacts, the HTML page handed to whoever rotates the keys) never carry
// a working key by default.
func RedactsByDefault(format string) bool {
	switch format {
	case "sarif", "junit", "csv", "html":
		return true
	}
	return false
}

// New returns the writer for a format name.
func New(format string, opts Options) (Writer, error) {
	var w formatter
	switch format {
	case "", "text":
		w = textWriter{color: opts.Color, incomplete: opts.Incomplete, catalogue: opts.Catalogue, now: opts.now()}
	case "json":
		w = jsonWriter{}
	case "jsonl":
		w = jsonlWriter{}
	case "sarif":
		w = sarifWriter{version: opts.Version, rules: opts.Rules, incomplete: opts.Incomplete, repo: opts.Repository}
	case "csv":
		w = csvWriter{}
	case "junit":
		w = junitWriter{}
	case "html":
		return formatWriter{htmlWriter{redact: opts.Redact, version: opts.Version, revocable: opts.Catalogue.Revocable, now: opts.now()}}, nil
	default:
		if path, ok := strings.CutPrefix(format, "template="); ok {
			tw, err := newTemplateWriter(path)
			if err != nil {
				return nil, err
			}
			w = tw
			break
		}
		return nil, fmt.Errorf("unknown format %q (want %s)", format, strings.Join(Formats, ", "))
	}
	if opts.Redact {
		w = redacting{w}
	}
	return formatWriter{w}, nil
}

// redacting hides secrets before any writer sees them, so no format can
// forget a field.
type redacting struct{ inner formatter }

func (r redacting) write(w io.Writer, l *finding.List) error {
	red, err := RedactList(l)
	if err != nil {
		return err
	}
	return r.inner.write(w, red)
}

// RedactAll returns the findings with every secret of the report hidden in
// every finding: a commit message is shared by all the findings of its
// commit, and a match can hold another rule's secret, so hiding each
// finding's own secret is not enough.
func RedactAll(fs []finding.Finding) []finding.Finding {
	red, _ := RedactList(finding.ListOf(fs)) // a list in memory reads without error
	out, _ := red.Slice()
	return out
}

// RedactList is RedactAll for a list: a view of it (read in two passes,
// the first gathering the secrets) in which every secret is hidden.
func RedactList(l *finding.List) (*finding.List, error) {
	secrets := newSecretSet()
	add := func(s string) {
		// Shorter strings would mangle text by chance more than they hide.
		if len(s) >= 4 {
			secrets.add(s)
		}
	}
	if err := l.Each(func(_ int, f *finding.Finding) error {
		add(f.Secret)
		for rule, s := range f.Related {
			if rule != finding.AmbiguousKey {
				add(s)
			}
		}
		return nil
	}); err != nil {
		return nil, err
	}
	hide := secrets.replace
	return l.View(func(f *finding.Finding) {
		f.Match = hide(f.Match)
		if f.Git != nil {
			g := *f.Git
			g.Message = hide(g.Message)
			f.Git = &g
		}
		if f.Image != nil {
			im := *f.Image
			im.CreatedBy = hide(im.CreatedBy)
			f.Image = &im
		}
		if f.Verification != nil {
			v := *f.Verification
			v.Reason, v.Identity = hide(v.Reason), hide(v.Identity)
			f.Verification = &v
		}
		if f.Analysis != nil {
			f.Analysis = redactAnalysis(f.Analysis, hide)
		}
		*f = RedactFinding(*f)
	}), nil
}

// redactAnalysis hides secrets in every text of an analysis (analyzers
// scrub their own key; another key of the report could still be named).
func redactAnalysis(a *finding.Analysis, hide func(string) string) *finding.Analysis {
	c := *a
	c.Worst, c.Identity, c.Error = hide(c.Worst), hide(c.Identity), hide(c.Error)
	c.Partial = make([]string, len(a.Partial))
	for i, p := range a.Partial {
		c.Partial[i] = hide(p)
	}
	c.Resources = make([]finding.Resource, len(a.Resources))
	for i, r := range a.Resources {
		r.Name = hide(r.Name)
		c.Resources[i] = r
	}
	return &c
}

// RedactFinding returns f with the secret hidden in every field that can
// hold it.
func RedactFinding(f finding.Finding) finding.Finding {
	if f.Secret == "" {
		return f
	}
	red := finding.Redact(f.Secret)
	f.Match = strings.ReplaceAll(f.Match, f.Secret, red)
	// A commit message can quote the secret ("remove leaked key ghp_...").
	if f.Git != nil {
		g := *f.Git
		g.Message = strings.ReplaceAll(g.Message, f.Secret, red)
		f.Git = &g
	}
	// A history command can hold it (ENV KEY=..., RUN echo ...).
	if f.Image != nil {
		im := *f.Image
		im.CreatedBy = strings.ReplaceAll(im.CreatedBy, f.Secret, red)
		f.Image = &im
	}
	if f.Verification != nil {
		v := *f.Verification
		v.Reason = strings.ReplaceAll(v.Reason, f.Secret, red)
		v.Identity = strings.ReplaceAll(v.Identity, f.Secret, red)
		f.Verification = &v
	}
	// Companion parts are secrets too, and a template can reach them.
	if len(f.Related) > 0 {
		related := make(map[string]string, len(f.Related))
		for rule, s := range f.Related {
			if rule != finding.AmbiguousKey {
				s = finding.Redact(s)
			}
			related[rule] = s
		}
		f.Related = related
	}
	f.Secret = red
	return f
}
