package analyzers

import (
	"testing"

	"github.com/achilles-sec/achilles/detectors/verifiers"
)

// TestMoreSaasAnalyzersAreVerifierIDs: an analyzer is found by its
// provider's verifier id, so each id must be one a built-in verifier uses.
func TestMoreSaasAnalyzersAreVerifierIDs(t *testing.T) {
	vs, err := verifiers.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range moreSaasAnalyzers() {
		if _, ok := vs[a.ID()]; !ok {
			t.Errorf("analyzer %s has no verifier of that id", a.ID())
		}
	}
	all, err := Analyzers()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range moreSaasAnalyzers() {
		if all[a.ID()] == nil {
			t.Errorf("analyzer %s is not in Analyzers()", a.ID())
		}
	}
}
