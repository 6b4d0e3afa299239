// Package htmlreport writes findings as one self-contained HTML file (inline
// CSS, JS and SVG; a content security policy forbids any fetch) for the
// people who must rotate the keys. It serves a sweep's database (Write) and
// a single scan (WriteFindings) alike.
//
// The page has one row per secret, its locations folded beneath it, in
// order of urgency: live keys first, then unverified ones by confidence
// (high, medium, low), canaries, dead keys; within each, those still present
// at HEAD first. Each row names the provider (from the rule catalogue), the
// confidence, a short fingerprint of the secret (so two redacted keys can be
// told apart), who committed it, how long it has been exposed, its status
// history and where to revoke it. A headline says how many keys are live,
// or that none was verified; a chart shows exposures by month of first
// commit; filters, paging and a sticky header keep a thousand secrets
// usable, and a print stylesheet prints every row of the current filter.
package htmlreport

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/achilles-sec/achilles/rules"
	"github.com/achilles-sec/achilles/scanner"
	"github.com/achilles-sec/achilles/scanner/finding"
	"github.com/achilles-sec/achilles/scanner/plan"
	"github.com/achilles-sec/achilles/scanner/sweep/store"
)

//go:embed report.html.tmpl
var pageTemplate string

// page is parsed on first use: a scan that writes no HTML never pays for it.
var page = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("report").Parse(pageTemplate))
})

// Options shape the report.
type Options struct {
	// Redact hides secrets (the default for reports).
	Redact bool
	// Now is the time exposure lengths are counted to (default time.Now).
	Now     time.Time
	Version string
	// Rules is the rule set whose catalogue names providers and their
	// revocation pages (default: the built-in rules).
	Rules *rules.Config
	// Title heads the page (default "achilles sweep report").
	Title string
	// VerifyHint is the flag or command that verifies, for the headline
	// when nothing was verified (default "--verify").
	VerifyHint string
	// PageSize is the number of secrets a page shows (default 50).
	PageSize int
	// Revocable tells which verifiers' keys `achilles revoke` revokes, for
	// the response plan (nil: none).
	Revocable func(verifier string) bool
}

// PlanItem is one live key of the response plan, as the page shows it.
type PlanItem struct {
	Fingerprint, Provider, Identity, Severity, Worst string
	ExposedBy                                        []string
	FirstExposed                                     string
	DaysExposed                                      int
	StillAt                                          []string
	Removed                                          int
	Reaches                                          []string
	Steps                                            []string
	Revoke                                           string
}

// Secret is one row: a secret and every place it was found.
type Secret struct {
	Tier                int
	TierLabel           string
	Status, StatusLabel string
	Confidence          string
	Provider            string
	ProviderID          string
	Rules               []string
	Description         string
	Secret              string
	Fingerprint         string
	Locations           []Location
	Repos               []string
	FilterRepos         string // the repositories, one a line, for the filter
	AtHead              string // yes when any location is still present at HEAD
	FirstCommitted      string
	ExposedDays         int
	Author, Email       string
	Identity            string
	Scopes              string
	ExpiresAt           string
	Kind                string
	CheckedAt           string
	History             []store.StatusChange
	Revoke, Docs        string
	Group               string // the urgency header, set on the tier's first row
	GroupCount          int
}

// Location is one place a secret was found.
type Location struct {
	Repo, RepoURL string
	Path          string
	Line          int
	Rule          string
	Commit        string
	Author, Email string
	Date          string
	AtHead        string
}

// Bar is one month of the exposure chart.
type Bar struct {
	Month         string
	Count         int
	X, Y, W, H    int
	LabelX, Label int
	ShowLabel     bool
}

// Headline is the page's first sentence: how many keys work.
type Headline struct {
	Class, Text, Detail string
}

type data struct {
	Title                                  string
	Generated                              string
	Version                                string
	Headline                               Headline
	Secrets                                []Secret
	Providers, Repos, Tiers, Confidences   []string
	Live, Findings, Repositories, NSecrets int
	High, AtHead, Verified                 int
	Plan                                   []PlanItem
	Bars                                   []Bar
	ChartW, ChartH, MaxCount               int
	Redacted                               bool
	MultiRepo                              bool
	PageSize                               int
	Columns                                int
}

// Tiers of urgency, in the order the report lists them.
const (
	tierLive = iota
	tierHigh
	tierMedium
	tierLow
	tierCanary
	tierDead
)

