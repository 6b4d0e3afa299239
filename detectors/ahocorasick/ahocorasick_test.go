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

func TestMatchesBruteForce(t *testing.T) {
	keywords := []string{"he", "she", "his", "hers", "AKIA", "akia", "ghp_", "xoxb-", "a", "aa"}
	m := New(keywords)
	rng := rand.New(rand.NewSource(1))
	alphabet := []byte("heHErsiAKIakghp_xob-. ")
	for round := 0; round < 200; round++ {
		data := make([]byte, rng.Intn(300))
		for i := range data {
			data[i] = alphabet[rng.Intn(len(alphabet))]
		}
		sameAsNaive(t, m, keywords, data, fmt.Sprintf("round %d", round))
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
	m := New(keywords)
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
	}
}

func BenchmarkScanSingleStream(b *testing.B) {
	keywords := []string{"akia", "ghp_", "xoxb-", "password", "secret", "token", "api_key", "sk_live_", "-----begin"}
	data := bytes.Repeat([]byte("func main() { fmt.Println(\"hello world\") // some ordinary code here\n"), 16<<10)
	m := New(keywords)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.scanPart(data, 0, 0, len(data), len(data), func(int, int) {})
	}
}
