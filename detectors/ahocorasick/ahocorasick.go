// Package ahocorasick finds every occurrence of a set of keywords in one pass
// over the input, ignoring ASCII case. It is the prefilter of the detector
// engine: a rule's regex only runs near a hit of one of its keywords.
//
// The automaton is a dense DFA over byte classes: bytes that appear in no
// keyword share one class, and upper-case ASCII letters share the class of
// their lower-case form, so the transition table stays small enough to live
// in cache.
package ahocorasick

import (
	"bytes"
	"sync"
	"sync/atomic"
)

// Matcher is an immutable compiled keyword set; safe for concurrent use.
//
// It starts as a sparse automaton (the trie with failure links), cheap to
// build and slow per byte, and builds the dense DFA the first time a scan
// is large or the scans so far add up: a pre-commit hook or a piped
// snippet never pays for the DFA (most of start-up with a thousand
// rules), a history scan builds it once within its first megabytes.
type Matcher struct {
	classes  [256]uint8
	nclass   int
	anyOut   bool
	hitPool  sync.Pool // *[4][]Hit, per-part hit buffers of scan4
	patterns []string
	maxLen   int // the longest keyword
	sparse   sparse

	building atomic.Bool // a scan has started building the dense DFA
	dense    atomic.Bool // the fields below are built
	scanned  atomic.Int64
	nstride  uint32    // row length of delta
	delta    []uint32  // premultiplied next state, with outFlag set on output states
	outputs  [][]int32 // state number (premultiplied state / nclass) -> keywords ending there

	// neighbours, when set, holds for each keyword the bytes allowed next
	// to it (nil: any); a hit whose neighbours do not fit is not reported.
	neighbours []*Neighbours
	// side lists the keywords found apart from the automaton: one byte,
	// not a letter, with neighbours. Such a byte ("-", "@") is common in
	// text, and as an output of the DFA it would take the slow branch of
	// the scan loop at each occurrence; bytes.IndexByte finds it far
	// faster, and the neighbours then turn nearly all of them down.
	side   []int32
	isSide []bool
}

// Neighbours are the bytes that may come just before and just after a
// keyword's occurrence for it to be reported (nil: any). The ends of the
// input always fit.
type Neighbours struct {
	Before, After *[256]bool
}

// SetNeighbours makes the matcher report only the hits of each keyword
// whose neighbouring bytes fit n[keyword] (a nil entry: every hit). A
// keyword of one byte other than a letter, with neighbours, becomes a side
// keyword, found with bytes.IndexByte instead of the automaton. It must be
// called before the first Scan.
func (m *Matcher) SetNeighbours(n []*Neighbours) {
	if len(n) != len(m.patterns) {
		return
	}
	m.neighbours = n
	if m.dense.Load() {
		return // too late to leave keywords out of the DFA
	}
	for p, k := range m.patterns {
		if len(k) == 1 && n[p] != nil && !isLetter(k[0]) {
			if m.isSide == nil {
				m.isSide = make([]bool, len(m.patterns))
			}
			m.isSide[p] = true
			m.side = append(m.side, int32(p))
		}
	}
}

func isLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// scanSide reports the hits of the side keywords that fit, each keyword's
// in order of position.
func (m *Matcher) scanSide(data []byte, fn func(pattern int, start int)) {
	for _, p := range m.side {
		c := m.patterns[p][0]
		for at := 0; at < len(data); {
			i := bytes.IndexByte(data[at:], c)
			if i < 0 {
				break
			}
			at += i
			if m.fits(p, data, at, at+1) {
				fn(int(p), at)
			}
			at++
		}
	}
}

// fits reports whether the hit of pattern p at data[start:end] fits its
// neighbours.
func (m *Matcher) fits(p int32, data []byte, start, end int) bool {
	if m.neighbours == nil {
		return true
	}
	n := m.neighbours[p]
	if n == nil {
		return true
	}
	if n.Before != nil && start > 0 && !n.Before[data[start-1]] {
		return false
	}
	return n.After == nil || end >= len(data) || n.After[data[end]]
}

// Inputs from which the dense DFA is built: one scan of denseScan bytes,
// or scans adding up to denseTotal.
const (
	denseScan  = 256 << 10
	denseTotal = 2 << 20
)

const outFlag = 1 << 31

// New compiles the keywords. Keywords are matched case-insensitively for
// ASCII letters; empty keywords are ignored.
func New(keywords []string) *Matcher {
	m := &Matcher{patterns: make([]string, len(keywords))}
	for i, k := range keywords {
		m.patterns[i] = lower(k)
		m.maxLen = max(m.maxLen, len(k))
	}
	// Byte classes: one per distinct byte used by a keyword, plus class 0.
	for _, k := range m.patterns {
		for i := 0; i < len(k); i++ {
			if m.classes[k[i]] == 0 {
				m.nclass++
				m.classes[k[i]] = uint8(m.nclass)
				if m.nclass == 255 {
					break
				}
			}
		}
	}
	m.nclass++
	for c := 'A'; c <= 'Z'; c++ {
		m.classes[c] = m.classes[c+('a'-'A')]
	}
	for _, k := range m.patterns {
		m.anyOut = m.anyOut || k != ""
	}
	m.buildSparse()
	return m
}

