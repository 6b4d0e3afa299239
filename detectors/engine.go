// Package detectors is the matching engine: bytes in, matches with offsets
// out. It does no I/O and knows nothing of git, files or the network.
//
// One case-insensitive Aho-Corasick pass over the keywords of all rules finds
// where each rule could match; each rule's regex then runs only in a window
// around those hits, sized from the longest match the regex can produce.
package detectors

import (
	"bytes"
	"cmp"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/achilles-sec/achilles/detectors/ahocorasick"
	"github.com/achilles-sec/achilles/detectors/decode"
	"github.com/achilles-sec/achilles/detectors/dfa"
	"github.com/achilles-sec/achilles/rules"
)

// Match is one rule match in a scanned buffer. Offsets are byte offsets into
// that buffer; Line and Column are 1-based.
type Match struct {
	Rule        *rules.Rule
	Start, End  int
	SecretStart int
	SecretEnd   int
	Secret      string
	Text        string
	// LineText is the line holding the start of the match, clipped around the
	// match on very long lines.
	LineText   string
	Line       int
	Column     int
	Entropy    float64
	Confidence rules.Confidence
	// ChecksumFailed is set when the rule's format carries a checksum and the
	// secret's does not add up: a look-alike, never sent for verification.
	ChecksumFailed bool
	// Decoded is the decode chain (outermost first) for a match found inside
	// an encoded segment; Start, End, Line and Column are then those of the
	// segment in the scanned buffer, Secret the decoded secret.
	Decoded []string
}

// Engine runs a compiled rule set over buffers. It is safe for concurrent use.
type Engine struct {
	*compiled
	// inlineAllowed, when set, is told how many matches inline allow
	// markers suppressed (CountingInline).
	inlineAllowed *atomic.Int64
	// misses, when set, remembers windows where a rule found nothing
	// (RememberingMisses).
	misses *missCache
}

// compiled is what every view of an engine shares.
type compiled struct {
	cfg      *rules.Config
	ac       *ahocorasick.Matcher
	kwRules  [][]int32 // keyword index -> indices into regexRules
	always   []int32   // regex rules without keywords
	regexIdx []*rules.Rule
	// prefilters[i] compiles, on first use, the DFA that decides byte by
	// byte whether regexIdx[i] can match in a window at all (nil: none).
	// Compiling lazily keeps start-up short for a staged scan that meets
	// a handful of rules.
	prefilters []lazyProg
	// free holds the scratches not in use. Not a sync.Pool: that empties
	// at every collection, and a scratch holds what is costly to grow
	// again (window buffers, per-rule DFA state caches); there are never
	// more scratches than scans running at once.
	freeMu sync.Mutex
	free   []*scratch
	// keepShadowed keeps matches a more confident rule shadows; rule
	// example checks judge each rule's own regex.
	keepShadowed bool
}

// Overlap is how far the scan of one piece of a larger input (a chunk of a
// big blob) must reach into the next piece so that a match starting in it
// is not cut: the longest bounded match any rule can produce, at least
// 1 KiB and at most maxUnboundedSpan (an unbounded rule's match is cut
// there anyway).
func (e *Engine) Overlap() int {
	o := 1 << 10
	for _, r := range e.cfg.Rules {
		if r.Pattern != "" && r.MaxLen > o {
			o = r.MaxLen
		}
	}
	return min(o, maxUnboundedSpan)
}

// acOf is the index's keyword automaton, dropping the hits whose
// neighbours no rule owning the keyword allows.
func acOf(ix *rules.Index) *ahocorasick.Matcher {
	m := ahocorasick.FromTables(ix.Keywords)
	m.SetNeighbours(ix.KeywordNeighbours)
	return m
}

// maxUnboundedSpan bounds the window around a keyword for a rule whose
// regex has no maximum length (Go caps a repeat count at 1000, so a private
// key body has to be written unbounded). A match longer than this is cut.
const maxUnboundedSpan = 64 << 10