var tierLabels = []string{
	tierLive:   "Live: revoke now",
	tierHigh:   "High confidence, not known to be dead",
	tierMedium: "Medium confidence",
	tierLow:    "Low confidence",
	tierCanary: "Canary tokens (planted, never sent)",
	tierDead:   "Dead: confirmed revoked",
}

func tier(status, confidence string) int {
	switch status {
	case store.Live:
		return tierLive
	case store.Dead:
		return tierDead
	case store.Canary:
		return tierCanary
	}
	switch confidence {
	case "high":
		return tierHigh
	case "low":
		return tierLow
	}
	return tierMedium
}

var (
	defaultOnce  sync.Once
	defaultRules *rules.Config
)

func builtinRules() *rules.Config {
	defaultOnce.Do(func() {
		if cfg, err := rules.Default(); err == nil {
			defaultRules = cfg
		}
	})
	return defaultRules
}

// WriteFindings writes the report of one scan: its findings, each found in
// the scanned target (no repository).
func WriteFindings(w io.Writer, fs []finding.Finding, o Options) error {
	es := make([]store.Exposure, 0, len(fs))
	for _, f := range fs {
		e := store.Exposure{Finding: store.Finding{Finding: f}}
		if v := f.Verification; v != nil {
			e.Verification = store.Verification{Status: v.Status, Reason: v.Reason, Identity: v.Identity, Scopes: v.Scopes,
				ExpiresAt: v.ExpiresAt, Kind: v.Kind, Verifier: v.Verifier}
		}
		es = append(es, e)
	}
	if o.Title == "" {
		o.Title = "achilles scan report"
	}
	return Write(w, es, o)
}

