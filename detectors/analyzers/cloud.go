package analyzers

import (
	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/aws"
	"github.com/achilles-sec/achilles/detectors/gcp"
)

func cloudAnalyzers() []analyze.Analyzer {
	return []analyze.Analyzer{
		aws.Analyzer{},
		gcp.Analyzer{},
	}
}