// New compiles an engine for the rule set: its keyword index
// (rules.Config.Index, static data for the built-in catalogue) and a slot
// per regex rule for the prefilter compiled on first use.
func New(cfg *rules.Config) *Engine {
	ix := cfg.Index()
	return &Engine{compiled: &compiled{
		cfg:        cfg,
		ac:         acOf(ix),
		kwRules:    ix.KeywordRules,
		always:     ix.Always,
		regexIdx:   ix.Rules,
		prefilters: make([]lazyProg, len(ix.Rules)),
	}}
}

// lazyProg is a regex rule's prefilter DFA, compiled on first use.
type lazyProg struct {
	once sync.Once
	prog *dfa.Prog
}

// get returns the prefilter DFA of rule r, or nil when it has none.
func (l *lazyProg) get(r *rules.Rule) *dfa.Prog {
	l.once.Do(func() {
		pre := r.Prefilter()
		if pre == nil {
			return
		}
		// A regex too big for a prefilter just runs without one.
		l.prog, _ = dfa.Compile(pre)
	})
	return l.prog
}

// Config returns the rule set the engine was built from.
func (e *Engine) Config() *rules.Config { return e.cfg }

// CountingInline returns a view of e (the same rules, caches and pools) that
// adds to n the number of matches an inline allow marker (AllowMarkers)
// suppressed in each buffer it scans, so that a scan can say how many
// findings its targets waved through themselves; with n nil, a view that
// counts nothing. Matches of skipReport rules, never reported anyway, are
// not counted.
func (e *Engine) CountingInline(n *atomic.Int64) *Engine {
	return &Engine{compiled: e.compiled, inlineAllowed: n, misses: e.misses}
}

// RememberingMisses returns a view of e that remembers, in a table of its
// own (4 MiB), the windows in which a rule's regex found nothing, and skips
// them when they come again: for a scan whose inputs repeat one another,
// the versions of files in a git history. Matches are the same as e's.
func (e *Engine) RememberingMisses() *Engine {
	return &Engine{compiled: e.compiled, inlineAllowed: e.inlineAllowed, misses: newMissCache(missCacheBits)}
}

type window struct {
	rule   int32
	lo, hi int
}

// lastWindow is a rule's latest window during a scan: its place in
// scratch.windows (-1: none yet) and its extent.
type lastWindow struct {
	at     int32
	lo, hi int
}

type scratch struct {
	windows  []window
	sorted   []window // windows by rule, then start
	counts   []int32
	last     []lastWindow   // per regex rule
	matchers []*dfa.Matcher // per regex rule, built on first use
}

// sortWindows returns the windows ordered by rule, then by start: a
// counting sort by rule keeps each rule's windows in hit order, which is
// start order but for hits of different keywords ending at one place.
func (sc *scratch) sortWindows(nrules int) []window {
	if cap(sc.counts) < nrules+1 {
		sc.counts = make([]int32, nrules+1)
	}
	counts := sc.counts[:nrules+1]
	clear(counts)
	for _, w := range sc.windows {
		counts[w.rule+1]++
	}
	for i := 1; i < len(counts); i++ {
		counts[i] += counts[i-1]
	}
	sc.sorted = slices.Grow(sc.sorted[:0], len(sc.windows))[:len(sc.windows)]
	for _, w := range sc.windows {
		sc.sorted[counts[w.rule]] = w
		counts[w.rule]++
	}
	byStart := func(a, b window) int { return cmp.Compare(a.lo, b.lo) }
	for i := 0; i < len(sc.sorted); {
		j := i + 1
		for j < len(sc.sorted) && sc.sorted[j].rule == sc.sorted[i].rule {
			j++
		}
		if group := sc.sorted[i:j]; !slices.IsSortedFunc(group, byStart) {
			slices.SortFunc(group, byStart)
		}
		i = j
	}
	return sc.sorted
}

func (e *Engine) getScratch() *scratch {
	e.freeMu.Lock()
	defer e.freeMu.Unlock()
	if n := len(e.free); n > 0 {
		sc := e.free[n-1]
		e.free = e.free[:n-1]
		return sc
	}
	return &scratch{}
}

