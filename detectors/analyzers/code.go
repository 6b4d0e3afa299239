package analyzers

import "github.com/achilles-sec/achilles/detectors/analyze"

func codeAnalyzers() []analyze.Analyzer { return nil }

func codeRevokers() []analyze.Revoker { return nil }
