// Package scanner turns sources (git history, directories, a stream) into
// chunks of bytes with provenance, runs the detector engine over them on a
// bounded pool of workers, and assembles findings.
//
// Data flows one way: source → chunk → detector → finding. The scanner
// never formats a report; writers live in scanner/report.
package scanner

import (
	"bytes"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/achilles-sec/achilles/detectors"
	"github.com/achilles-sec/achilles/rules"
	"github.com/achilles-sec/achilles/scanner/archive"
	"github.com/achilles-sec/achilles/scanner/finding"
)

// DefaultMaxFileSize is the size above which a file is streamed in chunks
// rather than read whole.
const DefaultMaxFileSize = 25 << 20

// Options configure a scan.
type Options struct {
	Engine *detectors.Engine
	// Jobs is the number of scanning workers; 0 means one per CPU.
	Jobs int
	// MaxFileSize: larger files are streamed in chunks.
	MaxFileSize int64
	// Warn receives problems that did not stop the scan (an unreadable file,
	// a missing object). It must be safe for concurrent use. Messages never
	// hold secret material.
	Warn func(error)
	// Progress, when set, is told of bytes and objects as they are scanned.
	Progress Progress
	// DecodeDepth is how many layers of encoding (base64, percent, hex,
	// escapes) are looked through for hidden secrets; 0 turns decoding off.
	DecodeDepth int
	// ArchiveLimits bound what an archive found in the scan may cost (zero
	// fields take the defaults); a negative MaxDepth leaves archives closed.
	ArchiveLimits archive.Limits
}

// Progress is told how much has been scanned; it must be safe for
// concurrent use.
type Progress interface {
	Add(bytes int64, objects int)
}

// ProgressTotal is a Progress that can show a percentage: a source that
// knows how many bytes it will scan (a history listed before it is read)
// tells it once.
type ProgressTotal interface {
	Progress
	SetTotal(bytes int64)
}

// Stats summarise a scan for the one-line summary.
type Stats struct {
	// What names the target: "git history of X", "3 paths", "stdin".
	What string
	// Objects counts scanned files or blobs; Commits the commits walked.
	Objects  int64
	Commits  int64
	Bytes    int64
	Binary   int64
	Skipped  int64
	Warnings int64
	// ChunksDeduped counts content chunks of large blobs that were already
	// scanned in another version of the file.
	ChunksDeduped int64
	// InlineAllowed counts matches that an inline allow marker on their
	// line (achilles:allow, gitleaks:allow, ...) suppressed: the scanned
	// content waved them through itself, so the summary says how many.
	InlineAllowed int64
	Duration      time.Duration
}

// Result is what a source produces. A source that is interrupted returns
// what it found so far with Incomplete set, and the context's error.
//
// A scan of very many findings (ScanPaths, ScanBlobs, ScanReader: a file
// holding a million keys) keeps them in a finding.List that has spilled
// to a spool file instead of Findings: List reads either, and Close
// removes the spool.
type Result struct {
	Findings   []finding.Finding
	Stats      Stats
	Incomplete bool
	// list holds the findings, sorted and grouped, when they spilled.
	list *finding.List
}

// setList sorts and groups l (finding.Group) and makes it the result's
// findings: Findings when it is in memory.
func (r *Result) setList(l *finding.List) error {
	err := l.Sort()
	if err == nil {
		err = l.Group()
	}
	if err != nil {
		l.Close()
		return err
	}
	if !l.Spilled() {
		r.Findings, err = l.Slice()
		return err
	}
	r.list = l
	return nil
}

// List is the findings as a list (Findings, or the spilled list); closing
// it is Close.
func (r *Result) List() *finding.List {
	if r.list != nil {
		return r.list
	}
	return finding.ListOf(r.Findings)
}

// Len is the number of findings.
func (r *Result) Len() int {
	if r.list != nil {
		return r.list.Len()
	}
	return len(r.Findings)
}

// All is every finding in one slice: Findings, or the spilled list read
// back (for consumers that need them all at once, such as the sweep's
// store; a scan's report reads List).
func (r *Result) All() ([]finding.Finding, error) {
	if r.list != nil {
		return r.list.Slice()
	}
	return r.Findings, nil
}

