// Package analyzers is the one explicit list of built-in analyzers and
// revokers (detectors/analyze). Each family of providers keeps its entries
// in its own file of this package: code.go (code hosting and packages),
// cloud.go (cloud and infrastructure), ai.go (AI and data platforms),
// saas.go (communication, payments, monitoring and other services);
// revokers.go lists the revokers.
package analyzers

import (
	"fmt"

	"github.com/achilles-sec/achilles/detectors/analyze"
)

// Analyzers returns every built-in analyzer by id; it fails on a duplicate.
func Analyzers() (map[string]analyze.Analyzer, error) {
	out := map[string]analyze.Analyzer{}
	for _, fam := range [][]analyze.Analyzer{codeAnalyzers(), cloudAnalyzers(), aiAnalyzers(), saasAnalyzers(), moreSaasAnalyzers(), moreCloudAnalyzers()} {
		for _, a := range fam {
			if _, dup := out[a.ID()]; dup {
				return nil, fmt.Errorf("analyzer %s is listed twice", a.ID())
			}
			out[a.ID()] = a
		}
	}
	return out, nil
}

// Revokers returns every built-in revoker by id; it fails on a duplicate.
func Revokers() (map[string]analyze.Revoker, error) {
	out := map[string]analyze.Revoker{}
	for _, r := range revokerList() {
		if _, dup := out[r.ID()]; dup {
			return nil, fmt.Errorf("revoker %s is listed twice", r.ID())
		}
		out[r.ID()] = r
	}
	return out, nil
}
