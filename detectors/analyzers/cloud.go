package analyzers

import "github.com/achilles-sec/achilles/detectors/analyze"

func cloudAnalyzers() []analyze.Analyzer { return nil }
