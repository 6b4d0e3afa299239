package analyzers

import (
	"testing"

	"github.com/achilles-sec/achilles/detectors/verifiers"
)

// Every AI and data analyzer is named by a verifier of the catalogue, so
// the rule → verifier → analyzer lookup and [verify.endpoints] reach it.
func TestAIAnalyzersHaveVerifiers(t *testing.T) {
	vs, err := verifiers.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, a := range aiAnalyzers() {
		if _, ok := vs[a.ID()]; !ok {
			t.Errorf("analyzer %s has no verifier of that id", a.ID())
		}
		if seen[a.ID()] {
			t.Errorf("analyzer %s listed twice", a.ID())
		}
		seen[a.ID()] = true
	}
}