// maxKeptWindows bounds the window buffers a scratch keeps between scans
// (1.5 MiB each): one hostile buffer's million windows are not held for
// the rest of the run.
const maxKeptWindows = 64 << 10

func (e *Engine) putScratch(sc *scratch) {
	if cap(sc.windows) > maxKeptWindows {
		sc.windows = nil
	}
	if cap(sc.sorted) > maxKeptWindows {
		sc.sorted = nil
	}
	e.freeMu.Lock()
	e.free = append(e.free, sc)
	e.freeMu.Unlock()
}

// prefilter returns the scratch's DFA matcher for regex rule ri, or nil.
func (e *Engine) prefilter(sc *scratch, ri int32) *dfa.Matcher {
	if sc.matchers == nil {
		sc.matchers = make([]*dfa.Matcher, len(e.regexIdx))
	}
	m := sc.matchers[ri]
	if m == nil {
		p := e.prefilters[ri].get(e.regexIdx[ri])
		if p == nil {
			return nil
		}
		m = p.NewMatcher()
		sc.matchers[ri] = m
	}
	return m
}

// prefiltered reports whether rule ri's prefilter lets window w through
// (a rule without one lets every window through).
func (e *Engine) prefiltered(sc *scratch, ri int32, w []byte) bool {
	pf := e.prefilter(sc, ri)
	return pf == nil || pf.Match(w)
}

// Scan returns every match in data that passes the rule's entropy, checksum
// and content allowlists, sorted by offset then rule id. Allowlists that need
// a path or a commit are left to the caller (rules.Config.Allowed).
func (e *Engine) Scan(data []byte) []Match {
	ms, _ := e.scan(data, nil)
	return ms
}

// Hits are the keyword hits of a scanned buffer, kept for the buffers
// built from it (ScanFrom).
type Hits struct {
	h    []ahocorasick.Hit
	runs *decode.Runs // its encoded runs, when ScanDecodedFrom kept them
}

// Size is what the hits hold in memory, in bytes.
func (h *Hits) Size() int {
	if h == nil {
		return 0
	}
	return 8*cap(h.h) + h.runs.Size()
}

// Copy says that bytes [Dst, Dst+Len) of a buffer are bytes [Src,
// Src+Len) of the buffer it was built from (a git delta's copy).
type Copy = ahocorasick.Copy

// ScanFrom returns Scan(data). When base is set, data was built from a
// buffer whose hits base holds, repeating its bytes where copies say, and
// the keyword automaton runs only around what data does not repeat; the
// matches are the same, since every later step looks at data itself.
// With keep, it also returns data's hits, for buffers built from it.
func (e *Engine) ScanFrom(data []byte, base *Hits, copies []Copy, keep bool) ([]Match, *Hits) {
	if base == nil && !keep {
		ms, _ := e.scan(data, nil)
		return ms, nil
	}
	var hs []ahocorasick.Hit
	if base != nil {
		hs = e.ac.HitsFrom(data, base.h, copies, nil)
	} else {
		hs = e.ac.Hits(data, nil)
	}
	ms, live := e.scan(data, hs)
	if !keep {
		return ms, nil
	}
	if cap(live) > 2*len(live) {
		live = slices.Clone(live)
	}
	return ms, &Hits{h: live}
}

