package detectors

import (
	"testing"

	"github.com/achilles-sec/achilles/internal/gotree"
)

// goTreeFiles is up to limit bytes of the Go tree's own text files, one
// buffer per file, in walk order: what a folder scan hands the engine.
func goTreeFiles(b *testing.B, limit int) [][]byte {
	files, total := gotree.TextFiles(limit)
	if total == 0 {
		b.Skip("no Go tree")
	}
	return files
}

// BenchmarkScanFiles scans about 32 MB of the Go tree file by file, as a
// folder scan does (decoding included).
func BenchmarkScanFiles(b *testing.B) {
	e, files := defaultEngine(b), goTreeFiles(b, 32<<20)
	n := 0
	for _, f := range files {
		n += len(f)
	}
	for _, f := range files { // builds the DFAs
		e.ScanDecoded(f, DefaultDecodeDepth)
	}
	b.SetBytes(int64(n))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, f := range files {
			e.ScanDecoded(f, DefaultDecodeDepth)
		}
	}
}
