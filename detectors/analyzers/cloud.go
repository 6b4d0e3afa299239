package analyzers

import (
	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/aws"
	"github.com/achilles-sec/achilles/detectors/azure"
	"github.com/achilles-sec/achilles/detectors/cloudflare"
	"github.com/achilles-sec/achilles/detectors/digitalocean"
	"github.com/achilles-sec/achilles/detectors/gcp"
	"github.com/achilles-sec/achilles/detectors/linode"
	"github.com/achilles-sec/achilles/detectors/netlify"
)

func cloudAnalyzers() []analyze.Analyzer {
	return []analyze.Analyzer{
		aws.Analyzer{},
		azure.Analyzer{},
		cloudflare.Analyzer{},
		digitalocean.Analyzer{},
		gcp.Analyzer{},
		linode.Analyzer{},
		netlify.Analyzer{},
	}
}