// Write writes the report of a sweep's exposures.
func Write(w io.Writer, es []store.Exposure, o Options) error {
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	if o.Title == "" {
		o.Title = "achilles sweep report"
	}
	if o.VerifyHint == "" {
		o.VerifyHint = "--verify"
	}
	if o.PageSize <= 0 {
		o.PageSize = 50
	}
	rs := o.Rules
	if rs == nil {
		rs = builtinRules()
	}
	cfg := newCatalogue(rs)
	hide := func(s string) string { return s }
	if o.Redact {
		hide = redactor(es)
	}
	d := data{Title: o.Title, Generated: o.Now.UTC().Format("2006-01-02 15:04 UTC"), Version: o.Version, Redacted: o.Redact, PageSize: o.PageSize}

	// One row per secret, in the order the secrets first appear.
	type acc struct {
		s       *Secret
		primary *store.Exposure
		first   time.Time
		rules   map[string]bool
		repos   map[string]bool
	}
	byKey := map[string]*acc{}
	var order []*acc
	providers, repos, months := map[string]bool{}, map[string]bool{}, map[string]int{}
	for i := range es {
		e := &es[i]
		f := e.Finding
		key := e.SecretID
		if key == "" {
			key = hash(f.Secret)
		}
		a := byKey[key]
		if a == nil {
			fp := key
			if f.Secret != "" {
				fp = hash(f.Secret)
			}
			a = &acc{s: &Secret{Fingerprint: fp[:min(8, len(fp))]}, rules: map[string]bool{}, repos: map[string]bool{}}
			byKey[key] = a
			order = append(order, a)
		}
		if a.primary == nil || better(e, a.primary, cfg) {
			a.primary = e
		}
		a.rules[f.RuleID] = true
		if e.Repo != "" {
			a.repos[e.Repo] = true
			repos[e.Repo] = true
		}
		loc := Location{Repo: e.Repo, RepoURL: e.RepoURL, Path: hide(f.Path), Line: f.Line, Rule: f.RuleID, AtHead: atHead(f.StillPresent())}
		var date string
		if g := f.Git; g != nil {
			loc.Commit, loc.Author, loc.Email, date = g.Commit, hide(g.Author), hide(g.Email), g.Date
		}
		if len(loc.Commit) > 12 {
			loc.Commit = loc.Commit[:12]
		}
		if t := store.ParseTime(date); !t.IsZero() {
			loc.Date = t.UTC().Format("2006-01-02")
			months[t.UTC().Format("2006-01")]++
			if a.first.IsZero() || t.Before(a.first) {
				a.first = t
				a.s.Author, a.s.Email = loc.Author, loc.Email
			}
		}
		if a.s.Author == "" && a.first.IsZero() {
			a.s.Author, a.s.Email = loc.Author, loc.Email
		}
		a.s.Locations = append(a.s.Locations, loc)
	}
	for _, a := range order {
		s, e := a.s, a.primary
		f, v := e.Finding, e.Verification
		s.Status = v.Status
		if s.Status == "" {
			s.Status = "unverified"
		} else {
			d.Verified++
		}
		s.StatusLabel = s.Status
		s.Confidence = f.Confidence
		s.Tier = tier(v.Status, f.Confidence)
		s.TierLabel = tierLabels[s.Tier]
		s.ProviderID, s.Provider, s.Revoke, s.Docs = providerOf(cfg, v.Verifier, f)
		s.Description = hide(f.Description)
		s.Rules = sortedKeys(a.rules)
		s.Repos = sortedKeys(a.repos)
		s.FilterRepos = strings.Join(s.Repos, "\n")
		s.Secret = f.Secret
		if o.Redact && s.Secret != "" {
			s.Secret = finding.Redact(s.Secret)
		}
		s.Identity, s.Scopes, s.ExpiresAt, s.Kind = hide(v.Identity), hide(strings.Join(v.Scopes, " ")), v.ExpiresAt, v.Kind
		s.History, s.CheckedAt = e.History, day(e.CheckedAt)
		if !a.first.IsZero() {
			s.FirstCommitted = a.first.UTC().Format("2006-01-02")
			end := o.Now
			if v.Status == store.Dead {
				if dead := store.ParseTime(e.DeadSince); !dead.IsZero() {
					end = dead
				}
			}
			if days := int(end.Sub(a.first).Hours() / 24); days > 0 {
				s.ExposedDays = days
			}
		}
		sort.SliceStable(s.Locations, func(i, j int) bool {
			x, y := s.Locations[i], s.Locations[j]
			if hx, hy := headRank(x.AtHead), headRank(y.AtHead); hx != hy {
				return hx < hy
			}
			if x.Repo != y.Repo {
				return x.Repo < y.Repo
			}
			if x.Path != y.Path {
				return x.Path < y.Path
			}
			return x.Line < y.Line
		})
		s.AtHead = s.Locations[0].AtHead
		providers[s.Provider] = true
		switch {
		case s.Tier == tierLive:
			d.Live++
		case s.Tier == tierHigh:
			d.High++
		}
		if s.AtHead == "yes" {
			d.AtHead++
		}
		d.Secrets = append(d.Secrets, *s)
	}
	sort.SliceStable(d.Secrets, func(i, j int) bool {
		a, b := &d.Secrets[i], &d.Secrets[j]
		if a.Tier != b.Tier {
			return a.Tier < b.Tier
		}
		if ha, hb := headRank(a.AtHead), headRank(b.AtHead); ha != hb {
			return ha < hb
		}
		if a.Provider != b.Provider {
			return a.Provider < b.Provider
		}
		la, lb := a.Locations[0], b.Locations[0]
		if la.Repo != lb.Repo {
			return la.Repo < lb.Repo
		}
		if la.Path != lb.Path {
			return la.Path < lb.Path
		}
		if la.Line != lb.Line {
			return la.Line < lb.Line
		}
		return a.Fingerprint < b.Fingerprint
	})
	tiers := map[int]int{}
	for _, s := range d.Secrets {
		tiers[s.Tier]++
	}
	last := -1
	for i := range d.Secrets {
		if t := d.Secrets[i].Tier; t != last {
			d.Secrets[i].Group, d.Secrets[i].GroupCount = tierLabels[t], tiers[t]
			last = t
		}
	}
	for t := tierLive; t <= tierDead; t++ {
		if tiers[t] > 0 {
			d.Tiers = append(d.Tiers, tierLabels[t])
		}
	}
	d.Providers, d.Repos = sortedKeys(providers), sortedKeys(repos)
	d.Findings, d.Repositories, d.NSecrets = len(es), len(repos), len(d.Secrets)
	d.MultiRepo = len(repos) > 0
	d.Headline = headline(d, o.VerifyHint)
	d.Plan = responsePlan(es, cfg, o, hide)
	d.Bars, d.ChartW, d.ChartH, d.MaxCount = chart(months)
	if err := page().Execute(w, d); err != nil {
		return fmt.Errorf("writing the HTML report: %w", err)
	}
	return nil
}

