package analyzers

import (
	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/aws"
)

func cloudAnalyzers() []analyze.Analyzer {
	return []analyze.Analyzer{
		aws.Analyzer{},
	}
}
