package analyzers

import (
	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/buildkite"
	"github.com/achilles-sec/achilles/detectors/circleci"
	"github.com/achilles-sec/achilles/detectors/dockerhub"
	"github.com/achilles-sec/achilles/detectors/github"
	"github.com/achilles-sec/achilles/detectors/gitlab"
	"github.com/achilles-sec/achilles/detectors/npm"
	"github.com/achilles-sec/achilles/detectors/postman"
	"github.com/achilles-sec/achilles/detectors/pypi"
	"github.com/achilles-sec/achilles/detectors/sentry"
	"github.com/achilles-sec/achilles/detectors/terraformcloud"
)

// codeAnalyzers lists the analyzers of code hosting, package registries
// and developer tools.
func codeAnalyzers() []analyze.Analyzer {
	return []analyze.Analyzer{
		buildkite.Analyzer{},
		circleci.Analyzer{},
		dockerhub.Analyzer{},
		github.Analyzer{},
		gitlab.Analyzer{},
		npm.Analyzer{},
		postman.Analyzer{},
		pypi.Analyzer{},
		sentry.Analyzer{},
		terraformcloud.Analyzer{},
	}
}
