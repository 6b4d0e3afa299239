package ahocorasick

import (
	"bytes"
	"fmt"
	"math/rand"
	"sort"
	"testing"
)

type hit struct{ p, start int }

// naive finds every occurrence by brute force, ignoring ASCII case.
func naive(keywords []string, data []byte) []hit {
	var out []hit
	low := bytes.ToLower(data)
	for p, k := range keywords {
		k := []byte(lower(k))
		for i := 0; i+len(k) <= len(low); i++ {
			if bytes.Equal(low[i:i+len(k)], k) {
				out = append(out, hit{p, i})
			}
		}
	}
	return out
}

func sorted(h []hit) []hit {
	sort.Slice(h, func(i, j int) bool {
		if h[i].start != h[j].start {
			return h[i].start < h[j].start
		}
		return h[i].p < h[j].p
	})
	return h
}

// sameAsNaive fails the test unless the matcher reports exactly the
// occurrences brute force finds.
func sameAsNaive(t *testing.T, m *Matcher, keywords []string, data []byte, label string) {
	t.Helper()
	var got []hit
	m.Scan(data, func(p, start int) { got = append(got, hit{p, start}) })
	want := naive(keywords, data)
	got, want = sorted(got), sorted(want)
	if len(got) != len(want) {
		t.Fatalf("%s: %d hits, want %d", label, len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("%s: hit %d = %v, want %v", label, i, got[i], want[i])
		}
	}
}

// denseNow is a matcher that has built its dense DFA.
func denseNow(keywords []string) *Matcher {
	m := New(keywords)
	m.tryDense()
	return m
}

func TestMatchesBruteForce(t *testing.T) {
	keywords := []string{"he", "she", "his", "hers", "AKIA", "akia", "ghp_", "xoxb-", "a", "aa"}
	m, d := New(keywords), denseNow(keywords)
	rng := rand.New(rand.NewSource(1))
	alphabet := []byte("heHErsiAKIakghp_xob-. ")
	for round := 0; round < 200; round++ {
		data := make([]byte, rng.Intn(300))
		for i := range data {
			data[i] = alphabet[rng.Intn(len(alphabet))]
		}
		sameAsNaive(t, m, keywords, data, fmt.Sprintf("round %d", round))
		sameAsNaive(t, d, keywords, data, fmt.Sprintf("round %d (dense)", round))
	}
}

// A matcher switches to the dense DFA on a large input and once its
// inputs add up, with the same answers before and after.
func TestSwitchesToDense(t *testing.T) {
	keywords := []string{"akia", "secret"}
	m := New(keywords)
	small := bytes.Repeat([]byte("x akia y secret "), 64)
	sameAsNaive(t, m, keywords, small, "small")
	if m.dense.Load() {
		t.Fatal("a small scan built the DFA")
	}
	for total := 0; total < denseTotal; total += len(small) {
		m.Scan(small, func(int, int) {})
	}
	sameAsNaive(t, m, keywords, small, "after the total")
	if !m.dense.Load() {
		t.Fatal("scans adding up did not build the DFA")
	}
	big := New(keywords)
	data := bytes.Repeat(small, denseScan/len(small)+1)
	sameAsNaive(t, big, keywords, data, "large")
	if !big.dense.Load() {
		t.Fatal("a large scan did not build the DFA")
	}
	// A scan that finds another building the DFA does not wait for it: it
	// runs the sparse automaton, with the same answers.
	waiting := New(keywords)
	waiting.building.Store(true)
	sameAsNaive(t, waiting, keywords, data, "large, while another scan builds the DFA")
	if waiting.dense.Load() {
		t.Fatal("a scan built the DFA while another was building it")
	}
}

func TestNoKeywords(t *testing.T) {
	m := New(nil)
	m.Scan([]byte("anything"), func(int, int) { t.Fatal("hit with no keywords") })
}

func BenchmarkScan(b *testing.B) {
	keywords := []string{"akia", "ghp_", "xoxb-", "password", "secret", "token", "api_key", "sk_live_", "-----begin"}
	data := bytes.Repeat([]byte("func main() { fmt.Println(\"hello world\") // some ordinary code here\n"), 16<<10)
	m := New(keywords)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.Scan(data, func(int, int) {})
	}
}

func TestLargeInputMatchesBruteForce(t *testing.T) {
	keywords := []string{"akia", "ghp_", "xoxb-", "password", "a", "secret-key"}
	m, d := New(keywords), denseNow(keywords)
	rng := rand.New(rand.NewSource(2))
	alphabet := []byte("akiAKIghp_xob-passwordsecrt-y \n")
	for _, n := range []int{1 << 10, 1<<10 + 1, 1<<10 + 3, 16<<10 + 3, 70001} {
		data := make([]byte, n)
		for i := range data {
			data[i] = alphabet[rng.Intn(len(alphabet))]
		}
		// Put keywords right across the part boundaries.
		for k := 1; k < 4; k++ {
			copy(data[k*(n/4)-4:], "secret-key")
		}
		sameAsNaive(t, m, keywords, data, fmt.Sprintf("n=%d", n))
		sameAsNaive(t, d, keywords, data, fmt.Sprintf("n=%d (dense)", n))
	}
}