// scan runs the rules over data, at the keyword hits given, or (nil) at
// those of one automaton pass. Given hits, it also returns those that may
// open a window in a buffer built from data (in hits' array): a hit every
// rule of its keyword turns down by its Lead or Around, which read only
// the hit's bytes and the one either side, is turned down again wherever
// HitsFrom moves it (on etcd, the hits of the buffers built from others
// fall from 4.2 to 2.9 million).
func (e *Engine) scan(data []byte, hits []ahocorasick.Hit) ([]Match, []ahocorasick.Hit) {
	sc := e.getScratch()
	defer e.putScratch(sc)
	sc.windows = sc.windows[:0]

	// last[ri] is rule ri's latest window. Hits arrive in order of their
	// end, so windows mostly move forward: one inside it adds nothing, and
	// one starting inside it widens it in place (the windows of a rule are
	// merged where they overlap anyway), so a run of hits (a line of
	// "-----", a run of "aaaa" longer than a keyword of a's) costs one
	// window, not one per hit.
	if len(sc.last) < len(e.regexIdx) {
		sc.last = make([]lastWindow, len(e.regexIdx))
		for i := range sc.last {
			sc.last[i].at = -1
		}
	}
	last := sc.last
	onHit := func(k int, start int) (live bool) {
		klen := len(e.ac.Patterns()[k])
		for _, ri := range e.kwRules[k] {
			r := e.regexIdx[ri]
			p := r.Checks()
			if p != nil && p.Lead != nil && len(p.Lead.Literal) > klen+1 {
				live = true // its Lead reads past the bytes HitsFrom compares
			}
			if p == nil || p.Lead != nil && !leadFits(p.Lead, data, start) ||
				p.Around != nil && !p.AroundFits(e.ac.Patterns()[k], data, start) {
				continue
			}
			live = true
			lo, hi := e.windowFor(r, p, data, start, klen)
			if l := &last[ri]; l.at >= 0 && l.lo <= lo && lo <= l.hi {
				if hi > l.hi {
					l.hi = hi
					sc.windows[l.at].hi = hi
				}
				continue
			}
			last[ri] = lastWindow{int32(len(sc.windows)), lo, hi}
			sc.windows = append(sc.windows, window{ri, lo, hi})
		}
		return live
	}
	// The windows of a rule are merged where they overlap, so they do not
	// depend on the order of the hits.
	live := hits[:0]
	if hits == nil {
		e.ac.Scan(data, func(k, start int) { onHit(k, start) })
	} else {
		for _, h := range hits {
			if onHit(h.Pattern(), h.Start()) {
				live = append(live, h)
			}
		}
	}
	for _, w := range sc.windows {
		last[w.rule].at = -1
	}
	for _, ri := range e.always {
		sc.windows = append(sc.windows, window{ri, 0, len(data)})
	}
	if len(sc.windows) == 0 {
		return nil, live
	}
	windows := sc.sortWindows(len(e.regexIdx))

	var out []Match
	inline := 0
	cur := windows[0]
	flush := func(w window) {
		out = e.runRegex(out, &inline, sc, w.rule, data, w.lo, w.hi)
	}
	for _, w := range windows[1:] {
		if w.rule == cur.rule && w.lo <= cur.hi {
			if w.hi > cur.hi {
				cur.hi = w.hi
			}
			continue
		}
		flush(cur)
		cur = w
	}
	flush(cur)
	if inline > 0 && e.inlineAllowed != nil {
		e.inlineAllowed.Add(int64(inline))
	}
	if len(out) == 0 {
		return nil, live
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Start != out[j].Start {
			return out[i].Start < out[j].Start
		}
		if out[i].End != out[j].End {
			return out[i].End < out[j].End
		}
		return out[i].Rule.ID < out[j].Rule.ID
	})
	addLines(data, out)
	if !e.keepShadowed {
		out = dropShadowed(out)
	}
	return applyComposites(out), live
}

// dropShadowed removes a match whose secret overlaps the secret of a match
// of a more confident rule: a generic "token = ..." rule must not report a
// GitHub token the GitHub rule already reports. Matches of equal confidence
// (two providers) both stay; companions (skipReport) neither shadow nor are
// shadowed. ms is sorted by Start.
func dropShadowed(ms []Match) []Match {
	if len(ms) < 2 {
		return ms
	}
	shadowed := make([]bool, len(ms))
	any := false
	for i := range ms {
		a := &ms[i]
		if a.Rule.SkipReport {
			continue
		}
		for j := i + 1; j < len(ms) && ms[j].Start < a.End; j++ {
			b := &ms[j]
			if b.Rule.SkipReport || a.SecretEnd <= b.SecretStart || b.SecretEnd <= a.SecretStart {
				continue
			}
			switch {
			case a.Confidence < b.Confidence:
				shadowed[i], any = true, true
			case b.Confidence < a.Confidence:
				shadowed[j], any = true, true
			}
		}
	}
	if !any {
		return ms
	}
	out := ms[:0]
	for i, m := range ms {
		if !shadowed[i] {
			out = append(out, m)
		}
	}
	return out
}

