package detectors

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// A view that remembers misses finds, in every version of a file, exactly
// what a plain engine finds: windows found empty in one version are skipped
// in the next, a window that matched is judged again each time, and one
// rule's empty window does not hide another rule's match in the same bytes.
func TestRememberingMissesFindsTheSame(t *testing.T) {
	cfg := load(t, `
[[rules]]
id = "kv-hex"
regex = '''kv[a-z_]{0,10}\s{0,3}=\s{0,3}"([a-f0-9]{32})"'''
keywords = ["kv"]

[[rules]]
id = "kv-word"
regex = '''kv[a-z_]{0,10}\s{0,3}=\s{0,3}"(zz[a-z]{8,})"'''
keywords = ["kv"]
`)
	plain := New(cfg)
	remembering := plain.RememberingMisses()
	var filler strings.Builder
	for i := range 200 {
		// Passes the checks (a quote, a run of 32 hex digits), not the regex:
		// "kv_name_3" is not "kv" and letters.
		fmt.Fprintf(&filler, "kv_name_%d = \"%032x\"\nline %d of text\n", i%7, i*7919, i)
	}
	hex := `kv_a = "0123456789abcdef0123456789abcdef"` + "\n"
	word := `kv_b = "zzabcdefghij"` + "\n"
	versions := []string{
		filler.String(),
		filler.String() + hex,
		filler.String(),
		"header\n" + filler.String() + hex + word,
		filler.String() + hex + " # achilles:allow\n",
		filler.String() + hex,
		word + filler.String(),
	}
	found := 0
	for round := range 2 {
		for i, v := range versions {
			want := plain.Scan([]byte(v))
			got := remembering.Scan([]byte(v))
			if !reflect.DeepEqual(got, want) {
				t.Errorf("round %d, version %d: remembering engine found %d matches, plain %d", round, i, len(got), len(want))
			}
			found += len(got)
		}
	}
	if found == 0 {
		t.Fatal("no version matched: the test proves nothing")
	}
	// The filler's empty windows were remembered.
	held := 0
	for i := range remembering.misses.slots {
		if remembering.misses.slots[i].Load() != 0 {
			held++
		}
	}
	if held == 0 {
		t.Error("no window was remembered as empty")
	}
}
