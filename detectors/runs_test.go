package detectors

import (
	"fmt"
	"math/rand"
	"testing"
)

// hasRunBrute is hasRun by counting every byte.
func hasRunBrute(w []byte, class *[256]bool, min int) bool {
	n := 0
	for _, c := range w {
		if !class[c] {
			n = 0
			continue
		}
		if n++; n >= min {
			return true
		}
	}
	return false
}

// hasRun answers as counting every byte does, for runs of every length
// at every place, windows of every length and classes sparse and dense.
func TestHasRunMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	var hex [256]bool
	for _, c := range []byte("0123456789ABCDEF") {
		hex[c] = true
	}
	alphabet := []byte("0123456789ABCDEFabcdefxyz-_ \n")
	for round := 0; round < 20000; round++ {
		w := make([]byte, rng.Intn(120))
		// Mostly class bytes in some rounds, mostly others in the rest.
		dense := rng.Intn(3)
		for i := range w {
			switch {
			case dense == 0:
				w[i] = alphabet[rng.Intn(len(alphabet))]
			case dense == 1 && rng.Intn(10) > 0:
				w[i] = alphabet[rng.Intn(16)]
			default:
				w[i] = alphabet[16+rng.Intn(len(alphabet)-16)]
			}
		}
		// Plant a run of a random length at a random place.
		if len(w) > 0 && rng.Intn(2) == 0 {
			at, n := rng.Intn(len(w)), rng.Intn(40)
			for i := at; i < len(w) && i < at+n; i++ {
				w[i] = alphabet[rng.Intn(16)]
			}
		}
		min := rng.Intn(45)
		if got, want := hasRun(w, &hex, min), hasRunBrute(w, &hex, min); got != want {
			t.Fatalf("round %d: hasRun(%q, %d) = %v, want %v", round, w, min, got, want)
		}
	}
	// Runs exactly min long at every offset of a window.
	for min := 1; min <= 24; min++ {
		for n := 0; n <= 3*min; n++ {
			for at := 0; at+min <= n; at++ {
				for _, l := range []int{min - 1, min} {
					w := make([]byte, n)
					for i := range w {
						w[i] = 'x'
					}
					for i := at; i < at+l && i < n; i++ {
						w[i] = 'A'
					}
					if got, want := hasRun(w, &hex, min), hasRunBrute(w, &hex, min); got != want {
						t.Fatal(fmt.Sprintf("min %d, run of %d at %d in %d bytes: %v, want %v", min, l, at, n, got, want))
					}
				}
			}
		}
	}
}
