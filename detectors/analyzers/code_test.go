package analyzers

import (
	"testing"

	"github.com/achilles-sec/achilles/detectors/verifiers"
)

// TestCodeAnalyzersAreVerifierIDs: an analyzer is looked up by its
// provider's verifier id, so each must name a built-in verifier.
func TestCodeAnalyzersAreVerifierIDs(t *testing.T) {
	vs, err := verifiers.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, a := range codeAnalyzers() {
		if seen[a.ID()] {
			t.Errorf("analyzer %s listed twice", a.ID())
		}
		seen[a.ID()] = true
		if _, ok := vs[a.ID()]; !ok {
			t.Errorf("analyzer %s has no verifier of that id", a.ID())
		}
	}
}
