package analyzers

import "github.com/achilles-sec/achilles/detectors/analyze"

func saasAnalyzers() []analyze.Analyzer { return nil }

func saasRevokers() []analyze.Revoker { return nil }