func headline(d data, hint string) Headline {
	n := d.NSecrets
	switch {
	case n == 0:
		return Headline{Class: "ok", Text: "No secrets found"}
	case d.Live > 0:
		them := "them"
		if d.Live == 1 {
			them = "it"
		}
		return Headline{Class: "live", Text: scanner.Plural(int64(d.Live), "live secret", "live secrets") + ": revoke " + them + " first",
			Detail: fmt.Sprintf("%s found; %d checked with their providers.", scanner.Plural(int64(n), "secret", "secrets"), d.Verified)}
	case d.Verified == 0:
		return Headline{Class: "unverified", Text: scanner.Plural(int64(n), "secret", "secrets") + " found, none verified",
			Detail: fmt.Sprintf("Nobody asked the providers whether these keys still work (%s asks them). Until then, treat the high-confidence ones as live.", hint)}
	default:
		return Headline{Class: "ok", Text: fmt.Sprintf("No live secrets among the %d verified", d.Verified),
			Detail: fmt.Sprintf("%s found; %d could not be verified.", scanner.Plural(int64(n), "secret", "secrets"), n-d.Verified)}
	}
}

// better tells whether e names its secret better than cur: a verified
// answer, a rule with a provider, a higher confidence.
func better(e, cur *store.Exposure, cfg *catalogue) bool {
	if (e.Verification.Verifier != "") != (cur.Verification.Verifier != "") {
		return e.Verification.Verifier != ""
	}
	pe, pc := ruleProvider(cfg, e.Finding.RuleID) != "", ruleProvider(cfg, cur.Finding.RuleID) != ""
	if pe != pc {
		return pe
	}
	return confidenceRank(e.Finding.Confidence) > confidenceRank(cur.Finding.Confidence)
}

func confidenceRank(c string) int {
	switch c {
	case "high":
		return 3
	case "medium":
		return 2
	case "low":
		return 1
	}
	return 0
}

// catalogue indexes a rule set: each rule's provider id, each provider.
type catalogue struct {
	cfg          *rules.Config
	ruleProvider map[string]string
}

// provider is the catalogue entry with the id, or nil.
func (c *catalogue) provider(id string) *rules.Provider {
	if c.cfg == nil {
		return nil
	}
	return c.cfg.Provider(id)
}

func newCatalogue(cfg *rules.Config) *catalogue {
	c := &catalogue{cfg: cfg, ruleProvider: map[string]string{}}
	if cfg == nil {
		return c
	}
	for _, r := range cfg.Rules {
		if _, ok := c.ruleProvider[r.ID]; !ok {
			c.ruleProvider[r.ID] = r.Provider
		}
	}
	return c
}

func ruleProvider(cfg *catalogue, ruleID string) string { return cfg.ruleProvider[ruleID] }

// providerOf names a finding's provider: the catalogue entry of its rule
// (or of the verifier that answered), its display name, and where its keys
// are revoked. A rule of no provider is named by what it found.
func providerOf(cfg *catalogue, verifier string, f store.Finding) (id, name, revoke, docs string) {
	p := cfg.provider(ruleProvider(cfg, f.RuleID))
	if p == nil && verifier != "" {
		p = cfg.provider(verifier)
	}
	if p != nil {
		id, name, docs = p.ID, p.Name, p.Docs
		revoke = revocation[p.ID]
		if revoke == "" {
			revoke = revocation[strings.ToLower(verifier)]
		}
		if revoke == "" {
			revoke = p.Revoke
		}
		if revoke == "" {
			revoke = revokeURL("", f.Tags, "")
		}
		return id, name, revoke, docs
	}
	return "", kindName(f), revokeURL(verifier, f.Tags, ""), ""
}

// kindName names a secret of no provider by its kind: "Generic password",
// "Private key", "JSON Web Token".
func kindName(f store.Finding) string {
	generic, password := false, false
	for _, t := range f.Tags {
		generic = generic || t == "generic"
		password = password || t == "password"
	}
	switch {
	case generic && password:
		return "Generic password"
	case generic:
		return "Generic secret"
	}
	d := f.Description
	if i := strings.Index(d, " ("); i > 0 {
		d = d[:i]
	}
	if len(d) > 40 {
		cut := strings.LastIndexByte(d[:40], ' ')
		if cut < 10 {
			cut = 40
		}
		d = d[:cut] + "…"
	}
	if d == "" {
		return f.RuleID
	}
	return strings.ToUpper(d[:1]) + d[1:]
}

func atHead(present, known bool) string {
	switch {
	case !known:
		return "?"
	case present:
		return "yes"
	}
	return "no"
}

func headRank(s string) int {
	switch s {
	case "yes":
		return 0
	case "?":
		return 1
	}
	return 2
}

