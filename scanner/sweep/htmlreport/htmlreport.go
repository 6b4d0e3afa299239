// Package htmlreport writes a sweep's results as one self-contained HTML
// file (inline CSS, JS and SVG; a content security policy forbids any
// fetch) for the people who must rotate the keys: live keys first, grouped
// by provider and repository, with who committed each, how long it has been
// exposed, its status history and where to revoke it; a chart of exposures
// by month of first commit; filters by provider, repository and status.
package htmlreport

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/achilles-sec/achilles/scanner/finding"
	"github.com/achilles-sec/achilles/scanner/sweep/store"
)

//go:embed report.html.tmpl
var pageTemplate string

var page = template.Must(template.New("report").Parse(pageTemplate))

// Options shape the report.
type Options struct {
	// Redact hides secrets (the default for reports).
	Redact bool
	// Now is the time exposure lengths are counted to (default time.Now).
	Now     time.Time
	Version string
}

// Row is one finding as the report shows it.
type Row struct {
	Status, StatusLabel string
	Provider, Repo      string
	RepoURL             string
	Rule, Description   string
	Path                string
	Line                int
	Commit              string
	Author, Email       string
	FirstCommitted      string
	ExposedDays         int
	StillPresent        string
	Identity            string
	Scopes              string
	ExpiresAt           string
	Kind                string
	CheckedAt           string
	History             []store.StatusChange
	Revoke              string
	Secret              string
	Group               string // provider / repository header, set on the group's first row
}

// Bar is one month of the exposure chart.
type Bar struct {
	Month         string
	Count         int
	X, Y, W, H    int
	LabelX, Label int
	ShowLabel     bool
}

type data struct {
	Generated                             string
	Version                               string
	Rows                                  []Row
	Providers, Repos, Statuses            []string
	Live, Findings, Repositories, Secrets int
	Bars                                  []Bar
	ChartW, ChartH, MaxCount              int
	Redacted                              bool
}

var statusRank = map[string]int{"live": 0, "unknown": 1, "canary": 2, "": 3, "dead": 4}

// Write writes the report.
func Write(w io.Writer, es []store.Exposure, o Options) error {
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	d := data{Generated: o.Now.UTC().Format("2006-01-02 15:04 UTC"), Version: o.Version, Redacted: o.Redact}
	providers, repos, statuses := map[string]bool{}, map[string]bool{}, map[string]bool{}
	secrets, liveSecrets := map[string]bool{}, map[string]bool{}
	months := map[string]int{}
	for _, e := range es {
		f := e.Finding
		r := Row{
			Status: e.Verification.Status, Provider: provider(e.Verification.Verifier, f.Tags, f.RuleID),
			Repo: e.Repo, RepoURL: e.RepoURL, Rule: f.RuleID, Description: f.Description, Path: f.Path, Line: f.Line,
			Commit: f.Commit, Author: f.Author, Email: f.Email, Identity: e.Verification.Identity,
			Scopes: strings.Join(e.Verification.Scopes, " "), ExpiresAt: e.Verification.ExpiresAt, Kind: e.Verification.Kind,
			History: e.History, Revoke: revokeURL(e.Verification.Verifier, f.Tags, f.RuleID), Secret: f.Secret,
			CheckedAt: day(e.CheckedAt),
		}
		if len(r.Commit) > 12 {
			r.Commit = r.Commit[:12]
		}
		if r.Status == "" {
			r.Status = "unverified"
		}
		r.StatusLabel = r.Status
		if o.Redact && f.Secret != "" {
			r.Secret = finding.Redact(f.Secret)
			r.Identity = strings.ReplaceAll(r.Identity, f.Secret, r.Secret)
		}
		switch {
		case f.StillPresent == nil:
			r.StillPresent = "?"
		case *f.StillPresent:
			r.StillPresent = "yes"
		default:
			r.StillPresent = "no"
		}
		if t := store.ParseTime(f.Date); !t.IsZero() {
			r.FirstCommitted = t.UTC().Format("2006-01-02")
			end := o.Now
			if e.Verification.Status == store.Dead {
				if dead := store.ParseTime(e.DeadSince); !dead.IsZero() {
					end = dead
				}
			}
			if days := int(end.Sub(t).Hours() / 24); days > 0 {
				r.ExposedDays = days
			}
			months[t.UTC().Format("2006-01")]++
		}
		d.Rows = append(d.Rows, r)
		providers[r.Provider], repos[r.Repo], statuses[r.Status] = true, true, true
		if e.SecretID != "" {
			secrets[e.SecretID] = true
			if e.Verification.Status == store.Live {
				liveSecrets[e.SecretID] = true
			}
		}
	}
	sort.SliceStable(d.Rows, func(i, j int) bool {
		a, b := d.Rows[i], d.Rows[j]
		ra, rb := rank(a.Status), rank(b.Status)
		if ra != rb {
			return ra < rb
		}
		if a.Provider != b.Provider {
			return a.Provider < b.Provider
		}
		if a.Repo != b.Repo {
			return a.Repo < b.Repo
		}
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return a.Line < b.Line
	})
	last := ""
	for i := range d.Rows {
		g := d.Rows[i].Status + " · " + d.Rows[i].Provider + " · " + d.Rows[i].Repo
		if g != last {
			d.Rows[i].Group = g
			last = g
		}
	}
	d.Providers, d.Repos, d.Statuses = keys(providers), keys(repos), keys(statuses)
	sort.SliceStable(d.Statuses, func(i, j int) bool { return rank(d.Statuses[i]) < rank(d.Statuses[j]) })
	d.Findings, d.Repositories, d.Secrets, d.Live = len(es), len(repos), len(secrets), len(liveSecrets)
	d.Bars, d.ChartW, d.ChartH, d.MaxCount = chart(months)
	if err := page.Execute(w, d); err != nil {
		return fmt.Errorf("writing the HTML report: %w", err)
	}
	return nil
}

func rank(status string) int {
	if status == "unverified" {
		status = ""
	}
	return statusRank[status]
}

func day(ts string) string {
	if t := store.ParseTime(ts); !t.IsZero() {
		return t.UTC().Format("2006-01-02")
	}
	return ""
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// chart lays out one bar per month from the first to the last month with
// exposures (at most the last 120 months).
func chart(months map[string]int) ([]Bar, int, int, int) {
	const h, barW, gap, pad = 160, 14, 4, 24
	if len(months) == 0 {
		return nil, 0, 0, 0
	}
	ms := keys(months)
	first, _ := time.Parse("2006-01", ms[0])
	lastM, _ := time.Parse("2006-01", ms[len(ms)-1])
	var all []string
	for m := first; !m.After(lastM); m = m.AddDate(0, 1, 0) {
		all = append(all, m.Format("2006-01"))
	}
	if len(all) > 120 {
		all = all[len(all)-120:]
	}
	max := 1
	for _, m := range all {
		if months[m] > max {
			max = months[m]
		}
	}
	every := 1 + len(all)/12
	var bars []Bar
	for i, m := range all {
		c := months[m]
		bh := c * (h - pad) / max
		if c > 0 && bh < 2 {
			bh = 2
		}
		x := pad + i*(barW+gap)
		bars = append(bars, Bar{Month: m, Count: c, X: x, Y: h - pad - bh, W: barW, H: bh, LabelX: x, ShowLabel: i%every == 0, Label: h - 8})
	}
	return bars, pad*2 + len(all)*(barW+gap), h, max
}
