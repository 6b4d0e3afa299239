package analyzers

import "testing"

// TestMoreCloudAnalyzersUseVerifierIDs: each analyzer of the family answers
// to the id its provider's rules name as verifier.
func TestMoreCloudAnalyzersUseVerifierIDs(t *testing.T) {
	want := map[string]bool{"doppler": true, "fly": true, "heroku": true, "render": true, "supabase": true, "vercel": true}
	got := map[string]bool{}
	for _, a := range moreCloudAnalyzers() {
		got[a.ID()] = true
	}
	for id := range want {
		if !got[id] {
			t.Errorf("no analyzer %s", id)
		}
	}
	if len(got) != len(want) {
		t.Errorf("analyzers %v", got)
	}
	if _, err := Analyzers(); err != nil {
		t.Fatal(err)
	}
}
