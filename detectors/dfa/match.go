package dfa

import (
	"encoding/binary"
	"slices"
)

// maxDFAStates bounds a Matcher's cache; past it the cache is dropped and
// rebuilt as the input needs it, so memory stays bounded on any input.
const maxDFAStates = 2048

// Matcher runs a Prog with a lazily built DFA. It is not safe for concurrent
// use; give each goroutine its own.
type Matcher struct {
	p  *Prog
	nc int
	// trans[state*nc + class] is the next state's row offset + 1, -1 when
	// the next state accepts, 0 when not built yet.
	trans  []int32
	accept []bool
	sets   [][]int32 // DFA state -> its NFA states (consuming or match)
	index  map[string]int32
	start  int32
	resets int // times the cache overflowed and was dropped

	// scratch for closures
	stack []int
	mark  []uint32
	gen   uint32
	buf   []int32
	bits  []uint64 // buf as a set of NFA states, the key of index
	key   []byte
}

// NewMatcher returns a Matcher with an empty cache.
func (p *Prog) NewMatcher() *Matcher {
	m := &Matcher{p: p, nc: len(p.reps), mark: make([]uint32, len(p.states)), bits: make([]uint64, (len(p.states)+63)/64)}
	m.reset()
	return m
}

func (m *Matcher) reset() {
	m.trans = m.trans[:0]
	m.accept = m.accept[:0]
	m.sets = m.sets[:0]
	m.index = map[string]int32{}
	m.buf = m.buf[:0]
	m.nextGen()
	m.addStart()
	m.start = m.intern()
}

// addStart adds the NFA start's closure to m.buf, as closure(start) would,
// from the list computed once.
func (m *Matcher) addStart() {
	for _, s := range m.p.startSet {
		if m.mark[s] != m.gen {
			m.mark[s] = m.gen
			m.buf = append(m.buf, s)
		}
	}
}

// nextGen starts a new closure batch; marks of older batches are stale.
func (m *Matcher) nextGen() {
	m.gen++
	if m.gen == 0 {
		clear(m.mark)
		m.gen = 1
	}
}

// closure adds the states reachable from s without input to m.buf.
func (m *Matcher) closure(s int) {
	m.stack, m.buf = m.p.closure(s, m.mark, m.gen, m.stack, m.buf)
}

// intern returns the DFA state for the NFA states in m.buf, which are
// keyed by the set they make (in whatever order they were added).
func (m *Matcher) intern() int32 {
	clear(m.bits)
	for _, s := range m.buf {
		m.bits[s>>6] |= 1 << (s & 63)
	}
	m.key = m.key[:0]
	for _, w := range m.bits {
		m.key = binary.LittleEndian.AppendUint64(m.key, w)
	}
	if id, ok := m.index[string(m.key)]; ok {
		return id
	}
	id := int32(len(m.sets))
	m.index[string(m.key)] = id
	set := slices.Clone(m.buf)
	m.sets = append(m.sets, set)
	acc := false
	for _, s := range set {
		if m.p.states[s].match {
			acc = true
		}
	}
	m.accept = append(m.accept, acc)
	m.trans = append(m.trans, make([]int32, m.nc)...)
	return id
}

// step builds the transition of DFA state d on byte class c. The NFA start
// joins every state: the search is unanchored.
func (m *Matcher) step(d int32, c uint8) int32 {
	b := m.p.reps[c]
	m.nextGen()
	m.buf = m.buf[:0]
	for _, s := range m.sets[d] {
		st := &m.p.states[s]
		if st.set != 0 && m.p.sets[st.set-1].has(b) {
			m.closure(st.out)
		}
	}
	m.addStart()
	next := m.intern()
	v := int32(-1) // into an accepting state: the search ends there
	if !m.accept[next] {
		v = next*int32(m.nc) + 1
	}
	m.trans[int(d)*m.nc+int(c)] = v
	return next
}

// Match reports whether the prefilter's language matches anywhere in data.
func (m *Matcher) Match(data []byte) bool {
	if m.accept[m.start] {
		return true
	}
	classes := &m.p.classes
	trans := m.trans
	row := int(m.start) * m.nc // the current state's row in trans
	for _, b := range data {
		c := classes[b]
		v := trans[row+int(c)]
		if v > 0 {
			row = int(v - 1)
			continue
		}
		if v < 0 {
			return true
		}
		d := int32(row / m.nc)
		if len(m.sets) >= maxDFAStates {
			// Drop the cache, keeping only the state we are in.
			cur := slices.Clone(m.sets[d])
			m.reset()
			m.resets++
			m.buf = append(m.buf[:0], cur...)
			d = m.intern()
		}
		next := m.step(d, c)
		if m.accept[next] {
			return true
		}
		trans = m.trans
		row = int(next) * m.nc
	}
	return false
}
