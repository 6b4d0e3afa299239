package ahocorasick

import (
	"cmp"
	"slices"
	"sort"
)

// Pattern is the index of the hit's keyword.
func (h Hit) Pattern() int { return int(h.pattern) }

// Start is the offset of the hit's first byte.
func (h Hit) Start() int { return int(h.start) }

// Copy says that data[Dst:Dst+Len] of a buffer holds the same bytes as
// base[Src:Src+Len] of the buffer it was built from: a copy instruction
// of a git delta.
type Copy struct{ Dst, Src, Len int }

func byStart(a, b Hit) int {
	if c := cmp.Compare(a.start, b.start); c != 0 {
		return c
	}
	return cmp.Compare(a.pattern, b.pattern)
}

// Hits appends to out[:0] every hit Scan reports in data, ordered by start
// (then keyword), the order HitsFrom needs of a base's hits.
func (m *Matcher) Hits(data []byte, out []Hit) []Hit {
	out = out[:0]
	m.Scan(data, func(p, start int) { out = append(out, Hit{int32(p), int32(start)}) })
	if !slices.IsSortedFunc(out, byStart) {
		slices.SortFunc(out, byStart)
	}
	return out
}

// HitsFrom returns what Hits(data, out) returns, for a buffer built from a
// base whose hits are base (as Hits gives them), the bytes of each copy
// (in order of Dst, not overlapping) being the base's. Whether a keyword
// is reported at a place depends only on its own bytes and the one byte
// either side, so a hit that lies with both neighbours inside one copy is
// the base's hit moved; the automaton runs only near the rest of data:
// what no copy covers, where one copy meets the next, and the ends of the
// buffer.
func (m *Matcher) HitsFrom(data []byte, base []Hit, copies []Copy, out []Hit) []Hit {
	out = out[:0]
	if !m.anyOut {
		return out
	}
	n := len(data)
	// inside reports whether the bytes start-1 .. start+klen of data lie in
	// one copy.
	inside := func(start, klen int) bool {
		i := sort.Search(len(copies), func(i int) bool { return copies[i].Dst+copies[i].Len > start-1 })
		return start > 0 && i < len(copies) && copies[i].Dst <= start-1 && start+klen < copies[i].Dst+copies[i].Len
	}
	// The base's hits inside each copy, moved.
	for _, c := range copies {
		from := sort.Search(len(base), func(i int) bool { return int(base[i].start) > c.Src })
		for _, h := range base[from:] {
			s := int(h.start)
			if s+1 >= c.Src+c.Len {
				break
			}
			if s+len(m.patterns[h.pattern]) < c.Src+c.Len {
				out = append(out, Hit{h.pattern, int32(s - c.Src + c.Dst)})
			}
		}
	}
	moved := len(out)
	// The ranges to scan: every byte no copy covers and every place where
	// one copy ends, each with reach bytes either side, so that a hit
	// holding such a byte lies, with its neighbours, in one range.
	reach := m.maxLen + 2
	var ranges [][2]int
	add := func(lo, hi int) {
		lo, hi = max(0, lo-reach), min(n, hi+reach)
		if k := len(ranges) - 1; k >= 0 && lo <= ranges[k][1] {
			ranges[k][1] = max(ranges[k][1], hi)
			return
		}
		ranges = append(ranges, [2]int{lo, hi})
	}
	at := 0
	for _, c := range copies {
		add(at, c.Dst) // the bytes before the copy (none: its first byte)
		at = c.Dst + c.Len
		add(at-1, at)
	}
	add(at, n)
	for _, r := range ranges {
		lo, hi := r[0], r[1]
		first := len(out)
		m.Scan(data[lo:hi], func(p, start int) {
			s, e := lo+start, lo+start+len(m.patterns[p])
			// Judged with both neighbours in sight, or at an end of data.
			if (s == 0 || s-1 >= lo) && (e == n || e < hi) && !inside(s, e-s) {
				out = append(out, Hit{int32(p), int32(s)})
			}
		})
		if got := out[first:]; !slices.IsSortedFunc(got, byStart) {
			slices.SortFunc(got, byStart)
		}
	}
	if moved == 0 || moved == len(out) {
		return out
	}
	// Merge the moved hits and the scanned ones, both in order.
	merged := make([]Hit, 0, len(out))
	a, b := out[:moved], out[moved:]
	for len(a) > 0 && len(b) > 0 {
		if byStart(a[0], b[0]) <= 0 {
			merged = append(merged, a[0])
			a = a[1:]
		} else {
			merged = append(merged, b[0])
			b = b[1:]
		}
	}
	merged = append(merged, a...)
	return append(merged, b...)
}