// tryDense builds the dense DFA unless another scan is building it, and
// reports whether it is built. A scan that finds it being built goes on
// with the sparse automaton rather than wait: with the built-in keywords
// the build takes tens of milliseconds, in which a second worker would
// otherwise stand idle.
func (m *Matcher) tryDense() bool {
	if m.building.CompareAndSwap(false, true) {
		m.buildDense()
		return true
	}
	return m.dense.Load()
}

// buildDense builds the dense DFA.
func (m *Matcher) buildDense() {
	// Trie, in one flat table of nclass entries per node (none: no edge),
	// which the breadth-first pass completes into the DFA and then turns
	// into premultiplied states in place: the table is the largest thing
	// achilles builds at start-up, so it is built once.
	const none = ^uint32(0)
	nc := m.nclass
	size := 1
	for _, k := range m.patterns {
		size += len(k)
	}
	next := make([]uint32, nc, size*nc)
	for i := range next {
		next[i] = none
	}
	var outs [][]int32
	outs = append(outs, nil)
	for pi, k := range m.patterns {
		if k == "" || m.isSide != nil && m.isSide[pi] {
			continue
		}
		s := uint32(0)
		for i := 0; i < len(k); i++ {
			e := int(s)*nc + int(m.classes[k[i]])
			n := next[e]
			if n == none {
				n = uint32(len(outs))
				outs = append(outs, nil)
				next[e] = n
				row := len(next)
				next = next[:row+nc]
				for j := row; j < row+nc; j++ {
					next[j] = none
				}
			}
			s = n
		}
		outs[s] = append(outs[s], int32(pi))
	}

	// Breadth-first: failure links, outputs inherited along them, and
	// every missing edge replaced by the failure state's.
	fail := make([]uint32, len(outs))
	queue := make([]uint32, 0, len(outs))
	for c := 0; c < nc; c++ {
		if n := next[c]; n != none {
			fail[n] = 0
			queue = append(queue, n)
		} else {
			next[c] = 0
		}
	}
	for qi := 0; qi < len(queue); qi++ {
		s := queue[qi]
		f := fail[s]
		if len(outs[f]) > 0 {
			outs[s] = append(outs[s][:len(outs[s]):len(outs[s])], outs[f]...)
		}
		row, frow := next[int(s)*nc:int(s+1)*nc], next[int(f)*nc:int(f+1)*nc]
		for c := 0; c < nc; c++ {
			if n := row[c]; n != none {
				fail[n] = frow[c]
				queue = append(queue, n)
			} else {
				row[c] = frow[c]
			}
		}
	}
	// States renumbered in breadth-first order, so that the shallow states
	// a scan spends nearly all its steps in lie together at the start of
	// the table (a few hundred KiB of it, not rows scattered over
	// megabytes), and premultiplied; the rows are moved in place, cycle by
	// cycle of the permutation, so the table is never held twice.
	order := make([]uint32, len(outs)) // old state -> new
	for i, s := range queue {
		order[s] = uint32(i + 1)
	}
	for i, n := range next {
		v := order[n] * uint32(nc)
		if outs[n] != nil {
			v |= outFlag
		}
		next[i] = v
	}
	outputs := make([][]int32, len(outs))
	for s, o := range outs {
		outputs[order[s]] = o
	}
	moved := make([]bool, len(outs))
	carry, swap := make([]uint32, nc), make([]uint32, nc)
	for s := range order {
		if moved[s] {
			continue
		}
		copy(carry, next[s*nc:(s+1)*nc])
		for cur := s; !moved[cur]; {
			moved[cur] = true
			d := int(order[cur])
			row := next[d*nc : (d+1)*nc]
			copy(swap, row)
			copy(row, carry)
			carry, swap = swap, carry
			cur = d
		}
	}
	m.delta = next
	m.outputs = outputs
	m.nstride = uint32(nc)
	m.dense.Store(true)
}

// Patterns returns the lower-cased keywords in the order given to New.
func (m *Matcher) Patterns() []string { return m.patterns }

