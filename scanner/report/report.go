// Package report writes findings in the formats users ask for. Writers are
// sinks: one small interface and one switch that picks the format. Scanning
// code never imports this package.
package report

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/achilles-sec/achilles/scanner/finding"
	"github.com/achilles-sec/achilles/scanner/plan"
)

// Writer writes a whole report.
type Writer interface {
	Write(w io.Writer, fs []finding.Finding) error
}

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
	var w Writer
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
		return htmlWriter{redact: opts.Redact, version: opts.Version, revocable: opts.Catalogue.Revocable, now: opts.now()}, nil
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
	return w, nil
}

// redacting hides secrets before any writer sees them, so no format can
// forget a field.
type redacting struct{ inner Writer }

func (r redacting) Write(w io.Writer, fs []finding.Finding) error {
	return r.inner.Write(w, RedactAll(fs))
}

// RedactAll returns the findings with every secret of the report hidden in
// every finding: a commit message is shared by all the findings of its
// commit, and a match can hold another rule's secret, so hiding each
// finding's own secret is not enough.
func RedactAll(fs []finding.Finding) []finding.Finding {
	seen := map[string]bool{}
	var secrets []string
	add := func(s string) {
		// Shorter strings would mangle text by chance more than they hide.
		if len(s) >= 4 && !seen[s] {
			seen[s] = true
			secrets = append(secrets, s)
		}
	}
	for _, f := range fs {
		add(f.Secret)
		for rule, s := range f.Related {
			if rule != finding.AmbiguousKey {
				add(s)
			}
		}
	}
	// Longest first: the replacer tries its pairs in order at each place.
	sort.Slice(secrets, func(i, j int) bool { return len(secrets[i]) > len(secrets[j]) })
	pairs := make([]string, 0, 2*len(secrets))
	for _, s := range secrets {
		pairs = append(pairs, s, finding.Redact(s))
	}
	hide := strings.NewReplacer(pairs...)
	out := make([]finding.Finding, len(fs))
	for i, f := range fs {
		f.Match = hide.Replace(f.Match)
		if f.Git != nil {
			g := *f.Git
			g.Message = hide.Replace(g.Message)
			f.Git = &g
		}
		if f.Image != nil {
			im := *f.Image
			im.CreatedBy = hide.Replace(im.CreatedBy)
			f.Image = &im
		}
		if f.Verification != nil {
			v := *f.Verification
			v.Reason, v.Identity = hide.Replace(v.Reason), hide.Replace(v.Identity)
			f.Verification = &v
		}
		if f.Analysis != nil {
			f.Analysis = redactAnalysis(f.Analysis, hide.Replace)
		}
		out[i] = RedactFinding(f)
	}
	return out
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
