package detectors

import (
	"fmt"
	"math"
	"math/rand"
	"slices"
	"strings"
	"testing"

	"github.com/achilles-sec/achilles/rules"
)

// compositesBrute is the definition applyComposites must keep: a match of a
// composite rule stays when, for each requirement, some match of the
// required rule lies within its lines and columns.
func compositesBrute(ms []Match) []Match {
	var out []Match
	for _, m := range ms {
		ok := true
		for _, req := range m.Rule.Required {
			found := false
			for _, c := range ms {
				if c.Rule.ID != req.ID {
					continue
				}
				if req.WithinLines >= 0 && abs(c.Line-m.Line) > req.WithinLines {
					continue
				}
				if req.WithinColumns >= 0 && abs(c.Column-m.Column) > req.WithinColumns {
					continue
				}
				found = true
				break
			}
			if !found {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, m)
		}
	}
	return out
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// randomMatches returns n matches of the given rules in offset order (so in
// line order, as Scan produces them), on few lines and columns so that
// distances collide often.
func randomMatches(rng *rand.Rand, rs []*rules.Rule, n, lines, cols int) []Match {
	ms := make([]Match, n)
	for i := range ms {
		ms[i] = Match{Rule: rs[rng.Intn(len(rs))], Line: 1 + rng.Intn(lines), Column: 1 + rng.Intn(cols)}
	}
	slices.SortStableFunc(ms, func(a, b Match) int {
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		return a.Column - b.Column
	})
	for i := range ms {
		ms[i].Start = i
		ms[i].Secret = fmt.Sprint(i)
	}
	return ms
}

func TestCompositesMatchBruteForce(t *testing.T) {
	rng := rand.New(rand.NewSource(9))
	distances := []int{-1, 0, 1, 2, 5, math.MaxInt}
	for iter := 0; iter < 3000; iter++ {
		ids := []string{"a", "b", "c", "d"}
		rs := make([]*rules.Rule, len(ids))
		for k, id := range ids {
			rs[k] = &rules.Rule{ID: id}
		}
		// Up to three composite rules with one or two requirements each,
		// naming any rule (themselves and absent ones included).
		for k := 0; k < 1+rng.Intn(3); k++ {
			r := rs[rng.Intn(len(rs))]
			for q := 0; q < 1+rng.Intn(2); q++ {
				r.Required = append(r.Required, rules.Required{
					ID:            append(ids, "absent")[rng.Intn(len(ids)+1)],
					WithinLines:   distances[rng.Intn(len(distances))],
					WithinColumns: distances[rng.Intn(len(distances))],
				})
			}
		}
		ms := randomMatches(rng, rs, rng.Intn(40), 1+rng.Intn(20), 1+rng.Intn(12))
		want := compositesBrute(ms)
		got := applyComposites(slices.Clone(ms))
		if !sameMatches(got, want) {
			t.Fatalf("iteration %d: applyComposites kept %s, brute force %s (rules %s)", iter, starts(got), starts(want), describeRules(rs))
		}
	}
}

func sameMatches(a, b []Match) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Start != b[i].Start || a[i].Rule != b[i].Rule {
			return false
		}
	}
	return true
}

func starts(ms []Match) string {
	var b strings.Builder
	for _, m := range ms {
		fmt.Fprintf(&b, "%s@%d:%d ", m.Rule.ID, m.Line, m.Column)
	}
	return b.String()
}

func describeRules(rs []*rules.Rule) string {
	var b strings.Builder
	for _, r := range rs {
		for _, q := range r.Required {
			fmt.Fprintf(&b, "%s needs %s within %d lines %d columns; ", r.ID, q.ID, q.WithinLines, q.WithinColumns)
		}
	}
	return b.String()
}

// TestCompositesScale checks that 50,000 matches of a composite rule with
// 50,000 candidates cost about n log n steps, not the n² (2.5 billion)
// comparisons of the pairwise check it replaced.
func TestCompositesScale(t *testing.T) {
	for _, req := range []rules.Required{
		{ID: "part", WithinLines: 2, WithinColumns: -1},
		{ID: "part", WithinLines: -1, WithinColumns: 3},
		{ID: "part", WithinLines: 2, WithinColumns: 3},
	} {
		main := &rules.Rule{ID: "main", Required: []rules.Required{req}}
		part := &rules.Rule{ID: "part"}
		const n = 50_000
		ms := make([]Match, 0, 2*n)
		for i := 0; i < n; i++ {
			line := 1 + 10*i
			ms = append(ms, Match{Rule: main, Start: 2 * i, Line: line, Column: 1})
			if i%2 == 0 {
				ms = append(ms, Match{Rule: part, Start: 2*i + 1, Line: line, Column: 3})
			} else {
				ms = append(ms, Match{Rule: part, Start: 2*i + 1, Line: line + 5, Column: 100})
			}
		}
		got := applyComposites(ms)
		mains := 0
		for _, m := range got {
			if m.Rule == main {
				mains++
			}
		}
		// Odd lines' parts are 5 lines and 99 columns off; any line will
		// do for a column-only requirement, and column 3 is near column 1.
		want := n / 2
		if req.WithinLines < 0 {
			want = n
		}
		if mains != want {
			t.Errorf("%+v: kept %d of %d composite matches, want %d", req, mains, n, want)
		}
	}
}
