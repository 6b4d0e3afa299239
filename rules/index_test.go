package rules

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/achilles-sec/achilles/detectors/ahocorasick"
)

// The built-in catalogue's index is the static generatedIndex and equals
// what NewIndex builds of the same rules at run time, automaton included
// (TestGeneratedCatalogue checks the same through the generated text).
func TestGeneratedIndex(t *testing.T) {
	cfg, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	got := cfg.Index()
	if got != &generatedIndex {
		t.Fatal("Default().Index() is not the generated index")
	}
	want := NewIndex(cfg.Rules)
	if !reflect.DeepEqual(got, want) {
		t.Fatal("the generated index differs from NewIndex of the built-in rules: run `go test ./rules -run TestGeneratedCatalogue -update`")
	}
	if !reflect.DeepEqual(ahocorasick.FromTables(got.Keywords), ahocorasick.New(want.Keywords.Patterns)) {
		t.Fatal("the generated keyword automaton differs from ahocorasick.New of its keywords")
	}
}

// A rule set that is not Default's own list, even one made of its rules,
// gets an index built from its rules as they are.
func TestIndexOfOtherRules(t *testing.T) {
	cfg, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	some := &Config{Rules: cfg.Rules[1:3], builtin: true}
	ix := some.Index()
	if ix == &generatedIndex || len(ix.Rules) != 2 || ix.Rules[0] != cfg.Rules[1] || ix.Rules[1] != cfg.Rules[2] {
		t.Fatalf("index of two built-in rules: %d rules", len(ix.Rules))
	}
	n := 0
	for _, rs := range ix.KeywordRules {
		n += len(rs)
	}
	if n != len(cfg.Rules[1].Keywords)+len(cfg.Rules[2].Keywords) {
		t.Fatalf("%d (keyword, rule) pairs, want those of the two rules", n)
	}
	user := &Config{Rules: []*Rule{
		{ID: "a", Pattern: "x", Keywords: []string{"k1", "k2"}},
		{ID: "b", Pattern: "y"},
		{ID: "p"}, // path-only: not indexed
		{ID: "c", Pattern: "z", Keywords: []string{"k2"}},
	}}
	ix = user.Index()
	if len(ix.Rules) != 3 || !reflect.DeepEqual(ix.Always, []int32{1}) ||
		!reflect.DeepEqual(ix.KeywordRules, [][]int32{{0}, {0, 2}}) ||
		!reflect.DeepEqual(ix.Keywords.Patterns, []string{"k1", "k2"}) {
		t.Fatalf("index of a user's rules: %+v", ix)
	}
}

// A keyword's neighbours take in the boundary of each owner's Lead as well
// as its Around: a hit inside a run of the keyword's own letters can start
// no match of a rule whose matches start at a boundary, so the automaton
// drops it; a second owner that allows anything before the hit opens the
// set again.
func TestKeywordNeighboursTakeTheLead(t *testing.T) {
	lead := &Rule{ID: "lead", Pattern: `(?:^|[^A-Za-z0-9_\-])(AAAAAA[A-Za-z0-9%]{20,40})(?:[^A-Za-z0-9_\-]|$)`, Keywords: []string{"aaaaaa"}}
	c := lead.Checks()
	if c == nil || c.Lead == nil || c.Lead.Before == nil || c.around("aaaaaa") != nil {
		t.Fatalf("want a Lead with a boundary and no Around, got %+v", c)
	}
	ix := NewIndex([]*Rule{lead})
	n := ix.KeywordNeighbours[0]
	if n == nil || n.Before == nil || n.After != nil {
		t.Fatalf("want the Lead's boundary before the keyword and nothing after, got %+v", n)
	}
	for _, b := range []byte("aA0_-") {
		if n.Before[b] {
			t.Errorf("%q before the keyword is allowed; no match can start after it", b)
		}
	}
	for _, b := range []byte(" \"'=:\n") {
		if !n.Before[b] {
			t.Errorf("%q before the keyword is refused; a match can start after it", b)
		}
	}
	m := ahocorasick.FromTables(ix.Keywords)
	m.SetNeighbours(ix.KeywordNeighbours)
	token := "AAAAAA" + "bRa9QpzX4LmKt2VwYc8dE"
	data := []byte("_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa x=" + token + " -aaaaaaaa")
	var starts []int
	m.Scan(data, func(_, start int) { starts = append(starts, start) })
	if want := []int{bytes.Index(data, []byte(token))}; !reflect.DeepEqual(starts, want) {
		t.Errorf("hits at %v, want only the token's start %v", starts, want)
	}
	if lead.Plan().Regex.FindIndex(data) == nil {
		t.Error("the token does not match the rule")
	}

	open := &Rule{ID: "open", Pattern: `(?i)aaaaaa[0-9]{4}`, Keywords: []string{"aaaaaa"}}
	if n := NewIndex([]*Rule{lead, open}).KeywordNeighbours[0]; n != nil {
		t.Errorf("an owner with no boundary: want no neighbours, got %+v", n)
	}
}