// windowFor returns the part of data a match containing the keyword hit at
// [start, start+klen) can lie in.
func (e *Engine) windowFor(r *rules.Rule, p *rules.Checks, data []byte, start, klen int) (int, int) {
	n := len(data)
	var lo, hi int
	switch {
	case p.StartsWithKeyword && r.MaxLen >= 0:
		// The match starts at the hit, or one boundary character before.
		lo, hi = max(0, start-1), min(n, start+r.MaxLen)
		if r.MaxNewlines == 0 {
			if i := bytes.IndexByte(data[start:hi], '\n'); i >= 0 {
				hi = start + i
			}
		}
		for k := 0; k < 256 && hi < n && isTokenByte(data[hi]); k++ {
			hi++
		}
		return lo, hi
	case r.MaxLen >= 0:
		lo, hi = start+klen-r.MaxLen, start+r.MaxLen
	case r.MaxNewlines >= 0:
		// Unbounded, but only within a known number of lines: the lines
		// around the hit (each searched at most maxUnboundedSpan far).
		lo, hi = start, start+klen
		for k := 0; k <= r.MaxNewlines && lo > 0; k++ {
			from := max(0, lo-maxUnboundedSpan)
			if i := bytes.LastIndexByte(data[from:lo], '\n'); i >= 0 && k < r.MaxNewlines {
				lo = from + i
			} else if i >= 0 {
				lo = from + i + 1
			} else {
				lo = from
				break
			}
		}
		for k := 0; k <= r.MaxNewlines && hi < n; k++ {
			to := min(n, hi+maxUnboundedSpan)
			if i := bytes.IndexByte(data[hi:to], '\n'); i >= 0 && k < r.MaxNewlines {
				hi += i + 1
			} else if i >= 0 {
				hi += i
			} else {
				hi = to
				break
			}
		}
	default:
		lo, hi = start-maxUnboundedSpan, start+klen+maxUnboundedSpan
	}
	if lo < 0 {
		lo = 0
	}
	if hi > n {
		hi = n
	}
	if r.MaxNewlines == 0 {
		if i := bytes.LastIndexByte(data[lo:start], '\n'); i >= 0 {
			lo += i + 1
		}
		if i := bytes.IndexByte(data[start:hi], '\n'); i >= 0 {
			hi = start + i
		}
	}
	// Widen to token edges so that \b and anchors at the window's edge see
	// what the whole buffer would show them.
	for k := 0; k < 256 && lo > 0 && isTokenByte(data[lo-1]); k++ {
		lo--
	}
	for k := 0; k < 256 && hi < n && isTokenByte(data[hi]); k++ {
		hi++
	}
	return lo, hi
}

// leadFits reports whether a match of a rule with this Lead can start at
// the keyword hit at start: the literal is there in the right case and the
// byte before it is one the rule's boundary allows.
func leadFits(l *rules.Lead, data []byte, start int) bool {
	if start > 0 && l.Before != nil && !l.Before[data[start-1]] {
		return false
	}
	end := start + len(l.Literal)
	if end > len(data) {
		return false
	}
	if l.Fold {
		return bytes.EqualFold(data[start:end], []byte(l.Literal))
	}
	return string(data[start:end]) == l.Literal
}

func isTokenByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '_' || c == '-' || c == '+' || c == '/' || c == '=' || c == '.' || c >= 0x80
}

