package scanner

import (
	"bytes"
	"hash/maphash"
	"sync"

	"github.com/achilles-sec/achilles/detectors"
)

// Content-defined chunking lets a large file that is edited often (a
// changelog, a generated file) cost about its changed lines per version
// instead of its whole size: each version is cut where the content says so
// (a rolling gear hash, then the next line end), so an edit moves only the
// cuts near it, and each chunk already scanned in another version is looked
// up instead of scanned again. Each chunk is scanned together with the
// first `overlap` bytes of its successor, and keeps only the matches that
// start in its own bytes, so a secret across a cut is found once.
const (
	cdcThreshold = 256 << 10 // blobs smaller than this are scanned whole
	cdcMin       = 16 << 10
	cdcMax       = 256 << 10
	cdcMask      = 1<<16 - 1 // about 64 KiB between cuts on average
)

var gear = func() (t [256]uint64) {
	x := uint64(0x9E3779B97F4A7C15)
	for i := range t {
		// splitmix64: a fixed table, so cuts are the same in every run.
		x += 0x9E3779B97F4A7C15
		z := x
		z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
		z = (z ^ (z >> 27)) * 0x94D049BB133111EB
		t[i] = z ^ (z >> 31)
	}
	return
}()

// nextCut returns the end of the chunk that starts at data[0].
func nextCut(data []byte) int {
	n := len(data)
	if n <= cdcMin {
		return n
	}
	var h uint64
	i := cdcMin
	limit := cdcMax
	if limit > n {
		limit = n
	}
	for ; i < limit; i++ {
		h = h<<1 + gear[data[i]]
		if h&cdcMask == 0 {
			break
		}
	}
	// Cut after the next line end, so chunks start at the start of a line.
	if j := bytes.IndexByte(data[i:min(n, i+cdcMin)], '\n'); j >= 0 {
		return i + j + 1
	}
	return min(n, i)
}

// chunkCache remembers the matches of chunks already scanned, keyed by a
// hash of the bytes that were scanned (own bytes plus overlap).
type chunkCache struct {
	seed maphash.Seed
	mu   sync.Mutex
	m    map[uint64][]detectors.Match
}

func newChunkCache() *chunkCache {
	return &chunkCache{seed: maphash.MakeSeed(), m: map[uint64][]detectors.Match{}}
}

// scanChunked scans a large buffer chunk by chunk through the cache and
// returns matches relative to the whole buffer. deduped counts chunks served
// from the cache.
func scanChunked(e bufScanner, cache *chunkCache, data []byte, overlap int, deduped func()) []detectors.Match {
	var out []detectors.Match
	line := 0      // newlines before the chunk
	lineStart := 0 // offset of the start of the line the chunk starts in
	for cs := 0; cs < len(data); {
		ce := cs + nextCut(data[cs:])
		end := min(len(data), ce+overlap)
		key := maphash.Bytes(cache.seed, data[cs:end])
		cache.mu.Lock()
		ms, ok := cache.m[key]
		cache.mu.Unlock()
		if ok {
			deduped()
		} else {
			all := e.Scan(data[cs:end])
			ms = all[:0:0]
			for _, m := range all {
				if m.Start < ce-cs {
					ms = append(ms, m)
				}
			}
			cache.mu.Lock()
			cache.m[key] = ms
			cache.mu.Unlock()
		}
		for _, m := range ms {
			if m.Line == 1 {
				m.Column += cs - lineStart
			}
			m.Line += line
			m.Start += cs
			m.End += cs
			m.SecretStart += cs
			m.SecretEnd += cs
			out = append(out, m)
		}
		if n := bytes.Count(data[cs:ce], []byte{'\n'}); n > 0 {
			line += n
			lineStart = cs + bytes.LastIndexByte(data[cs:ce], '\n') + 1
		}
		cs = ce
	}
	return out
}
