package ahocorasick

import (
	"fmt"
	"math/rand"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// copyTables is t with every slice copied, as a generated literal holds
// them: nothing shared with the matcher t came from.
func copyTables(t *Tables) *Tables {
	cp := *t
	cp.Patterns = slices.Clone(t.Patterns)
	cp.Root = slices.Clone(t.Root)
	cp.First = slices.Clone(t.First)
	cp.Edges = slices.Clone(t.Edges)
	cp.Fail = slices.Clone(t.Fail)
	cp.Own = slices.Clone(t.Own)
	cp.Dict = slices.Clone(t.Dict)
	cp.Same = slices.Clone(t.Same)
	return &cp
}

// A matcher made from another's Tables is the matcher New builds, field by
// field, before and after building its dense DFA.
func TestFromTablesIsNew(t *testing.T) {
	for _, keywords := range [][]string{
		{"she", "he", "a", "hers", "A", "e", "a", "ghp_", "GHP_", "h", "xoxb-", ""},
		{"", ""},
		nil,
	} {
		want := New(keywords)
		got := FromTables(copyTables(want.Tables()))
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: FromTables(New(k).Tables()) differs from New(k)", keywords)
		}
		want.tryDense()
		got.tryDense()
		if !reflect.DeepEqual(got.delta, want.delta) || !reflect.DeepEqual(got.outputs, want.outputs) || got.nstride != want.nstride {
			t.Fatalf("%q: the dense DFA of FromTables differs from New's", keywords)
		}
	}
}

// A matcher made from Tables finds what brute force finds, sparse and then
// dense, including keywords that straddle the quarters a large input is
// scanned in (which needs the longest keyword's length).
func TestFromTablesMatchesBruteForce(t *testing.T) {
	keywords := []string{"she", "he", "a", "hers", "A", "e", "a", "ghp_", "GHP_", "h", "xoxb-", "longkeyword"}
	m := FromTables(copyTables(New(keywords).Tables()))
	rng := rand.New(rand.NewSource(3))
	alphabet := []byte("sheraAgGhp_xob- ")
	for round := 0; round < 200; round++ {
		data := make([]byte, rng.Intn(200))
		for i := range data {
			data[i] = alphabet[rng.Intn(len(alphabet))]
		}
		sameAsNaive(t, m, keywords, data, fmt.Sprintf("round %d", round))
	}
	m.tryDense()
	// Four quarters of 1,000 bytes, each boundary inside "longkeyword".
	data := []byte(strings.Repeat(" ", 4000))
	for _, at := range []int{995, 1995, 2995} {
		copy(data[at:], "longkeyword")
	}
	sameAsNaive(t, m, keywords, data, "straddling")
	for i := range data {
		data[i] = alphabet[rng.Intn(len(alphabet))]
	}
	sameAsNaive(t, m, keywords, data, "dense")
}

func TestFromTablesNoKeywords(t *testing.T) {
	m := FromTables(New(nil).Tables())
	m.Scan([]byte("anything"), func(int, int) { t.Fatal("hit with no keywords") })
}
