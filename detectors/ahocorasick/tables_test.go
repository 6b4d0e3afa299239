package ahocorasick

import (
	"fmt"
	"math/rand"
	"testing"
)

// A matcher made from another's Tables (copied, as a generated literal
// would hold them) finds what brute force finds, sparse and then dense.
func TestFromTablesMatchesBruteForce(t *testing.T) {
	keywords := []string{"she", "he", "a", "hers", "A", "e", "a", "ghp_", "GHP_", "h", "xoxb-"}
	tb := New(keywords).Tables()
	cp := *tb
	cp.Patterns = append([]string(nil), tb.Patterns...)
	cp.Root = append([]uint32(nil), tb.Root...)
	cp.First = append([]uint32(nil), tb.First...)
	cp.Edges = append([]Edge(nil), tb.Edges...)
	cp.Fail = append([]uint32(nil), tb.Fail...)
	cp.Own = append([]int32(nil), tb.Own...)
	cp.Dict = append([]uint32(nil), tb.Dict...)
	cp.Same = append([]int32(nil), tb.Same...)
	m := FromTables(&cp)
	if fmt.Sprint(m.Tables()) != fmt.Sprint(tb) {
		t.Fatal("FromTables(t).Tables() differs from t")
	}
	rng := rand.New(rand.NewSource(3))
	alphabet := []byte("sheraAgGhp_xob- ")
	for round := 0; round < 200; round++ {
		data := make([]byte, rng.Intn(200))
		for i := range data {
			data[i] = alphabet[rng.Intn(len(alphabet))]
		}
		sameAsNaive(t, m, keywords, data, fmt.Sprintf("round %d", round))
	}
	m.denseOnce.Do(m.buildDense)
	big := make([]byte, 5000)
	for i := range big {
		big[i] = alphabet[rng.Intn(len(alphabet))]
	}
	sameAsNaive(t, m, keywords, big, "dense")
}

func TestFromTablesNoKeywords(t *testing.T) {
	m := FromTables(New(nil).Tables())
	m.Scan([]byte("anything"), func(int, int) { t.Fatal("hit with no keywords") })
}