// SetFindings makes fs the result's findings in place of what it held
// (a spilled list is closed).
func (r *Result) SetFindings(fs []finding.Finding) {
	r.Close()
	r.list = nil
	r.Findings = fs
}

// Close removes the spool of spilled findings, if any.
func (r *Result) Close() error {
	if r == nil || r.list == nil {
		return nil
	}
	return r.list.Close()
}

// Merge is one result of two scans of one target (a project's items and
// its wiki's history): the findings of both in order, the counts added,
// the names joined, incomplete when either is. Either may be nil.
func Merge(a, b *Result) (*Result, error) {
	if a == nil {
		return b, nil
	}
	if b == nil {
		return a, nil
	}
	af, err := a.All()
	if err != nil {
		return nil, err
	}
	bf, err := b.All()
	if err != nil {
		return nil, err
	}
	a.Close()
	b.Close()
	out := &Result{Findings: append(append([]finding.Finding{}, af...), bf...), Incomplete: a.Incomplete || b.Incomplete}
	finding.Sort(out.Findings)
	s, t := a.Stats, b.Stats
	out.Stats = Stats{What: s.What + " and " + t.What, Objects: s.Objects + t.Objects, Commits: s.Commits + t.Commits,
		Bytes: s.Bytes + t.Bytes, Binary: s.Binary + t.Binary, Skipped: s.Skipped + t.Skipped, Warnings: s.Warnings + t.Warnings,
		ChunksDeduped: s.ChunksDeduped + t.ChunksDeduped, InlineAllowed: s.InlineAllowed + t.InlineAllowed, Duration: s.Duration + t.Duration}
	return out, nil
}

// Summary is the one-line human summary printed on stderr.
func (s Stats) Summary(findings int) string {
	unit := Plural(s.Objects, "file", "files")
	if s.Commits > 0 {
		unit = Plural(s.Objects, "blob", "blobs") + " in " + Plural(s.Commits, "commit", "commits")
	}
	msg := fmt.Sprintf("scanned %s: %s, %s in %s; %s", s.What, unit, HumanBytes(s.Bytes), s.Duration.Round(time.Millisecond), Plural(int64(findings), "finding", "findings"))
	if s.Binary > 0 {
		msg += fmt.Sprintf("; %d binary skipped", s.Binary)
	}
	if s.InlineAllowed > 0 {
		msg += fmt.Sprintf("; %d allowed inline", s.InlineAllowed)
	}
	if s.Warnings > 0 {
		msg += "; " + Plural(s.Warnings, "warning", "warnings")
	}
	return msg
}

