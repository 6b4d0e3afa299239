package decode

import (
	"cmp"
	"slices"
	"sort"

	"github.com/achilles-sec/achilles/detectors/ahocorasick"
)

// Runs are the base64 and hex segments Find found in a buffer, each with
// the alphabet run it came from, kept for the buffers built from it
// (FindFrom).
type Runs struct {
	segs []Segment
	runs [][2]int // the run of segs[i]
}

// Size is what the runs hold in memory, in bytes.
func (r *Runs) Size() int {
	if r == nil {
		return 0
	}
	n := 16 * cap(r.runs)
	for _, s := range r.segs {
		n += 56 + cap(s.Data)
	}
	return n
}

// Copy says that bytes [Dst, Dst+Len) of a buffer are bytes [Src,
// Src+Len) of the buffer it was built from.
type Copy = ahocorasick.Copy

// FindKeep is Find, also returning the runs for FindFrom.
func FindKeep(data []byte) ([]Segment, *Runs) {
	keep := &Runs{}
	out := findRuns(data, nil, &keep.runs)
	keep.segs = slices.Clip(out)
	out = findPercent(data, out)
	out = findEscapes(data, out)
	return out, keep
}

// FindFrom returns what FindKeep(data) returns, for a buffer built from
// one whose runs base holds, the bytes of each copy (in order of Dst, not
// overlapping) being the base's. What an alphabet run yields depends only
// on its bytes and on the byte before it and the two after it; a run that
// lies with those inside one copy yields what it yielded in the base, and
// only the runs near what no copy covers are looked at again. Percent and
// escape runs are found over all of data, as Find does.
func FindFrom(data []byte, base *Runs, copies []Copy) ([]Segment, *Runs) {
	n := len(data)
	keep := &Runs{}
	// covered reports whether the run [lo, hi) of data, with the byte
	// before it and the two after it, lies in one copy.
	covered := func(lo, hi int) bool {
		i := sort.Search(len(copies), func(i int) bool { return copies[i].Dst+copies[i].Len > lo-1 })
		return lo > 0 && i < len(copies) && copies[i].Dst <= lo-1 && hi+2 <= copies[i].Dst+copies[i].Len
	}
	// The base's segments whose run a copy covers, moved.
	for _, c := range copies {
		from := sort.Search(len(base.runs), func(i int) bool { return base.runs[i][0] > c.Src })
		for i := from; i < len(base.runs); i++ {
			r := base.runs[i]
			if r[0] >= c.Src+c.Len {
				break
			}
			if r[1]+2 > c.Src+c.Len {
				continue
			}
			d := c.Dst - c.Src
			s := base.segs[i]
			s.Start += d
			s.End += d
			keep.segs = append(keep.segs, s)
			keep.runs = append(keep.runs, [2]int{r[0] + d, r[1] + d})
		}
	}
	moved := len(keep.segs)
	// The places a run may not be the base's: every byte no copy covers
	// and the two bytes where one copy meets the next, widened to the
	// alphabet runs through them.
	spans := ahocorasick.Seams(copies, n, func(lo, hi int) (int, int) {
		lo, hi = max(0, lo-2), min(n, hi+2)
		for lo > 0 && inB64[data[lo-1]] != 0 {
			lo--
		}
		for hi < n && inB64[data[hi]] != 0 {
			hi++
		}
		return lo, hi
	})
	for _, sp := range spans {
		keep.segs = findRunsIn(data, sp[0], sp[1], keep.segs, &keep.runs, covered)
	}
	if moved > 0 && moved < len(keep.segs) {
		// Both lists are in order of place, and their runs are disjoint.
		idx := make([]int, len(keep.segs))
		for i := range idx {
			idx[i] = i
		}
		slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(keep.segs[a].Start, keep.segs[b].Start) })
		segs := make([]Segment, len(idx))
		runs := make([][2]int, len(idx))
		for i, j := range idx {
			segs[i], runs[i] = keep.segs[j], keep.runs[j]
		}
		keep.segs, keep.runs = segs, runs
	}
	out := append([]Segment(nil), keep.segs...)
	out = findPercent(data, out)
	out = findEscapes(data, out)
	return out, keep
}
