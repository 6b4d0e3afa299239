package detectors

import (
	"bytes"
	"fmt"
	"math/rand"
	"reflect"
	"testing"
)

// editLines makes the next version of a text file as a commit would, line
// by line (some kept, some changed at their end or whole, dropped or
// added), and returns it with
// the copies a delta against the old version holds: each run of kept lines.
func editLines(rng *rand.Rand, old []byte, newLine func() []byte) ([]byte, []Copy) {
	var out []byte
	var copies []Copy
	keep := func(src, n int) {
		if k := len(copies) - 1; k >= 0 && copies[k].Src+copies[k].Len == src && copies[k].Dst+copies[k].Len == len(out) {
			copies[k].Len += n
		} else {
			copies = append(copies, Copy{Dst: len(out), Src: src, Len: n})
		}
		out = append(out, old[src:src+n]...)
	}
	for at := 0; at < len(old); {
		end := bytes.IndexByte(old[at:], '\n')
		if end < 0 {
			end = len(old)
		} else {
			end += at + 1
		}
		switch rng.Intn(10) {
		case 0: // changed
			out = append(out, newLine()...)
		case 1: // dropped
		case 2: // a line added before it
			out = append(out, newLine()...)
			keep(at, end-at)
		case 3: // its end changed
			keep(at, rng.Intn(end-at))
			out = append(out, newLine()...)
		default:
			keep(at, end-at)
		}
		at = end
	}
	if rng.Intn(3) == 0 {
		out = append(out, newLine()...)
	}
	return out, copies
}

// ScanFrom, given the hits it kept for a file's previous version, finds in
// each version exactly what Scan finds: hits a rule's Lead turns down
// ("Path" for "pat", matched without case by the automaton) are not kept
// for the next version, those of a rule whose Lead is longer than its
// keyword ("key_live_" for "key") all are.
func TestScanFromEqualsScan(t *testing.T) {
	cfg := load(t, `
[[rules]]
id = "dashed-key"
regex = '''\b[A-F0-9]{8}-[A-F0-9]{4}-[A-F0-9]{4}\b'''
keywords = ["-"]

[[rules]]
id = "pat-token"
regex = '''\bpat[A-Za-z0-9]{10}\.[a-f0-9]{8}\b'''
keywords = ["pat"]

[[rules]]
id = "long-lead"
regex = '''\bkey_live_[a-z0-9]{12}\b'''
keywords = ["key"]

[[rules]]
id = "assigned"
regex = '''(?i)secret\s*=\s*"([A-Za-z0-9]{16,})"'''
keywords = ["secret"]
`)
	e := New(cfg)
	rng := rand.New(rand.NewSource(11))
	pick := func(s ...string) string { return s[rng.Intn(len(s))] }
	hex := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = "0123456789ABCDEF"[rng.Intn(16)]
		}
		return string(b)
	}
	newLine := func() []byte {
		switch rng.Intn(9) {
		case 0:
			return []byte(hex(8) + "-" + hex(4) + "-" + hex(4) + "\n")
		case 1:
			return []byte("id: pat" + hex(10) + "." + "deadbeef\n")
		case 2:
			return []byte("k = key_live_" + fmt.Sprintf("%012d", rng.Intn(1e9)) + "\n")
		case 3:
			return []byte(`secret = "` + hex(20) + `"` + "\n")
		case 4: // completes a line cut after "key_"
			return []byte(fmt.Sprintf("live_%012d\n", rng.Intn(1e9)))
		default:
			return []byte(pick("see the path/to-file and a well-known key", "func compat(x int) -> y", "- item of a list", "keyboard, keys, monkey", "secret handshake", "", "x-y-z path pat patty", "Path PATH Pattern", "KEY_LIVE_ABC Key_live_x", "k = key_list_abcdefghijkl") + "\n")
		}
	}
	found, kept, all := 0, 0, 0
	for file := range 40 {
		var data []byte
		for range 20 + file {
			data = append(data, newLine()...)
		}
		ms, hits := e.ScanFrom(data, nil, nil, true)
		if want := e.Scan(data); !reflect.DeepEqual(ms, want) {
			t.Fatalf("file %d: ScanFrom without a base finds %d matches, Scan %d", file, len(ms), len(want))
		}
		for version := range 12 {
			next, copies := editLines(rng, data, newLine)
			got, nextHits := e.ScanFrom(next, hits, copies, true)
			want := e.Scan(next)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("file %d, version %d: %d matches from the previous version's hits, %d scanning it whole", file, version, len(got), len(want))
			}
			found += len(want)
			kept += len(nextHits.h)
			all += len(e.ac.Hits(next, nil))
			data, hits = next, nextHits
		}
	}
	if found == 0 {
		t.Fatal("no version holds a match: the test compares nothing")
	}
	if kept >= all {
		t.Fatalf("kept %d of %d hits: none was turned down", kept, all)
	}
	t.Logf("%d matches; %d of %d hits kept for the next version", found, kept, all)
}
