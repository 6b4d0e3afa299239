package analyzers

import (
	"testing"

	"github.com/achilles-sec/achilles/rules"
)

// Every revoker's id is the verifier id the provider's rules name, or no
// finding would ever reach it.
func TestRevokerIDsAreVerifierIDs(t *testing.T) {
	rs, err := Revokers()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := rules.Default()
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	for _, r := range cfg.Rules {
		used[r.Verifier] = true
	}
	for id := range rs {
		if !used[id] {
			t.Errorf("revoker %s: no default rule has verifier = %q", id, id)
		}
	}
	if len(rs) < 6 {
		t.Errorf("%d revokers", len(rs))
	}
}
