package ahocorasick

import (
	"fmt"
	"math/rand"
	"testing"
)

// derive builds a new buffer from base as a git delta does: a run of
// copies of base ranges (anywhere in base, in any order) and inserts of
// new bytes, returning the buffer and its copies.
func derive(rng *rand.Rand, base []byte, fill func([]byte, int) []byte, size int) ([]byte, []Copy) {
	var out []byte
	var copies []Copy
	for len(out) < size {
		if len(base) > 0 && rng.Intn(3) > 0 {
			src := rng.Intn(len(base))
			n := 1 + rng.Intn(min(len(base)-src, 1+rng.Intn(400)))
			copies = append(copies, Copy{Dst: len(out), Src: src, Len: n})
			out = append(out, base[src:src+n]...)
			continue
		}
		out = fill(out, 1+rng.Intn(30))
	}
	return out, copies
}

func TestHitsFromEqualsHits(t *testing.T) {
	keywords := []string{"-", "key", "ab", "abc", "bca", "token_", "k", "eyab"}
	var hex [256]bool
	for _, c := range []byte("0123456789ABCDEF") {
		hex[c] = true
	}
	var space [256]bool
	space[' '] = true
	n := []*Neighbours{{Before: &hex, After: &hex}, nil, {After: &space}, nil, {Before: &space}, nil, {Before: &hex}, nil}
	rng := rand.New(rand.NewSource(7))
	alphabet := []byte("0A9F-z- keyabcTOKEN_Kb")
	// fill appends n random bytes, many of them whole keywords.
	fill := func(b []byte, n int) []byte {
		for end := len(b) + n; len(b) < end; {
			if rng.Intn(4) == 0 {
				b = append(b, keywords[rng.Intn(len(keywords))]...)
			} else {
				b = append(b, alphabet[rng.Intn(len(alphabet))])
			}
		}
		return b
	}
	for _, dense := range []bool{false, true} {
		m := New(keywords)
		m.SetNeighbours(n)
		if dense {
			m.tryDense()
		}
		moved, total := 0, 0
		for round := 0; round < 300; round++ {
			size := []int{0, 1, 5, 200, 3000, 20000}[round%6]
			base := fill(nil, size)
			baseHits := m.Hits(base, nil)
			// A chain of derived buffers, each from the one before.
			for gen := 0; gen < 3; gen++ {
				data, copies := derive(rng, base, fill, rng.Intn(2*size+50))
				want := m.Hits(data, nil)
				got := m.HitsFrom(data, baseHits, copies, nil)
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Fatalf("dense %v, round %d, generation %d: %d hits from the base, %d scanning all of it", dense, round, gen, len(got), len(want))
				}
				for _, c := range copies {
					moved += c.Len
				}
				total += len(data)
				base, baseHits = data, got
			}
		}
		if moved < total/2 {
			t.Fatalf("copies cover %d of %d bytes: the test hardly moves any hit", moved, total)
		}
	}
}

// scanRanges finds in each range what a scan of the whole buffer finds
// wholly inside it, whatever the number and lengths of the ranges (empty
// ones, one at the buffer's end, more than its four lanes).
func TestScanRangesEqualsScan(t *testing.T) {
	keywords := []string{"-", "key", "ab", "abc", "token_", "k", "eyab"}
	var hex [256]bool
	for _, c := range []byte("0123456789ABCDEF") {
		hex[c] = true
	}
	for _, dense := range []bool{false, true} {
		m := New(keywords)
		m.SetNeighbours([]*Neighbours{{Before: &hex, After: &hex}, nil, nil, nil, nil, nil, nil})
		if dense {
			m.tryDense()
		}
		scanRangesEqualsScan(t, m, keywords)
	}
}

func scanRangesEqualsScan(t *testing.T, m *Matcher, keywords []string) {
	rng := rand.New(rand.NewSource(3))
	alphabet := []byte("0A9F-z- keyabcTOKEN_Kb")
	checked := 0
	for round := 0; round < 500; round++ {
		data := make([]byte, rng.Intn(3000))
		for i := range data {
			data[i] = alphabet[rng.Intn(len(alphabet))]
		}
		var ranges [][2]int
		for at := 0; at < len(data); {
			lo := at + rng.Intn(40)
			hi := min(len(data), lo+rng.Intn(1+rng.Intn(300)))
			if lo > hi {
				break
			}
			ranges = append(ranges, [2]int{lo, hi})
			at = hi + rng.Intn(3)
		}
		want := map[[3]int]bool{}
		m.Scan(data, func(p, start int) {
			for r, rg := range ranges {
				if rg[0] <= start && start+len(keywords[p]) <= rg[1] {
					want[[3]int{r, p, start}] = true
				}
			}
		})
		got := map[[3]int]bool{}
		m.scanRanges(data, ranges, func(r, p, start int) {
			k := [3]int{r, p, start}
			if got[k] {
				t.Fatalf("round %d: hit %v reported twice", round, k)
			}
			got[k] = true
		})
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("round %d, %d ranges: %d hits, want %d", round, len(ranges), len(got), len(want))
		}
		checked += len(want)
	}
	if checked == 0 {
		t.Fatal("no hit in any range: the test compares nothing")
	}
}
