package ahocorasick_test

import (
	"testing"

	"github.com/achilles-sec/achilles/detectors/ahocorasick"
	"github.com/achilles-sec/achilles/internal/gotree"
	"github.com/achilles-sec/achilles/rules"
)

// BenchmarkScanDefaultKeywords runs the built-in rules' keywords over about
// 32 MB of the Go tree, file by file, as a folder scan does.
func BenchmarkScanDefaultKeywords(b *testing.B) {
	cfg, err := rules.Default()
	if err != nil {
		b.Fatal(err)
	}
	seen := map[string]bool{}
	var keywords []string
	for _, r := range cfg.Rules {
		for _, k := range r.Keywords {
			if !seen[k] {
				seen[k] = true
				keywords = append(keywords, k)
			}
		}
	}
	files, total := gotree.TextFiles(32 << 20)
	if total == 0 {
		b.Skip("no Go tree")
	}
	m := ahocorasick.New(keywords)
	m.Scan(make([]byte, 1<<20), func(int, int) {}) // builds the DFA
	hits := 0
	b.SetBytes(int64(total))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, f := range files {
			m.Scan(f, func(int, int) { hits++ })
		}
	}
	b.ReportMetric(float64(hits)/float64(b.N), "hits/op")
}
