package analyzers

import "github.com/achilles-sec/achilles/detectors/analyze"

func aiAnalyzers() []analyze.Analyzer { return nil }