// Plural writes a count with its noun: "1 file", "3 files".
func Plural(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// HumanBytes formats a byte count for people: "3.2 MiB".
func HumanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// counters are the atomically updated parts of Stats.
type counters struct {
	objects, commits, bytes, binary, skipped, warnings, deduped atomic.Int64
	// inline counts matches inline allow markers suppressed; the engine
	// adds to it (countInline).
	inline atomic.Int64
}

func (c *counters) fill(s *Stats) {
	s.Objects = c.objects.Load()
	s.Commits = c.commits.Load()
	s.Bytes = c.bytes.Load()
	s.Binary = c.binary.Load()
	s.Skipped = c.skipped.Load()
	s.Warnings = c.warnings.Load()
	s.ChunksDeduped = c.deduped.Load()
	s.InlineAllowed = c.inline.Load()
}

// countInline makes o's engine count into c the matches inline allow
// markers suppress. A source calls it once, where it makes its counters,
// before it hands o on.
func (o *Options) countInline(c *counters) {
	if o.Engine != nil {
		o.Engine = o.Engine.CountingInline(&c.inline)
	}
}

func (o *Options) warn(c *counters, err error) {
	c.warnings.Add(1)
	if o.Warn != nil {
		o.Warn(err)
	}
}

func (o *Options) progress(bytes int64, objects int) {
	if o.Progress != nil {
		o.Progress.Add(bytes, objects)
	}
}

// IsBinary reports whether content looks binary: a NUL byte in its first
// 8 KiB, the test git itself uses.
func IsBinary(data []byte) bool {
	if len(data) > 8000 {
		data = data[:8000]
	}
	return bytes.IndexByte(data, 0) >= 0
}

// place is where a match was found, for allowlists and findings.
type place struct {
	path   string
	commit string
	// kind is the sort of place when there is no commit: a file unless
	// set (stdin).
	kind finding.Kind
}

// locate sets a new finding's kind of location and, for a blob of a
// commit, its git origin (the source adds the rest of it).
func (at place) locate(f *finding.Finding) {
	switch {
	case at.commit != "":
		f.Kind, f.Git = finding.KindGit, &finding.GitOrigin{Commit: at.commit}
	case at.kind != "":
		f.Kind = at.kind
	default:
		f.Kind = finding.KindFile
	}
}

// toFindings filters engine matches by the rules' path restrictions and the
// allowlists that need a path or commit, and makes findings.
func toFindings(cfg *rules.Config, ms []detectors.Match, at place) []finding.Finding {
	fm := newFindingMaker(cfg, at, finding.ListOf(nil)) // in memory: no spool to fail
	fm.add(ms, nil)
	l, _ := fm.finish()
	fs, _ := l.Slice()
	return fs
}

// listFindings is toFindings for a content whose findings may be many:
// they spill (finding.List) beyond a threshold.
func listFindings(cfg *rules.Config, ms []detectors.Match, at place) (*finding.List, error) {
	fm := newFindingMaker(cfg, at, finding.NewList())
	fm.add(ms, nil)
	return fm.finish()
}

// findingMaker makes the findings of one content from its matches, handed
// over all at once or window by window (a streamed file): a window's
// matches can be dropped once added, since the companion lookup
// (Finding.Related) keeps of each match only its rule, line and secret.
// The findings go to a finding.List, which spills a million of them to
// its spool as they are made.
type findingMaker struct {
	cfg *rules.Config
	at  place
	// reports caches whether a rule reports at this path: asked once per
	// rule, not once per match.
	reports map[*rules.Rule]bool
	near    nearest
	out     *finding.List
	// match[k] is the number, in near, of the match of finding k.
	match []int32
	err   error
}

func newFindingMaker(cfg *rules.Config, at place, out *finding.List) *findingMaker {
	return &findingMaker{cfg: cfg, at: at, reports: map[*rules.Rule]bool{}, out: out}
}

// add makes the findings of ms. The findings are counted before they are
// made, so that a million matches cost one slice of findings, not a
// doubling series of them; estimate, when set, is given the number of
// findings so far and returns how many the whole content will likely
// hold, so that a streamed file grows its slice once, not per window.
func (fm *findingMaker) add(ms []detectors.Match, estimate func(have int) int) {
	n := 0
	for i := range ms {
		r := ms[i].Rule
		ok, seen := fm.reports[r]
		if !seen {
			ok = !r.SkipReport && (r.Path == nil || r.Path.MatchString(fm.at.path))
			fm.reports[r] = ok
		}
		if ok {
			n++
		}
	}
	if grow := len(ms); len(fm.near.rule)+grow > cap(fm.near.rule) {
		if estimate != nil {
			// The whole content's matches at once, not a series of copies.
			grow = max(grow, estimate(len(fm.near.rule)+grow)-len(fm.near.rule))
		}
		fm.near.grow(grow)
	}
	if need := len(fm.match) + n; n > 0 && need > cap(fm.match) {
		want := need
		if estimate != nil {
			want = max(want, estimate(need))
		}
		fm.out.Grow(want - len(fm.match))
		fm.match = slices.Grow(fm.match, want-len(fm.match))
	}
	for i := range ms {
		m := &ms[i]
		number := int32(len(fm.near.rule))
		fm.near.add(m.Rule.ID, m.Line, m.Secret)
		if !fm.reports[m.Rule] || fm.err != nil {
			continue
		}
		if f, ok := makeFinding(fm.cfg, m, fm.at); ok {
			if err := fm.out.Append(&f); err != nil {
				fm.err = err
				continue
			}
			fm.match = append(fm.match, number)
		}
	}
}

// finish sets each finding's companions and returns the findings.
func (fm *findingMaker) finish() (*finding.List, error) {
	if fm.err != nil {
		fm.out.Close()
		return finding.ListOf(nil), fm.err
	}
	for k := range fm.match {
		fm.out.SetRelated(k, fm.near.related(int(fm.match[k])))
	}
	return fm.out, nil
}

// makeFinding makes the finding of a match of a rule that reports at the
// place (not skipReport, its path restriction met), unless an allowlist
// that needs the place covers it.
func makeFinding(cfg *rules.Config, m *detectors.Match, at place) (finding.Finding, bool) {
	r := m.Rule
	if cfg.Allowed(r, rules.Occurrence{Secret: m.Secret, Match: m.Text, Line: m.LineText, Path: at.path, Commit: at.commit}, false) {
		return finding.Finding{}, false
	}
	f := finding.Finding{
		RuleID:         r.ID,
		Description:    r.Description,
		Confidence:     m.Confidence.String(),
		Tags:           r.Tags,
		Path:           at.path,
		Line:           m.Line,
		Column:         m.Column,
		Secret:         m.Secret,
		Match:          m.Text,
		Entropy:        roundEntropy(m.Entropy),
		Fingerprint:    finding.MakeFingerprint(r.ID, m.Secret, at.path),
		ChecksumFailed: m.ChecksumFailed,
		Decoded:        m.Decoded,
	}
	at.locate(&f)
	return f, true
}

func roundEntropy(e float64) float64 {
	return float64(int64(e*1000+0.5)) / 1000
}

// pathFindings reports path-only rules (a rule with a path and no regex)
// that match the path.
func pathFindings(cfg *rules.Config, at place) []finding.Finding {
	var out []finding.Finding
	for _, r := range cfg.PathOnly {
		if !r.Path.MatchString(at.path) {
			continue
		}
		if cfg.Allowed(r, rules.Occurrence{Path: at.path, Commit: at.commit}, false) ||
			cfg.Allowed(r, rules.Occurrence{Path: at.path, Commit: at.commit}, true) {
			continue
		}
		f := finding.Finding{
			RuleID:      r.ID,
			Description: r.Description,
			Confidence:  r.Confidence.String(),
			Tags:        r.Tags,
			Path:        at.path,
			Fingerprint: finding.MakeFingerprint(r.ID, "", at.path),
		}
		at.locate(&f)
		out = append(out, f)
	}
	return out
}

// pathIgnored reports whether a global allowlist made only of paths covers
// the path for every rule, so the content need not be read at all.
func pathIgnored(cfg *rules.Config, path string) bool {
	for _, a := range cfg.Allowlists {
		// What a repository's own allowlist suppresses is counted, so its
		// content is read.
		if len(a.TargetRules) > 0 || len(a.Paths) == 0 || a.Repository {
			continue
		}
		if a.MatchAll && len(a.Regexes)+len(a.Commits)+len(a.StopWords) > 0 {
			continue
		}
		for _, re := range a.Paths {
			if re.MatchString(path) {
				return true
			}
		}
	}
	return false
}

// collector gathers findings from concurrent workers. It keeps each
// worker's list as handed over and joins them once, at the end: a scan of
// one file with a million findings (spilled to its list's spool) needs no
// copy.
type collector struct {
	mu  sync.Mutex
	ls  []*finding.List
	err error
}

func (c *collector) add(l *finding.List) {
	if l.Len() == 0 {
		l.Close()
		return
	}
	c.mu.Lock()
	c.ls = append(c.ls, l)
	c.mu.Unlock()
}

// all returns every finding added; the collector must not be added to
// afterwards.
func (c *collector) all() (*finding.List, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch len(c.ls) {
	case 0:
		return finding.NewList(), nil
	case 1:
		return c.ls[0], nil
	}
	n := 0
	for _, l := range c.ls {
		n += l.Len()
	}
	out := finding.NewList()
	out.Grow(n)
	var err error
	for i, l := range c.ls {
		if err == nil {
			err = out.Concat(l)
		}
		l.Close()
		c.ls[i] = nil
	}
	c.ls = nil
	if err != nil {
		out.Close()
		return finding.NewList(), err
	}
	return out, nil
}
