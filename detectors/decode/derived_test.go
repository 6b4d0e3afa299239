package decode

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/rand"
	"reflect"
	"testing"
)

// FindFrom, given the runs of the buffer a new one was built from, finds
// in it exactly what Find finds: over chains of buffers each copying
// pieces of the one before (anywhere, in any order, cut anywhere, even
// inside a base64 string or next to its padding) and adding new text.
func TestFindFromEqualsFind(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	words := []string{"token = ", "\n", " ", "==", "=", "%", "\\", "-", "_", "/", "+", "0x", "path/to/file_name", "SomeIdentifierName"}
	piece := func() string {
		text := fmt.Sprintf("user:%d secret-%x, a line of text", rng.Intn(1e6), rng.Int63())
		switch rng.Intn(7) {
		case 0:
			return base64.StdEncoding.EncodeToString([]byte(text))
		case 1:
			return base64.RawURLEncoding.EncodeToString([]byte(text + "?>"))
		case 2:
			return hex.EncodeToString([]byte(text))
		case 3:
			return "%41%42" + text[:10] + "%2F"
		case 4:
			return `\x41\u0042` + text[:8]
		default:
			return words[rng.Intn(len(words))]
		}
	}
	fill := func(b []byte, n int) []byte {
		for end := len(b) + n; len(b) < end; {
			b = append(b, piece()...)
		}
		return b
	}
	moved, found := 0, 0
	for round := 0; round < 200; round++ {
		data := fill(nil, []int{0, 10, 300, 3000, 20000}[round%5])
		want := Find(data)
		segs, runs := FindKeep(data)
		if !reflect.DeepEqual(segs, want) {
			t.Fatalf("round %d: FindKeep finds %d segments, Find %d", round, len(segs), len(want))
		}
		if got, _ := FindFrom(data, &Runs{}, nil); !reflect.DeepEqual(got, want) {
			t.Fatalf("round %d: FindFrom without copies finds %d segments, Find %d", round, len(got), len(want))
		}
		for gen := 0; gen < 4; gen++ {
			var next []byte
			var copies []Copy
			segs := Find(data)
			for len(next) < len(data)+100 {
				if len(data) > 0 && rng.Intn(4) > 0 {
					src := rng.Intn(len(data))
					n := 1 + rng.Intn(min(len(data)-src, 1+rng.Intn(2000)))
					if len(segs) > 0 && rng.Intn(2) == 0 {
						// Cut within two bytes of a segment's end or start,
						// where its padding and neighbours are.
						s := segs[rng.Intn(len(segs))]
						lo, hi := s.Start-rng.Intn(3)-rng.Intn(2)*rng.Intn(200), s.End+rng.Intn(5)-2
						if rng.Intn(2) == 0 {
							lo, hi = s.Start+rng.Intn(5)-2, s.End+rng.Intn(2)*rng.Intn(200)
						}
						src, hi = max(0, lo), min(len(data), hi)
						if hi <= src {
							continue
						}
						n = hi - src
					}
					copies = append(copies, Copy{Dst: len(next), Src: src, Len: n})
					next = append(next, data[src:src+n]...)
					continue
				}
				next = fill(next, 1+rng.Intn(80))
			}
			want := Find(next)
			got, nextRuns := FindFrom(next, runs, copies)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("round %d, generation %d: %d segments from the base's runs, %d finding them all", round, gen, len(got), len(want))
			}
			for _, s := range nextRuns.segs {
				for _, c := range copies {
					if c.Dst < s.Start && s.End < c.Dst+c.Len {
						moved++
						break
					}
				}
			}
			found += len(want)
			data, runs = next, nextRuns
		}
	}
	if found == 0 || moved == 0 {
		t.Fatalf("%d segments, %d inside copies: the test compares nothing", found, moved)
	}
	t.Logf("%d segments, %d inside copies", found, moved)
}
