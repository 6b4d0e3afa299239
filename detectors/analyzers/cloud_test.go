package analyzers

import "testing"

// TestCloudAnalyzersUseVerifierIDs: each cloud analyzer answers to the id
// its provider's rules name as verifier.
func TestCloudAnalyzersUseVerifierIDs(t *testing.T) {
	want := map[string]bool{"aws": true, "azure-storage": true, "cloudflare": true, "digitalocean": true, "gcp-service-account": true, "linode": true, "netlify": true}
	got := map[string]bool{}
	for _, a := range cloudAnalyzers() {
		got[a.ID()] = true
	}
	for id := range want {
		if !got[id] {
			t.Errorf("no cloud analyzer %s", id)
		}
	}
	if len(got) != len(want) {
		t.Errorf("cloud analyzers %v", got)
	}
	if _, err := Analyzers(); err != nil {
		t.Fatal(err)
	}
}
