package analyzers

import (
	"testing"

	"github.com/achilles-sec/achilles/detectors/verifiers"
)

// TestSaaSAnalyzersAreVerifierIDs: an analyzer is found by its provider's
// verifier id, so each id must be one a built-in verifier uses.
func TestSaaSAnalyzersAreVerifierIDs(t *testing.T) {
	vs, err := verifiers.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range saasAnalyzers() {
		if _, ok := vs[a.ID()]; !ok {
			t.Errorf("analyzer %s has no verifier of that id", a.ID())
		}
	}
	if _, err := Analyzers(); err != nil {
		t.Error(err)
	}
}
