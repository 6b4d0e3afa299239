package scanner

import (
	"cmp"
	"encoding/binary"
	"slices"
	"sort"

	"github.com/achilles-sec/achilles/detectors"
)

// nearest answers, for each match of one content, which match of every
// other rule is nearest to it by line (Finding.Related). Comparing every
// finding with every match is quadratic, and one file can hold a million
// matches; here the matches of each rule are put in line order once and
// each question is a binary search per rule, O(n log n) in all.
//
// Neighbouring findings mostly have the same nearest companions (a file of
// key ids and one secret key), so equal answers share one map: a million
// findings need not hold a million maps.
type nearest struct {
	ms []detectors.Match
	// rule[i] is the index in ids of ms[i]'s rule id.
	rule []int32
	ids  []string
	// order[k] holds the indices of the matches of ids[k] by line, then by
	// index; lines[k] their lines.
	order [][]int32
	lines [][]int
	// answers interns the maps handed out, keyed by the asking rule and the
	// chosen match of each other rule.
	answers map[string]map[string]string
	key     []byte
}

func newNearest(ms []detectors.Match) *nearest {
	n := &nearest{ms: ms, rule: make([]int32, len(ms))}
	index := map[string]int32{}
	for i := range ms {
		id := ms[i].Rule.ID
		k, ok := index[id]
		if !ok {
			k = int32(len(n.ids))
			index[id] = k
			n.ids = append(n.ids, id)
			n.order = append(n.order, nil)
		}
		n.rule[i] = k
		n.order[k] = append(n.order[k], int32(i))
	}
	if len(n.ids) < 2 {
		return n
	}
	n.lines = make([][]int, len(n.ids))
	byLine := func(a, b int32) int { return cmp.Compare(ms[a].Line, ms[b].Line) }
	for k, idx := range n.order {
		// Matches come in offset order, so already in line order; a
		// stable sort keeps the first of equal lines first otherwise.
		if !slices.IsSortedFunc(idx, byLine) {
			slices.SortStableFunc(idx, byLine)
		}
		ls := make([]int, len(idx))
		for p, i := range idx {
			ls[p] = ms[i].Line
		}
		n.lines[k] = ls
	}
	n.answers = map[string]map[string]string{}
	return n
}

// related gives, for every other rule matched in the same content, the
// secret of its match nearest to ms[i] by line (of equally near ones the
// first in ms), or nil when no other rule matched: the companion parts a
// verifier may need, such as an AWS key id next to its secret key. The maps
// it returns are shared between findings and must not be modified.
func (n *nearest) related(i int) map[string]string {
	if len(n.ids) < 2 {
		return nil
	}
	own := n.rule[i]
	line := n.ms[i].Line
	n.key = binary.AppendUvarint(n.key[:0], uint64(own))
	for k := range n.ids {
		if int32(k) == own {
			continue
		}
		n.key = binary.AppendUvarint(n.key, uint64(n.closest(k, line)))
	}
	if m, ok := n.answers[string(n.key)]; ok {
		return m
	}
	m := make(map[string]string, len(n.ids)-1)
	for k, id := range n.ids {
		if int32(k) != own {
			m[id] = n.ms[n.closest(k, line)].Secret
		}
	}
	n.answers[string(n.key)] = m
	return m
}

// closest returns the index in ms of the match of rule k whose line is
// nearest to line, the first in ms of equally near ones.
func (n *nearest) closest(k, line int) int32 {
	ls, idx := n.lines[k], n.order[k]
	p := sort.SearchInts(ls, line) // the first at or after line
	if p == 0 {
		return idx[0]
	}
	// The first match on the nearest line before.
	q := sort.SearchInts(ls[:p], ls[p-1])
	if p == len(ls) {
		return idx[q]
	}
	before, after := line-ls[p-1], ls[p]-line
	switch {
	case before < after:
		return idx[q]
	case after < before:
		return idx[p]
	}
	return min(idx[q], idx[p])
}
