// Package ahocorasick finds every occurrence of a set of keywords in one pass
// over the input, ignoring ASCII case. It is the prefilter of the detector
// engine: a rule's regex only runs near a hit of one of its keywords.
//
// The automaton is a dense DFA over byte classes: bytes that appear in no
// keyword share one class, and upper-case ASCII letters share the class of
// their lower-case form, so the transition table stays small enough to live
// in cache.
package ahocorasick

// Matcher is an immutable compiled keyword set; safe for concurrent use.
type Matcher struct {
	classes  [256]uint8
	nclass   int
	delta    []uint32 // premultiplied next state, with outFlag set on output states
	outputs  map[uint32][]int32
	patterns []string
}

const outFlag = 1 << 31

// New compiles the keywords. Keywords are matched case-insensitively for
// ASCII letters; empty keywords are ignored.
func New(keywords []string) *Matcher {
	m := &Matcher{patterns: make([]string, len(keywords))}
	for i, k := range keywords {
		m.patterns[i] = lower(k)
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

	// Trie.
	type node struct {
		next map[uint8]int
		out  []int32
		fail int
	}
	nodes := []node{{next: map[uint8]int{}}}
	for pi, k := range m.patterns {
		if k == "" {
			continue
		}
		s := 0
		for i := 0; i < len(k); i++ {
			c := m.classes[k[i]]
			n, ok := nodes[s].next[c]
			if !ok {
				n = len(nodes)
				nodes = append(nodes, node{next: map[uint8]int{}})
				nodes[s].next[c] = n
			}
			s = n
		}
		nodes[s].out = append(nodes[s].out, int32(pi))
	}

	// Breadth-first: failure links and the full transition table.
	nc := m.nclass
	delta := make([]int, len(nodes)*nc)
	queue := make([]int, 0, len(nodes))
	for c := 0; c < nc; c++ {
		if n, ok := nodes[0].next[uint8(c)]; ok {
			delta[c] = n
			nodes[n].fail = 0
			queue = append(queue, n)
		}
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		f := nodes[s].fail
		nodes[s].out = append(nodes[s].out, nodes[f].out...)
		for c := 0; c < nc; c++ {
			if n, ok := nodes[s].next[uint8(c)]; ok {
				nodes[n].fail = delta[f*nc+c]
				delta[s*nc+c] = n
				queue = append(queue, n)
			} else {
				delta[s*nc+c] = delta[f*nc+c]
			}
		}
	}
	m.delta = make([]uint32, len(delta))
	m.outputs = map[uint32][]int32{}
	for i, n := range delta {
		v := uint32(n * nc)
		if len(nodes[n].out) > 0 {
			v |= outFlag
		}
		m.delta[i] = v
	}
	for i, n := range nodes {
		if len(n.out) > 0 {
			m.outputs[uint32(i*nc)] = n.out
		}
	}
	return m
}

// Patterns returns the lower-cased keywords in the order given to New.
func (m *Matcher) Patterns() []string { return m.patterns }

// Scan calls fn for each occurrence of each keyword in data, with the index
// of the keyword and the offset of its first byte. Occurrences come in order
// of their end offset.
func (m *Matcher) Scan(data []byte, fn func(pattern int, start int)) {
	if len(m.outputs) == 0 {
		return
	}
	delta := m.delta
	classes := &m.classes
	s := uint32(0)
	for i := 0; i < len(data); i++ {
		s = delta[s+uint32(classes[data[i]])]
		if s&outFlag != 0 {
			s &^= outFlag
			for _, p := range m.outputs[s] {
				fn(int(p), i+1-len(m.patterns[p]))
			}
		}
	}
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + ('a' - 'A')
		}
	}
	return string(b)
}
