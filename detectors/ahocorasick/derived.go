package ahocorasick

import (
	"bytes"
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
	ranges := Seams(copies, n, func(lo, hi int) (int, int) { return max(0, lo-reach), min(n, hi+reach) })
	first := len(out)
	m.scanRanges(data, ranges, func(r, p, s int) {
		lo, hi, e := ranges[r][0], ranges[r][1], s+len(m.patterns[p])
		// Judged with both neighbours in sight, or at an end of data.
		if (s == 0 || s-1 >= lo) && (e == n || e < hi) && !inside(s, e-s) {
			out = append(out, Hit{int32(p), int32(s)})
		}
	})
	if got := out[first:]; !slices.IsSortedFunc(got, byStart) {
		slices.SortFunc(got, byStart)
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

// Seams returns the parts of a buffer of n bytes built with copies (in
// order of Dst, not overlapping) that a scan from its base must look at
// again: each run of bytes no copy covers and the two bytes where one copy
// ends, each grown by widen, merged where they overlap, in order.
func Seams(copies []Copy, n int, widen func(lo, hi int) (int, int)) [][2]int {
	ranges := make([][2]int, 0, 2*len(copies)+1)
	add := func(lo, hi int) {
		lo, hi = widen(lo, hi)
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
	return ranges
}

// scanRanges reports the hits Scan finds in each data[lo:hi] of ranges
// (disjoint, in order), with starts in data and the range's index, in no
// particular order. Each range starts the automaton afresh, and its
// neighbour checks look at data, past the range's ends. The ranges a
// delta leaves to scan are short (on etcd, 715,000 of them average 225
// bytes), and one alone waits on each table load before the next: four
// are stepped together, each lane taking the next range when its own
// ends, so that their loads overlap (on etcd, HitsFrom takes 0.65 s of
// CPU where one range at a time took 0.9 s).
func (m *Matcher) scanRanges(data []byte, ranges [][2]int, fn func(r, pattern, start int)) {
	if len(ranges) == 0 {
		return
	}
	if !m.dense.Load() {
		// Until the dense automaton is built, as Scan does.
		for r, rg := range ranges {
			lo := rg[0]
			m.Scan(data[lo:rg[1]], func(p, start int) {
				// Judged again by the neighbours past the range's ends.
				if s := lo + start; m.fits(int32(p), data, s, s+len(m.patterns[p])) {
					fn(r, p, s)
				}
			})
		}
		return
	}
	report := func(r int, s uint32, i int) {
		if r < 0 {
			return // an idle lane, stepping another's bytes
		}
		for _, p := range m.outputs[s/m.nstride] {
			if start := i + 1 - len(m.patterns[p]); m.fits(p, data, start, i+1) {
				fn(r, int(p), start)
			}
		}
	}
	// A lane scans data[at:end] of range r from state st; r < 0: idle.
	type lane struct {
		st      uint32
		at, end int
		r       int
	}
	var ln [4]lane
	next := 0
	take := func(l *lane) {
		if next < len(ranges) {
			*l = lane{0, ranges[next][0], ranges[next][1], next}
			next++
		} else {
			*l = lane{r: -1}
		}
	}
	for k := range ln {
		take(&ln[k])
	}
	for ln[0].r >= 0 {
		// The busy lanes come first; the idle ones step the first lane's
		// bytes and report nothing, which costs less than a loop of its
		// own for the last ranges.
		steps := ln[0].end - ln[0].at
		for k := 1; k < len(ln); k++ {
			if ln[k].r < 0 {
				ln[k] = lane{r: -1, at: ln[0].at, end: ln[0].end}
			} else {
				steps = min(steps, ln[k].end-ln[k].at)
			}
		}
		d0, d1, d2, d3 := data[ln[0].at:][:steps], data[ln[1].at:][:steps], data[ln[2].at:][:steps], data[ln[3].at:][:steps]
		st := m.step4(d0, d1, d2, d3, [4]uint32{ln[0].st, ln[1].st, ln[2].st, ln[3].st}, func(k int, s uint32, i int) {
			report(ln[k].r, s, ln[k].at+i)
		})
		ln[0].st, ln[1].st, ln[2].st, ln[3].st = st[0], st[1], st[2], st[3]
		// Lanes at their range's end take the next; busy ones move first.
		busy := 0
		for k := range ln {
			if ln[k].r < 0 {
				continue
			}
			ln[k].at += steps
			if ln[k].at == ln[k].end {
				take(&ln[k])
			}
			if ln[k].r >= 0 {
				ln[busy] = ln[k]
				busy++
			}
		}
		for k := busy; k < len(ln); k++ {
			ln[k] = lane{r: -1}
		}
	}
	// The side keywords, judged by their neighbours in data.
	for _, p := range m.side {
		c := m.patterns[p][0]
		for r, rg := range ranges {
			for at := rg[0]; at < rg[1]; at++ {
				i := bytes.IndexByte(data[at:rg[1]], c)
				if i < 0 {
					break
				}
				at += i
				if m.fits(p, data, at, at+1) {
					fn(r, int(p), at)
				}
			}
		}
	}
}
