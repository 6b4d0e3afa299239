package analyzers

import (
	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/doppler"
	"github.com/achilles-sec/achilles/detectors/fly"
	"github.com/achilles-sec/achilles/detectors/heroku"
	"github.com/achilles-sec/achilles/detectors/render"
	"github.com/achilles-sec/achilles/detectors/supabase"
	"github.com/achilles-sec/achilles/detectors/vercel"
)

// moreCloudAnalyzers are the hosting platforms' analyzers beyond cloud.go.
func moreCloudAnalyzers() []analyze.Analyzer {
	return []analyze.Analyzer{
		doppler.Analyzer{},
		fly.Analyzer{},
		heroku.Analyzer{},
		render.Analyzer{},
		supabase.Analyzer{},
		vercel.Analyzer{},
	}
}