// Scan calls fn for each occurrence of each keyword in data, with the index
// of the keyword and the offset of its first byte, in order of position
// (by end offset within each quarter of a large input); the hits of side
// keywords (see SetNeighbours) come after the others.
//
// A DFA step is a load that depends on the previous one, so a single stream
// is bound by load latency. Large inputs are cut in four parts scanned in
// lockstep, which lets the processor overlap four independent chains; each
// part runs on past its end by the longest keyword and reports only the
// occurrences that start inside it.
func (m *Matcher) Scan(data []byte, fn func(pattern int, start int)) {
	if !m.anyOut {
		return
	}
	if m.side != nil {
		defer m.scanSide(data, fn)
	}
	if !m.dense.Load() {
		if len(data) < denseScan && m.scanned.Add(int64(len(data))) < denseTotal || !m.tryDense() {
			m.sparse.scan(m, data, fn)
			return
		}
	}
	if len(data) < 1<<10 {
		m.scanPart(data, 0, 0, len(data), len(data), fn)
		return
	}
	parts, _ := m.hitPool.Get().(*[4][]Hit)
	if parts == nil {
		parts = new([4][]Hit)
	}
	m.scan4(data, parts)
	for _, hits := range parts {
		for _, h := range hits {
			fn(int(h.pattern), int(h.start))
		}
	}
	m.hitPool.Put(parts)
}

// Hit is one keyword occurrence.
type Hit struct {
	pattern int32
	start   int32
}

// scanPart runs the DFA from state s over data[from:to] and reports
// occurrences starting before limit. It returns the final state.
func (m *Matcher) scanPart(data []byte, s uint32, from, to, limit int, fn func(int, int)) uint32 {
	delta := m.delta
	classes := &m.classes
	for i := from; i < to; i++ {
		s = delta[s+uint32(classes[data[i]])]
		if s&outFlag != 0 {
			s &^= outFlag
			for _, p := range m.outputs[s/m.nstride] {
				if start := i + 1 - len(m.patterns[p]); start < limit && m.fits(p, data, start, i+1) {
					fn(int(p), start)
				}
			}
		}
	}
	return s
}

func (m *Matcher) scan4(data []byte, out *[4][]Hit) {
	n := len(data)
	q := n / 4
	var starts, ends [4]int
	for k := 0; k < 4; k++ {
		starts[k] = k * q
		ends[k] = (k + 1) * q
	}
	ends[3] = n
	for k := range out {
		out[k] = out[k][:0]
	}
	var st [4]uint32
	report := func(k int, s uint32, i int) {
		for _, p := range m.outputs[s/m.nstride] {
			if start := i + 1 - len(m.patterns[p]); start < ends[k] && start >= starts[k] && m.fits(p, data, start, i+1) {
				out[k] = append(out[k], Hit{p, int32(start)})
			}
		}
	}
	d0, d1, d2, d3 := data[starts[0]:], data[starts[1]:], data[starts[2]:], data[starts[3]:]
	d0, d1, d2, d3 = d0[:q], d1[:q], d2[:q], d3[:q]
	st = m.step4(d0, d1, d2, d3, st, func(k int, s uint32, i int) { report(k, s, starts[k]+i) })
	// Each part finishes alone: the rest of its own bytes (the last part is
	// longer by n mod 4) and the overlap into the next part.
	over := m.maxLen - 1
	for k := 0; k < 4; k++ {
		to := ends[k] + over
		if to > n {
			to = n
		}
		kk := k
		m.scanPart(data, st[k], starts[k]+q, to, ends[k], func(p, start int) {
			if start >= starts[kk] {
				out[kk] = append(out[kk], Hit{int32(p), int32(start)})
			}
		})
	}
}

// step4 runs the DFA over four inputs of one length side by side, from
// states st, so that their table loads overlap; at each output of input k
// at offset i it calls report(k, state, i) (state without outFlag). It
// returns the four states at the end.
func (m *Matcher) step4(d0, d1, d2, d3 []byte, st [4]uint32, report func(k int, s uint32, i int)) [4]uint32 {
	delta := m.delta
	classes := &m.classes
	n := len(d0)
	d1, d2, d3 = d1[:n], d2[:n], d3[:n]
	s0, s1, s2, s3 := st[0], st[1], st[2], st[3]
	for i := 0; i < n; i++ {
		s0 = delta[s0+uint32(classes[d0[i]])]
		s1 = delta[s1+uint32(classes[d1[i]])]
		s2 = delta[s2+uint32(classes[d2[i]])]
		s3 = delta[s3+uint32(classes[d3[i]])]
		if (s0|s1|s2|s3)&outFlag != 0 {
			if s0&outFlag != 0 {
				s0 &^= outFlag
				report(0, s0, i)
			}
			if s1&outFlag != 0 {
				s1 &^= outFlag
				report(1, s1, i)
			}
			if s2&outFlag != 0 {
				s2 &^= outFlag
				report(2, s2, i)
			}
			if s3&outFlag != 0 {
				s3 &^= outFlag
				report(3, s3, i)
			}
		}
	}
	return [4]uint32{s0, s1, s2, s3}
}

func lower(s string) string {
	if !hasUpper(s) {
		return s
	}
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + ('a' - 'A')
		}
	}
	return string(b)
}

func hasUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return true
		}
	}
	return false
}