// runRegex appends the matches of regex rule ri in data[lo:hi] to out, and counts in
// inline those an inline allow marker suppressed.
func (e *Engine) runRegex(out []Match, inline *int, sc *scratch, ri int32, data []byte, lo, hi int) []Match {
	w := data[lo:hi]
	r := e.regexIdx[ri]
	locs := e.windowLocs(sc, ri, w)
	for _, loc := range locs {
		ss, se := secretSpan(r, loc)
		if ss < 0 || se <= ss {
			continue
		}
		m := Match{
			Rule:        r,
			Start:       lo + loc[0],
			End:         lo + loc[1],
			SecretStart: lo + ss,
			SecretEnd:   lo + se,
			Confidence:  r.Confidence,
		}
		secret := data[m.SecretStart:m.SecretEnd]
		m.Entropy = Entropy(secret)
		if r.Entropy > 0 && m.Entropy <= r.Entropy {
			continue
		}
		// One allocation holds the line, the match and the secret when the
		// line is short (a million key ids cost a third of the strings);
		// a long line is not pinned by the secret a finding keeps.
		llo, lhi := lineBounds(data, m.Start, m.End)
		m.LineText = string(data[llo:lhi])
		if lhi-llo <= sharedLineMax {
			m.Text = m.LineText[m.Start-llo : m.End-llo]
		} else {
			m.Text = string(data[m.Start:m.End])
		}
		m.Secret = m.Text[m.SecretStart-m.Start : m.SecretEnd-m.Start]
		if inlineAllowed(m.LineText) {
			if !r.SkipReport {
				*inline++
			}
			continue
		}
		if e.cfg.Allowed(r, rules.Occurrence{Secret: m.Secret, Match: m.Text, Line: m.LineText}, true) {
			continue
		}
		if r.Checksum != "" {
			if check, ok := Checksums[r.Checksum]; ok && !check(m.Secret) {
				m.ChecksumFailed = true
				m.Confidence = rules.ConfidenceLow
			}
		}
		out = append(out, m)
	}
	return out
}

// windowLocs returns the regex's matches in window w of rule ri, as
// FindAllSubmatchIndex gives them. A window seen before is answered from
// the cache (found empty, or with its matches); then the cheap checks (a
// rule whose windows never pass them is never compiled), then the
// prefilter, and only then the regex.
func (e *Engine) windowLocs(sc *scratch, ri int32, w []byte) [][]int {
	r := e.regexIdx[ri]
	var key uint64
	if e.misses != nil {
		key = e.misses.key(ri, w)
		if e.misses.has(key) {
			return nil
		}
		if locs, ok := e.misses.found(key); ok {
			return locs
		}
	}
	if c := r.Checks(); c == nil || !hasRequired(w, c.MustContain) || !hasRuns(w, c.MustHaveRuns) || !e.prefiltered(sc, ri, w) {
		if e.misses != nil {
			e.misses.add(key)
		}
		return nil
	}
	p := r.Plan()
	if p == nil {
		return nil
	}
	locs := p.Regex.FindAllSubmatchIndex(w, -1)
	if e.misses != nil {
		if len(locs) == 0 {
			e.misses.add(key)
		} else {
			e.misses.addFound(key, locs)
		}
	}
	return locs
}

// hasRequired reports whether the window holds every text a match must
// contain: a cheap memchr-speed test that spares the regex most windows of
// rules keyed on common words.
func hasRequired(w []byte, req []rules.RequiredText) bool {
	for _, t := range req {
		switch {
		case t.Literal == "":
			if bytes.IndexAny(w, t.AnyOf) < 0 {
				return false
			}
		case !t.Fold:
			if !bytes.Contains(w, []byte(t.Literal)) {
				return false
			}
		default:
			if !containsFold(w, t.Literal) {
				return false
			}
		}
	}
	return true
}

// hasRuns reports whether w holds each run of bytes a match must contain.
func hasRuns(w []byte, runs []rules.ByteRun) bool {
	for i := range runs {
		if !hasRun(w, &runs[i].Class, runs[i].Min) {
			return false
		}
	}
	return true
}

// hasRun reports whether w holds min bytes of class in a row. Every such
// run covers one offset in each min, so only the bytes at offsets min-1,
// 2*min-1, ... are looked at first, and a run is measured only around one
// of them that is in the class: a window of ordinary text costs about
// len(w)/min lookups, not len(w).
func hasRun(w []byte, class *[256]bool, min int) bool {
	if min <= 1 { // as a run of one: any byte of the class
		for _, c := range w {
			if class[c] {
				return true
			}
		}
		return false
	}
	for i := min - 1; i < len(w); i += min {
		if !class[w[i]] {
			continue
		}
		lo := i
		for lo > 0 && i-lo+1 < min && class[w[lo-1]] {
			lo--
		}
		hi := i + 1
		for hi < len(w) && hi-lo < min && class[w[hi]] {
			hi++
		}
		if hi-lo >= min {
			return true
		}
	}
	return false
}

