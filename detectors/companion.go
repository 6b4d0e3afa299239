package detectors

import (
	"cmp"
	"math"
	"slices"
	"sort"

	"github.com/achilles-sec/achilles/rules"
)

// Composite rules keep a match only when a match of each required rule lies
// within so many lines and columns of it. Comparing every match with every
// candidate is quadratic, and one file can hold a million matches; the
// candidates of each rule are ordered once and searched instead:
//
//   - lines only: the candidates by line, a binary search for the first at
//     or after line-withinLines;
//   - columns only: the candidates' columns sorted, a binary search;
//   - both: the matches in line order slide a window of candidates over the
//     lines, and a Fenwick tree over the candidates' column ranks answers
//     whether one in the window lies in the column range.
//
// Each is O((matches + candidates) log candidates) per requirement.

// maxDistance caps a configured distance so that line±distance cannot
// overflow (a quarter of the int range, on 32-bit builds too); no buffer
// has that many lines or columns.
const maxDistance = math.MaxInt / 4

// companionSet is the matches of one rule, in line order, with what the
// searches need built on first use.
type companionSet struct {
	lines []int // line of each match, nondecreasing
	cols  []int // column of each match, in the same order
	// sortedCols holds the distinct columns in increasing order; rank[i] is
	// the index of cols[i] in it.
	sortedCols []int
	rank       []int32
}

func newCompanionSet(ms []Match, idx []int32) *companionSet {
	s := &companionSet{lines: make([]int, len(idx)), cols: make([]int, len(idx))}
	order := idx
	if !slices.IsSortedFunc(idx, func(a, b int32) int { return cmp.Compare(ms[a].Line, ms[b].Line) }) {
		order = slices.Clone(idx)
		slices.SortStableFunc(order, func(a, b int32) int { return cmp.Compare(ms[a].Line, ms[b].Line) })
	}
	for k, i := range order {
		s.lines[k], s.cols[k] = ms[i].Line, ms[i].Column
	}
	return s
}

// ranks builds sortedCols and rank.
func (s *companionSet) ranks() {
	if s.rank != nil || len(s.cols) == 0 {
		return
	}
	s.sortedCols = slices.Clone(s.cols)
	slices.Sort(s.sortedCols)
	s.sortedCols = slices.Compact(s.sortedCols)
	s.rank = make([]int32, len(s.cols))
	for k, c := range s.cols {
		r, _ := slices.BinarySearch(s.sortedCols, c)
		s.rank[k] = int32(r)
	}
}

// anyColumnWithin reports whether some match of the set has a column in
// [lo, hi].
func (s *companionSet) anyColumnWithin(lo, hi int) bool {
	s.ranks()
	r, _ := slices.BinarySearch(s.sortedCols, lo)
	return r < len(s.sortedCols) && s.sortedCols[r] <= hi
}

// applyComposites drops matches of rules whose required companions are not
// near (gitleaks composite rules). Matches of skipReport rules stay: they are
// companions (for composite rules and for verification) and the scanner
// leaves them out of reports. Lines must already be set; ms is in offset
// order, so in line order.
func applyComposites(ms []Match) []Match {
	needs := false
	for i := range ms {
		if len(ms[i].Rule.Required) > 0 {
			needs = true
			break
		}
	}
	if !needs {
		return ms
	}
	byID := map[string][]int32{}
	byRule := map[*rules.Rule][]int32{}
	var composites []*rules.Rule
	for i := range ms {
		r := ms[i].Rule
		byID[r.ID] = append(byID[r.ID], int32(i))
		if len(r.Required) > 0 {
			if _, seen := byRule[r]; !seen {
				composites = append(composites, r)
			}
			byRule[r] = append(byRule[r], int32(i))
		}
	}
	sets := map[string]*companionSet{}
	set := func(id string) *companionSet {
		s, ok := sets[id]
		if !ok {
			s = newCompanionSet(ms, byID[id])
			sets[id] = s
		}
		return s
	}
	drop := make([]bool, len(ms))
	for _, r := range composites {
		group := byRule[r]
		for _, req := range r.Required {
			markUnmet(ms, group, set(req.ID), req, drop)
		}
	}
	out := make([]Match, 0, len(ms))
	for i := range ms {
		if !drop[i] {
			out = append(out, ms[i])
		}
	}
	return out
}

// markUnmet sets drop[i] for each match ms[i] of group (one composite rule's
// matches) that no match of cands lies within req's distances of.
func markUnmet(ms []Match, group []int32, cands *companionSet, req rules.Required, drop []bool) {
	wl, wc := min(req.WithinLines, maxDistance), min(req.WithinColumns, maxDistance)
	n := len(cands.lines)
	switch {
	case n == 0:
		for _, i := range group {
			drop[i] = true
		}
	case wl < 0 && wc < 0:
		// Anywhere in the content will do.
	case wc < 0:
		for _, i := range group {
			l := ms[i].Line
			p := sort.SearchInts(cands.lines, l-wl)
			if p == n || cands.lines[p] > l+wl {
				drop[i] = true
			}
		}
	case wl < 0:
		for _, i := range group {
			c := ms[i].Column
			if !cands.anyColumnWithin(c-wc, c+wc) {
				drop[i] = true
			}
		}
	default:
		markUnmetWindow(ms, group, cands, wl, wc, drop)
	}
}

// markUnmetWindow is markUnmet with both distances bounded: the group's
// matches, taken in line order, slide a window over the candidates' lines,
// and a Fenwick tree counts the window's candidates by column rank.
func markUnmetWindow(ms []Match, group []int32, cands *companionSet, wl, wc int, drop []bool) {
	cands.ranks()
	order := group
	byLine := func(a, b int32) int { return cmp.Compare(ms[a].Line, ms[b].Line) }
	if !slices.IsSortedFunc(group, byLine) {
		order = slices.Clone(group)
		slices.SortStableFunc(order, byLine)
	}
	tree := make(fenwick, len(cands.sortedCols)+1)
	lo, hi := 0, 0
	for _, i := range order {
		l, c := ms[i].Line, ms[i].Column
		for hi < len(cands.lines) && cands.lines[hi] <= l+wl {
			tree.add(int(cands.rank[hi]), 1)
			hi++
		}
		for lo < hi && cands.lines[lo] < l-wl {
			tree.add(int(cands.rank[lo]), -1)
			lo++
		}
		a, _ := slices.BinarySearch(cands.sortedCols, c-wc)
		b, found := slices.BinarySearch(cands.sortedCols, c+wc)
		if found {
			b++
		}
		if a >= b || tree.sum(b)-tree.sum(a) == 0 {
			drop[i] = true
		}
	}
}

// fenwick is a binary indexed tree of counts over ranks 0..len-2.
type fenwick []int32

func (f fenwick) add(rank int, d int32) {
	for k := rank + 1; k < len(f); k += k & -k {
		f[k] += d
	}
}

// sum is the count over ranks [0, n).
func (f fenwick) sum(n int) int32 {
	var s int32
	for k := n; k > 0; k -= k & -k {
		s += f[k]
	}
	return s
}