func hash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// redactor hides every secret of the report in free text (an identity, a
// path, a scope can quote a key), longest first.
func redactor(es []store.Exposure) func(string) string {
	seen := map[string]bool{}
	var secrets []string
	for _, e := range es {
		if s := e.Finding.Secret; len(s) >= 4 && !seen[s] {
			seen[s] = true
			secrets = append(secrets, s)
		}
	}
	if len(secrets) == 0 {
		return func(s string) string { return s }
	}
	sort.Slice(secrets, func(i, j int) bool { return len(secrets[i]) > len(secrets[j]) })
	pairs := make([]string, 0, 2*len(secrets))
	for _, s := range secrets {
		pairs = append(pairs, s, finding.Redact(s))
	}
	return strings.NewReplacer(pairs...).Replace
}

func day(ts string) string {
	if t := store.ParseTime(ts); !t.IsZero() {
		return t.UTC().Format("2006-01-02")
	}
	return ""
}

func sortedKeys[V any](m map[string]V) []string {
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
	ms := sortedKeys(months)
	first, _ := time.Parse("2006-01", ms[0])
	lastM, _ := time.Parse("2006-01", ms[len(ms)-1])
	var all []string
	for m := first; !m.After(lastM); m = m.AddDate(0, 1, 0) {
		all = append(all, m.Format("2006-01"))
	}
	if len(all) > 120 {
		all = all[len(all)-120:]
	}
	top := 1
	for _, m := range all {
		if months[m] > top {
			top = months[m]
		}
	}
	// A label is 7 characters (about 45 px): one every third bar at least.
	every := max(3, (len(all)+11)/12)
	var bars []Bar
	for i, m := range all {
		c := months[m]
		bh := c * (h - pad) / top
		if c > 0 && bh < 2 {
			bh = 2
		}
		x := pad + i*(barW+gap)
		bars = append(bars, Bar{Month: m, Count: c, X: x, Y: h - pad - bh, W: barW, H: bh, LabelX: x, ShowLabel: i%every == 0, Label: h - 8})
	}
	return bars, pad*2 + len(all)*(barW+gap), h, top
}

// responsePlan is the plan of the live keys (scanner/plan), its texts
// passed through hide like every other text of the page.
func responsePlan(es []store.Exposure, cfg *catalogue, o Options, hide func(string) string) []PlanItem {
	fs := make([]finding.Finding, 0, len(es))
	for _, e := range es {
		if e.Verification.Status != store.Live {
			continue
		}
		f := e.Finding.Finding
		v := e.Verification
		f.Verification = &finding.Verification{Status: v.Status, Identity: v.Identity, Verifier: v.Verifier}
		if e.Repo != "" {
			f.Path = e.Repo + ": " + f.Path
		}
		fs = append(fs, f)
	}
	var out []PlanItem
	for _, e := range plan.Build(fs, cfg.plan(o.Revocable), o.Now) {
		it := PlanItem{Fingerprint: e.Fingerprint, Provider: e.Provider, Identity: hide(e.Identity), Severity: "not analyzed",
			Worst: hide(e.Worst()), FirstExposed: e.FirstExposed, DaysExposed: e.DaysExposed, Removed: e.Removed, Revoke: e.Revoke}
		if a := e.Analysis; a != nil && a.Error == "" {
			it.Severity = a.Severity
			for i, r := range a.Resources {
				if i == 20 {
					it.Reaches = append(it.Reaches, fmt.Sprintf("and %d more", len(a.Resources)-20))
					break
				}
				line := r.Kind + " " + r.Name
				if len(r.Permissions) > 0 {
					line += ": " + strings.Join(r.Permissions, ", ")
				}
				it.Reaches = append(it.Reaches, hide(line))
			}
		}
		for _, s := range e.ExposedBy {
			it.ExposedBy = append(it.ExposedBy, hide(s))
		}
		for _, s := range e.StillAt {
			it.StillAt = append(it.StillAt, hide(s))
		}
		for _, s := range e.Steps {
			it.Steps = append(it.Steps, hide(s))
		}
		out = append(out, it)
	}
	return out
}

// PlanCatalogue is what the response plan of any report needs of the rule
// set's catalogue: each finding's provider name and revocation page (as
// this page names them), and which keys achilles can revoke.
func PlanCatalogue(cfg *rules.Config, revocable func(verifier string) bool) plan.Catalogue {
	if cfg == nil {
		cfg = builtinRules()
	}
	return newCatalogue(cfg).plan(revocable)
}

func (c *catalogue) plan(revocable func(string) bool) plan.Catalogue {
	return plan.Catalogue{
		Provider: func(rule, verifier string) (string, string) {
			_, name, revoke, _ := providerOf(c, verifier, store.Finding{Finding: finding.Finding{RuleID: rule}})
			return name, revoke
		},
		Revocable: revocable,
	}
}