// containsFold reports whether w contains the ASCII literal lit, ignoring
// ASCII case.
func containsFold(w []byte, lit string) bool {
	if lit == "" {
		return true
	}
	c := lit[0]
	lower, upper := c, c
	if 'a' <= c && c <= 'z' {
		upper = c - ('a' - 'A')
	} else if 'A' <= c && c <= 'Z' {
		lower = c + ('a' - 'A')
	}
	for i := 0; i+len(lit) <= len(w); {
		j := bytes.IndexByte(w[i:len(w)-len(lit)+1], lower)
		if upper != lower {
			if k := bytes.IndexByte(w[i:len(w)-len(lit)+1], upper); k >= 0 && (j < 0 || k < j) {
				j = k
			}
		}
		if j < 0 {
			return false
		}
		if bytes.EqualFold(w[i+j:i+j+len(lit)], []byte(lit)) {
			return true
		}
		i += j + 1
	}
	return false
}

// AllowMarkers on the line of a match suppress it: achilles' own, and the
// ones users already have from other scanners.
var AllowMarkers = []string{"achilles:allow", "gitleaks:allow", "pragma: allowlist secret", "trufflehog:ignore"}

func inlineAllowed(line string) bool {
	for _, m := range AllowMarkers {
		if strings.Contains(line, m) {
			return true
		}
	}
	return false
}

// secretSpan picks the secret out of a match: the rule's secretGroup, else
// the first non-empty group, else the whole match.
func secretSpan(r *rules.Rule, loc []int) (int, int) {
	if r.SecretGroup > 0 {
		return loc[2*r.SecretGroup], loc[2*r.SecretGroup+1]
	}
	for g := 1; 2*g+1 < len(loc); g++ {
		if loc[2*g] >= 0 && loc[2*g+1] > loc[2*g] {
			return loc[2*g], loc[2*g+1]
		}
	}
	return loc[0], loc[1]
}

// sharedLineMax is the longest line whose copy a match's text and secret
// share.
const sharedLineMax = 512

// lineBounds returns where the line holding [start, end) lies in data,
// clipped to 2 KiB either side of the match so that a 100 MB minified line
// costs nothing.
func lineBounds(data []byte, start, end int) (int, int) {
	const clip = 2048
	lo := start - clip
	if lo < 0 {
		lo = 0
	}
	if i := bytes.LastIndexByte(data[lo:start], '\n'); i >= 0 {
		lo += i + 1
	}
	hi := end + clip
	if hi > len(data) {
		hi = len(data)
	}
	if i := bytes.IndexByte(data[end:hi], '\n'); i >= 0 {
		hi = end + i
	}
	if lo > start {
		lo = start
	}
	return lo, hi
}

// addLines fills Line and Column; out is sorted by Start.
func addLines(data []byte, out []Match) {
	line, pos := 1, 0
	lineStart := 0
	for i := range out {
		s := out[i].Start
		if s < pos {
			// Same start as an earlier match (sorted), already counted.
			out[i].Line, out[i].Column = line, s-lineStart+1
			continue
		}
		seg := data[pos:s]
		if n := bytes.Count(seg, []byte{'\n'}); n > 0 {
			line += n
			lineStart = pos + bytes.LastIndexByte(seg, '\n') + 1
		}
		pos = s
		out[i].Line, out[i].Column = line, s-lineStart+1
	}
}

// Entropy is the Shannon entropy of b in bits per byte.
func Entropy(b []byte) float64 {
	if len(b) == 0 {
		return 0
	}
	var counts [256]int
	for _, c := range b {
		counts[c]++
	}
	n := float64(len(b))
	h := 0.0
	for _, c := range counts {
		if c == 0 {
			continue
		}
		p := float64(c) / n
		h -= p * math.Log2(p)
	}
	return h
}
