package analyzers

import "github.com/achilles-sec/achilles/detectors/analyze"

func saasAnalyzers() []analyze.Analyzer { return nil }
