package scanner

import (
	"cmp"
	"encoding/binary"
	"math"
	"slices"
	"strings"

	"github.com/achilles-sec/achilles/detectors"
	"github.com/achilles-sec/achilles/scanner/finding"
)

// nearest answers, for each match of one content, which match of every
// other rule is nearest to it by line (Finding.Related). Comparing every
// finding with every match is quadratic, and one file can hold a million
// matches; here the matches of each rule are put in line order once and
// each question is a binary search per rule, O(n log n) in all.
//
// It keeps of each match only its rule, line and secret (a few dozen bytes,
// not a whole detectors.Match), so a streamed file can hand over its
// windows' matches as they come and drop them: matches are numbered in the
// order they are added.
//
// Neighbouring findings mostly have the same nearest companions (a file of
// key ids and one secret key), so equal answers share one map: a million
// findings need not hold a million maps.
type nearest struct {
	// rule[i], line[i] and secret(i) are those of match i; rule is the
	// index in ids of its rule id. The secrets are copied into one arena
	// (secret i ends at ends[i]): a match's secret is part of its line's
	// string, which would otherwise stay pinned, a million times.
	// Lines past 2^31 count as that line.
	rule  []int32
	line  []int32
	arena []byte
	ends  []int
	ids   []string
	index map[string]int32
	// order[k] holds the indices of the matches of ids[k] by line, then by
	// index; lines[k] their lines. sort makes them, each of its size.
	order  [][]int32
	lines  [][]int32
	sorted bool
	// answers interns the maps handed out, keyed by the asking rule and the
	// chosen match of each other rule.
	answers map[string]map[string]string
	key     []byte
	// several[k] says rule k matched more than one different secret.
	several []bool
}

func newNearest(ms []detectors.Match) *nearest {
	n := &nearest{}
	n.grow(len(ms))
	for i := range ms {
		n.add(ms[i].Rule.ID, ms[i].Line, ms[i].Secret)
	}
	return n
}

// grow makes room for k more matches.
func (n *nearest) grow(k int) {
	n.rule = slices.Grow(n.rule, k)
	n.line = slices.Grow(n.line, k)
	n.ends = slices.Grow(n.ends, k)
	if len(n.ends) > 0 { // room for as many secrets as long as those so far
		n.arena = slices.Grow(n.arena, k*len(n.arena)/len(n.ends))
	}
}

// add records the next match.
func (n *nearest) add(id string, line int, secret string) {
	if n.index == nil {
		n.index = map[string]int32{}
	}
	k, ok := n.index[id]
	if !ok {
		k = int32(len(n.ids))
		n.index[id] = k
		n.ids = append(n.ids, id)
	}
	n.rule = append(n.rule, k)
	n.line = append(n.line, int32(min(line, math.MaxInt32)))
	n.arena = append(n.arena, secret...)
	n.ends = append(n.ends, len(n.arena))
	n.sorted = false
}

// secretBytes is the secret of match i, in the arena.
func (n *nearest) secretBytes(i int) []byte {
	start := 0
	if i > 0 {
		start = n.ends[i-1]
	}
	return n.arena[start:n.ends[i]]
}

// sort puts each rule's matches in line order (a stable sort keeps the
// first of equal lines first). Sources add matches in offset order, so
// already in line order, and this is mostly a check.
func (n *nearest) sort() {
	if n.sorted {
		return
	}
	n.sorted = true
	n.several = make([]bool, len(n.ids))
	count := make([]int, len(n.ids))
	for _, k := range n.rule {
		count[k]++
	}
	n.order, n.lines = make([][]int32, len(n.ids)), make([][]int32, len(n.ids))
	for k, c := range count {
		n.order[k], n.lines[k] = make([]int32, 0, c), make([]int32, 0, c)
	}
	for i, k := range n.rule {
		n.order[k] = append(n.order[k], int32(i))
		n.lines[k] = append(n.lines[k], n.line[i])
	}
	for k, idx := range n.order {
		for _, i := range idx[1:] {
			if string(n.secretBytes(int(i))) != string(n.secretBytes(int(idx[0]))) {
				n.several[k] = true
				break
			}
		}
		if slices.IsSorted(n.lines[k]) {
			continue
		}
		slices.SortStableFunc(idx, func(a, b int32) int { return cmp.Compare(n.line[a], n.line[b]) })
		for p, i := range idx {
			n.lines[k][p] = n.line[i]
		}
	}
}

// related gives, for every other rule matched in the same content, the
// secret of its match nearest to match i by line (of equally near ones the
// first added), or nil when no other rule matched: the companion parts a
// verifier may need, such as an AWS key id next to its secret key; under
// finding.AmbiguousKey, the rules that matched several different secrets.
// The maps it returns are shared between findings and must not be
// modified.
func (n *nearest) related(i int) map[string]string {
	if len(n.ids) < 2 {
		return nil
	}
	n.sort()
	if n.answers == nil {
		n.answers = map[string]map[string]string{}
	}
	own := n.rule[i]
	line := n.line[i]
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
	m := make(map[string]string, len(n.ids))
	var ambiguous []string
	for k, id := range n.ids {
		// A rule may not be named like the reserved key (a configuration
		// could call one "\x00ambiguous"): its secret would pass for rule
		// ids and escape redaction.
		if int32(k) != own && id != finding.AmbiguousKey {
			m[id] = string(n.secretBytes(int(n.closest(k, line))))
			if n.several[k] {
				ambiguous = append(ambiguous, id)
			}
		}
	}
	if len(ambiguous) > 0 {
		m[finding.AmbiguousKey] = strings.Join(ambiguous, ",")
	}
	n.answers[string(n.key)] = m
	return m
}

// closest returns the index of the match of rule k whose line is nearest
// to line, the first added of equally near ones.
func (n *nearest) closest(k int, line int32) int32 {
	ls, idx := n.lines[k], n.order[k]
	p, _ := slices.BinarySearch(ls, line) // the first at or after line
	if p == 0 {
		return idx[0]
	}
	// The first match on the nearest line before.
	q, _ := slices.BinarySearch(ls[:p], ls[p-1])
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
