package analyzers

import "github.com/achilles-sec/achilles/detectors/analyze"

func cloudAnalyzers() []analyze.Analyzer { return nil }

func cloudRevokers() []analyze.Revoker { return nil }
