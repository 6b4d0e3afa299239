package ahocorasick

// Tables is a Matcher's sparse automaton (the trie with failure links) as
// plain values. A keyword set known ahead, the built-in catalogue's, is
// generated into its package as a Tables literal, so that loading it
// builds and allocates nothing: FromTables uses the slices in place, and a
// scan reads only the pages of them it reaches.
type Tables struct {
	// Patterns are the keywords, lower-cased, in the order New was given.
	Patterns []string
	// MaxLen is the length of the longest keyword.
	MaxLen int
	// Classes maps a byte to its class; NClass counts the classes.
	Classes [256]uint8
	NClass  int
	Root    []uint32
	First   []uint32
	Edges   []Edge
	Fail    []uint32
	Own     []int32
	Dict    []uint32
	Same    []int32
}

// Tables returns the matcher's sparse automaton. The slices are the
// matcher's own: neither may change them.
func (m *Matcher) Tables() *Tables {
	sp := &m.sparse
	return &Tables{
		Patterns: m.patterns, MaxLen: m.maxLen, Classes: m.classes, NClass: m.nclass,
		Root: sp.root, First: sp.first, Edges: sp.edges, Fail: sp.fail,
		Own: sp.own, Dict: sp.dict, Same: sp.same,
	}
}

// FromTables returns the matcher whose automaton t holds, as Tables gave
// it for some keywords: it then matches as New of those keywords does,
// and builds its dense DFA from the same patterns when a scan calls for
// it. It shares t's slices, which must not change afterwards.
func FromTables(t *Tables) *Matcher {
	m := &Matcher{
		classes: t.Classes, nclass: t.NClass, patterns: t.Patterns, maxLen: t.MaxLen,
		sparse: sparse{root: t.Root, first: t.First, edges: t.Edges, fail: t.Fail, own: t.Own, dict: t.Dict, same: t.Same},
	}
	for _, k := range t.Patterns {
		if k != "" {
			m.anyOut = true
			break
		}
	}
	return m
}
