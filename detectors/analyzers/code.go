package analyzers

import "github.com/achilles-sec/achilles/detectors/analyze"

func codeAnalyzers() []analyze.Analyzer { return nil }
