package ahocorasick

// sparse is the keyword trie with failure links: a full row of edges for
// the root (where most bytes go) and a linked list of edges for every
// other state. It is held in a few flat slices, with outputs as a
// keyword per state and a link to the next state along the failure chain
// that has one, so that building it allocates little: a pre-commit run
// builds it and scans a few kilobytes, and what it allocates is most of
// what that run faults in.
type sparse struct {
	root  []uint32 // the root's next state by class (0: stay at the root)
	first []uint32 // per state: its first edge in edges, plus one (0: none)
	edges []Edge
	fail  []uint32
	// own is the first keyword ending at each state (-1: none); further
	// keywords equal to it follow in same.
	own []int32
	// dict is the nearest state along the failure chain, the state itself
	// excluded, at which a keyword ends (0: none).
	dict []uint32
	same []int32 // per keyword: the next keyword equal to it (-1: none)
}

// Edge is one edge of the sparse trie (exported for Tables).
type Edge struct {
	Class uint8
	To    uint32
	Next  uint32 // the state's next edge, plus one (0: none)
}

func (sp *sparse) child(s uint32, c uint8) (uint32, bool) {
	if s == 0 {
		n := sp.root[c]
		return n, n != 0
	}
	for i := sp.first[s]; i != 0; i = sp.edges[i-1].Next {
		if e := &sp.edges[i-1]; e.Class == c {
			return e.To, true
		}
	}
	return 0, false
}

// step is the automaton's move from s on class c.
func (sp *sparse) step(s uint32, c uint8) uint32 {
	for {
		if n, ok := sp.child(s, c); ok {
			return n
		}
		if s == 0 {
			return 0
		}
		s = sp.fail[s]
	}
}

func (m *Matcher) buildSparse() {
	sp := &m.sparse
	size := 1
	for _, k := range m.patterns {
		size += len(k)
	}
	sp.root = make([]uint32, m.nclass)
	sp.first = make([]uint32, 1, size)
	sp.own = make([]int32, 1, size)
	sp.own[0] = -1
	sp.edges = make([]Edge, 0, size)
	sp.same = make([]int32, len(m.patterns))
	for pi, k := range m.patterns {
		sp.same[pi] = -1
		if k == "" {
			continue
		}
		s := uint32(0)
		for i := 0; i < len(k); i++ {
			c := m.classes[k[i]]
			n, ok := sp.child(s, c)
			if !ok {
				n = uint32(len(sp.first))
				sp.first = append(sp.first, 0)
				sp.own = append(sp.own, -1)
				if s == 0 {
					sp.root[c] = n
				} else {
					// Prepended: the order of a state's edges does not
					// change what a step finds.
					sp.edges = append(sp.edges, Edge{c, n, sp.first[s]})
					sp.first[s] = uint32(len(sp.edges))
				}
			}
			s = n
		}
		if sp.own[s] < 0 {
			sp.own[s] = int32(pi)
			continue
		}
		// A repeated keyword: chained after the last one, so each is
		// reported in the order given.
		p := sp.own[s]
		for sp.same[p] >= 0 {
			p = sp.same[p]
		}
		sp.same[p] = int32(pi)
	}
	// Breadth-first, as for the DFA: a state's failure state is shallower,
	// so its dictionary link is set when the state needs it.
	n := len(sp.first)
	sp.fail = make([]uint32, n)
	sp.dict = make([]uint32, n)
	queue := make([]uint32, 0, n)
	for _, s := range sp.root {
		if s != 0 {
			queue = append(queue, s)
		}
	}
	for qi := 0; qi < len(queue); qi++ {
		s := queue[qi]
		if f := sp.fail[s]; sp.own[f] >= 0 {
			sp.dict[s] = f
		} else {
			sp.dict[s] = sp.dict[f]
		}
		for i := sp.first[s]; i != 0; i = sp.edges[i-1].Next {
			e := sp.edges[i-1]
			sp.fail[e.To] = sp.step(sp.fail[s], e.Class)
			queue = append(queue, e.To)
		}
	}
}

// scan reports occurrences as Scan does, in order of end offset; at one
// offset the longest keyword first, as the dense DFA reports them.
func (sp *sparse) scan(m *Matcher, data []byte, fn func(pattern int, start int)) {
	s := uint32(0)
	for i := 0; i < len(data); i++ {
		s = sp.step(s, m.classes[data[i]])
		t := s
		if sp.own[t] < 0 {
			t = sp.dict[t]
		}
		for t != 0 {
			for p := sp.own[t]; p >= 0; p = sp.same[p] {
				if m.isSide != nil && m.isSide[p] {
					continue // scanSide reports it
				}
				if start := i + 1 - len(m.patterns[p]); m.fits(p, data, start, i+1) {
					fn(int(p), start)
				}
			}
			t = sp.dict[t]
		}
	}
}
