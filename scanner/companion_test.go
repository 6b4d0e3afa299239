package scanner

import (
	"context"
	"fmt"
	"maps"
	"math/rand"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/achilles-sec/achilles/detectors"
	"github.com/achilles-sec/achilles/rules"
	"github.com/achilles-sec/achilles/scanner/finding"
)

// relatedBrute is the definition related keeps: for every other rule, the
// secret of its match nearest by line, the first in ms of equally near ones.
func relatedBrute(ms []detectors.Match, i int) map[string]string {
	if len(ms) < 2 {
		return nil
	}
	best := map[string]int{}
	out := map[string]string{}
	for j := range ms {
		id := ms[j].Rule.ID
		if j == i || id == ms[i].Rule.ID {
			continue
		}
		d := ms[j].Line - ms[i].Line
		if d < 0 {
			d = -d
		}
		if old, ok := best[id]; !ok || d < old {
			best[id] = d
			out[id] = ms[j].Secret
		}
	}
	if len(out) == 0 {
		return nil
	}
	// A rule that matched several different secrets is named ambiguous.
	var ambiguous []string
	for _, j := range ms {
		id := j.Rule.ID
		if id == ms[i].Rule.ID || slices.Contains(ambiguous, id) {
			continue
		}
		for _, k := range ms {
			if k.Rule.ID == id && k.Secret != j.Secret {
				ambiguous = append(ambiguous, id)
				break
			}
		}
	}
	if len(ambiguous) > 0 {
		slices.Sort(ambiguous)
		out[finding.AmbiguousKey] = strings.Join(ambiguous, ",")
	}
	return out
}

func TestRelatedMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewSource(9))
	rs := []*rules.Rule{{ID: "a"}, {ID: "b"}, {ID: "c"}, {ID: "d"}}
	for iter := 0; iter < 3000; iter++ {
		n := rng.Intn(30)
		nrules := 1 + rng.Intn(len(rs))
		lines := 1 + rng.Intn(15)
		ms := make([]detectors.Match, n)
		for i := range ms {
			ms[i] = detectors.Match{Rule: rs[rng.Intn(nrules)], Line: 1 + rng.Intn(lines), Secret: fmt.Sprint("s", i)}
		}
		// Sources hand over matches in offset order (so in line order);
		// one in four inputs is shuffled to check the answer does not
		// depend on it.
		if rng.Intn(4) > 0 {
			slices.SortStableFunc(ms, func(a, b detectors.Match) int { return a.Line - b.Line })
		}
		near := newNearest(ms)
		for i := range ms {
			got, want := near.related(i), relatedBrute(ms, i)
			if a := got[finding.AmbiguousKey]; a != "" {
				list := strings.Split(a, ",")
				slices.Sort(list)
				got = maps.Clone(got)
				got[finding.AmbiguousKey] = strings.Join(list, ",")
			}
			if !maps.Equal(got, want) || (got == nil) != (want == nil) {
				t.Fatalf("iteration %d, match %d (rule %s, line %d): related %v, brute force %v", iter, i, ms[i].Rule.ID, ms[i].Line, got, want)
			}
		}
	}
}

// TestRelatedScale gives 200,000 key ids and a secret key every 50,000
// lines: each key id's companion is the nearest secret key, and equal
// answers share one map (the pairwise version compared 4·10¹⁰ pairs here
// and held 200,000 maps).
func TestRelatedScale(t *testing.T) {
	id, key := &rules.Rule{ID: "key-id"}, &rules.Rule{ID: "secret-key"}
	const n = 200_000
	var ms []detectors.Match
	for i := 0; i < n; i++ {
		ms = append(ms, detectors.Match{Rule: id, Line: i + 1, Secret: fmt.Sprint("AKIA", i)})
		if i%50_000 == 25_000 {
			ms = append(ms, detectors.Match{Rule: key, Line: i + 1, Secret: fmt.Sprint("secret", i)})
		}
	}
	near := newNearest(ms)
	distinct := map[string]bool{}
	for i := range ms {
		r := near.related(i)
		if ms[i].Rule == key {
			continue
		}
		// The secret keys sit on lines 25,001, 75,001, ...; of two as near,
		// the earlier one.
		best, want := -1, ""
		for _, at := range []int{25_001, 75_001, 125_001, 175_001} {
			if d := max(at-ms[i].Line, ms[i].Line-at); best < 0 || d < best {
				best, want = d, fmt.Sprint("secret", at-1)
			}
		}
		if r["secret-key"] != want {
			t.Fatalf("key id on line %d: companion %q, want %q", ms[i].Line, r["secret-key"], want)
		}
		distinct[fmt.Sprintf("%p", r)] = true
	}
	if len(distinct) != 4 {
		t.Errorf("%d distinct companion maps for 4 distinct answers", len(distinct))
	}
}

// TestInlineAllowedCounted scans a file through the directory source with
// the engine counting: the matches inline markers suppressed are counted
// in Stats and named in the summary; the unmarked one is a finding.
func TestInlineAllowedCounted(t *testing.T) {
	dir := t.TempDir()
	content := strings.Join([]string{
		"a = AKIAQ3RZTV7WXK2MPLDH # achilles:allow",
		"b = AKIAJ5NBV6CXZQ4TRWME # gitleaks:allow",
		"c = AKIAP2LKD7HGFS3QWEZX",
		"",
	}, "\n")
	path := filepath.Join(dir, "conf.py")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := rules.Default()
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{Engine: detectors.New(cfg)}
	var c counters
	opts.countInline(&c)
	buf := make([]byte, 0, 64<<10)
	fs, err := scanBlob(context.Background(), opts, &c, fileBlob(path), &buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 1 || fs[0].Line != 3 {
		t.Fatalf("findings %+v, want the unmarked key id on line 3", fs)
	}
	var s Stats
	c.fill(&s)
	if s.InlineAllowed != 2 {
		t.Errorf("InlineAllowed = %d, want 2", s.InlineAllowed)
	}
	if sum := s.Summary(len(fs)); !strings.Contains(sum, "; 2 allowed inline") {
		t.Errorf("summary %q does not say 2 allowed inline", sum)
	}
	if sum := (Stats{What: "x"}).Summary(0); strings.Contains(sum, "allowed inline") {
		t.Errorf("summary %q mentions inline allows when there were none", sum)
	}
	// Without countInline nothing is counted and scanning is the same.
	var c2 counters
	plain := Options{Engine: detectors.New(cfg)}
	if fs2, err := scanBlob(context.Background(), plain, &c2, fileBlob(path), &buf); err != nil || len(fs2) != 1 {
		t.Fatalf("uncounted scan: %v, %d findings", err, len(fs2))
	}
	if n := c2.inline.Load(); n != 0 {
		t.Errorf("an engine not counting added %d", n)
	}
}

// TestRuleNamedLikeTheReservedKey: a rule whose id is the reserved key
// never puts its secret under it.
func TestRuleNamedLikeTheReservedKey(t *testing.T) {
	a, odd := &rules.Rule{ID: "a"}, &rules.Rule{ID: finding.AmbiguousKey}
	near := newNearest([]detectors.Match{{Rule: a, Line: 1, Secret: "s1"}, {Rule: odd, Line: 2, Secret: "hunter2-secret"}, {Rule: odd, Line: 3, Secret: "other-secret"}})
	if got := near.related(0); got[finding.AmbiguousKey] != "" {
		t.Fatalf("related %q", got)
	}
}
