package analyzers

import "github.com/achilles-sec/achilles/detectors/analyze"

func revokerList() []analyze.Revoker { return nil }
