package rules

import (
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
