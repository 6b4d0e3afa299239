package ahocorasick

// sparse is the keyword trie with failure links: a full row of edges for
// the root (where most bytes go) and a short list for every other state.
type sparse struct {
	root []uint32 // the root's next state by class (0: stay at the root)
	kids [][]edge // edges of every other state
	fail []uint32
	outs [][]int32 // keywords ending at each state, own then inherited
}

type edge struct {
	class uint8
	to    uint32
}

func (sp *sparse) child(s uint32, c uint8) (uint32, bool) {
	if s == 0 {
		n := sp.root[c]
		return n, n != 0
	}
	for _, e := range sp.kids[s] {
		if e.class == c {
			return e.to, true
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
	sp.kids = make([][]edge, 1, size)
	sp.outs = make([][]int32, 1, size)
	for pi, k := range m.patterns {
		if k == "" {
			continue
		}
		s := uint32(0)
		for i := 0; i < len(k); i++ {
			c := m.classes[k[i]]
			n, ok := sp.child(s, c)
			if !ok {
				n = uint32(len(sp.kids))
				sp.kids = append(sp.kids, nil)
				sp.outs = append(sp.outs, nil)
				if s == 0 {
					sp.root[c] = n
				} else {
					sp.kids[s] = append(sp.kids[s], edge{c, n})
				}
			}
			s = n
		}
		sp.outs[s] = append(sp.outs[s], int32(pi))
	}
	// Breadth-first, as for the DFA: a state's failure state is shallower,
	// so its outputs are complete when the state inherits them.
	sp.fail = make([]uint32, len(sp.kids))
	queue := make([]uint32, 0, len(sp.kids))
	for _, n := range sp.root {
		if n != 0 {
			queue = append(queue, n)
		}
	}
	inherit := func(n uint32) {
		if f := sp.fail[n]; len(sp.outs[f]) > 0 {
			sp.outs[n] = append(sp.outs[n][:len(sp.outs[n]):len(sp.outs[n])], sp.outs[f]...)
		}
	}
	for qi := 0; qi < len(queue); qi++ {
		s := queue[qi]
		inherit(s)
		for _, e := range sp.kids[s] {
			sp.fail[e.to] = sp.step(sp.fail[s], e.class)
			queue = append(queue, e.to)
		}
	}
}

// scan reports occurrences as Scan does, in order of end offset.
func (sp *sparse) scan(m *Matcher, data []byte, fn func(pattern int, start int)) {
	s := uint32(0)
	for i := 0; i < len(data); i++ {
		s = sp.step(s, m.classes[data[i]])
		for _, p := range sp.outs[s] {
			fn(int(p), i+1-len(m.patterns[p]))
		}
	}
}