func BenchmarkScanSingleStream(b *testing.B) {
	keywords := []string{"akia", "ghp_", "xoxb-", "password", "secret", "token", "api_key", "sk_live_", "-----begin"}
	data := bytes.Repeat([]byte("func main() { fmt.Println(\"hello world\") // some ordinary code here\n"), 16<<10)
	m := denseNow(keywords)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.scanPart(data, 0, 0, len(data), len(data), func(int, int) {})
	}
}

// The sparse trie and the dense DFA report the same hits in the same
// order, repeated keywords (equal once lower-cased) each in turn.
func TestSparseReportsAsDense(t *testing.T) {
	keywords := []string{"she", "he", "a", "hers", "A", "e", "a", "ghp_", "GHP_", "h"}
	m, d := New(keywords), denseNow(keywords)
	rng := rand.New(rand.NewSource(2))
	alphabet := []byte("sheraAgGhp_ ")
	for round := 0; round < 200; round++ {
		data := make([]byte, rng.Intn(200))
		for i := range data {
			data[i] = alphabet[rng.Intn(len(alphabet))]
		}
		var sp, dn []hit
		m.Scan(data, func(p, start int) { sp = append(sp, hit{p, start}) })
		d.Scan(data, func(p, start int) { dn = append(dn, hit{p, start}) })
		if m.dense.Load() {
			t.Fatal("a small scan built the DFA")
		}
		if fmt.Sprint(sp) != fmt.Sprint(dn) {
			t.Fatalf("round %d on %q: sparse %v, dense %v", round, data, sp, dn)
		}
		sameAsNaive(t, m, keywords, data, fmt.Sprintf("round %d", round))
	}
}

// Many keywords sharing prefixes: the dense DFA's states are renumbered
// breadth-first in long permutation cycles, and it still reports what
// brute force finds, on small and on large (four-part) inputs.
func TestManyKeywordsMatchBruteForce(t *testing.T) {
	rng := rand.New(rand.NewSource(4))
	alphabet := []byte("abcdeABCDE_-")
	var keywords []string
	for i := 0; i < 400; i++ {
		k := make([]byte, 1+rng.Intn(7))
		for j := range k {
			k[j] = alphabet[rng.Intn(len(alphabet))]
		}
		keywords = append(keywords, string(k))
	}
	d := denseNow(keywords)
	for _, n := range []int{0, 1, 100, 1 << 10, 5000} {
		data := make([]byte, n)
		for i := range data {
			data[i] = alphabet[rng.Intn(len(alphabet))]
		}
		sameAsNaive(t, d, keywords, data, fmt.Sprintf("n=%d", n))
	}
}

// With neighbours set, the sparse and dense automata (one stream and four)
// report exactly the brute-force hits whose neighbours fit.
func TestNeighboursDropHitsThatDoNotFit(t *testing.T) {
	keywords := []string{"-", "key", "ab"}
	var hex [256]bool
	for _, c := range []byte("0123456789ABCDEF") {
		hex[c] = true
	}
	var space [256]bool
	space[' '] = true
	n := []*Neighbours{{Before: &hex, After: &hex}, nil, {After: &space}}
	fits := func(h hit, data []byte) bool {
		nb := n[h.p]
		if nb == nil {
			return true
		}
		end := h.start + len(keywords[h.p])
		if nb.Before != nil && h.start > 0 && !nb.Before[data[h.start-1]] {
			return false
		}
		return nb.After == nil || end >= len(data) || nb.After[data[end]]
	}
	rng := rand.New(rand.NewSource(3))
	alphabet := []byte("0A9F-z- keyab")
	for _, size := range []int{1, 2, 50, 1 << 10, 70001} {
		data := make([]byte, size)
		for i := range data {
			data[i] = alphabet[rng.Intn(len(alphabet))]
		}
		var want []hit
		for _, h := range naive(keywords, data) {
			if fits(h, data) {
				want = append(want, h)
			}
		}
		want = sorted(want)
		// Neighbours set before the dense DFA is built make "-" a side
		// keyword (sparse and dense); set after, it stays in the DFA.
		sideSparse, sideDense, inDFA := New(keywords), New(keywords), denseNow(keywords)
		sideSparse.SetNeighbours(n)
		sideDense.SetNeighbours(n)
		sideDense.tryDense()
		inDFA.SetNeighbours(n)
		if len(sideDense.side) != 1 || len(inDFA.side) != 0 {
			t.Fatalf("side keywords: %v with neighbours set first, %v after", sideDense.side, inDFA.side)
		}
		for _, m := range []*Matcher{sideSparse, sideDense, inDFA} {
			var got []hit
			m.Scan(data, func(p, start int) { got = append(got, hit{p, start}) })
			got = sorted(got)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("size %d (dense %v): %d hits, want %d", size, m.dense.Load(), len(got), len(want))
			}
		}
		if size == 70001 && len(want) == 0 {
			t.Fatal("no hit fits: the test checks nothing")
		}
	}
}
