package analyzers

import (
	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/asana"
	"github.com/achilles-sec/achilles/detectors/atlassian"
	"github.com/achilles-sec/achilles/detectors/grafana"
	"github.com/achilles-sec/achilles/detectors/launchdarkly"
	"github.com/achilles-sec/achilles/detectors/linear"
	"github.com/achilles-sec/achilles/detectors/newrelic"
	"github.com/achilles-sec/achilles/detectors/pagerduty"
	"github.com/achilles-sec/achilles/detectors/shopify"
)

// moreSaasAnalyzers lists the analyzers of further SaaS and developer-tool
// providers: commerce, incident response, observability, issue tracking
// and project management.
func moreSaasAnalyzers() []analyze.Analyzer {
	return []analyze.Analyzer{
		asana.Analyzer{},
		atlassian.Analyzer{},
		grafana.Analyzer{},
		launchdarkly.Analyzer{},
		linear.Analyzer{},
		newrelic.Analyzer{},
		pagerduty.Analyzer{},
		shopify.Analyzer{},
	}
}
