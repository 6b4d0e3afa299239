package analyzers

import (
	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/discord"
	"github.com/achilles-sec/achilles/detectors/dropbox"
	"github.com/achilles-sec/achilles/detectors/fastly"
	"github.com/achilles-sec/achilles/detectors/github"
	"github.com/achilles-sec/achilles/detectors/gitlab"
	"github.com/achilles-sec/achilles/detectors/slack"
)

// revokerList is every provider whose API lets a leaked credential be
// revoked by whoever holds it (each revoker's doc comment cites the call).
func revokerList() []analyze.Revoker {
	return []analyze.Revoker{
		github.Revoker{},
		gitlab.Revoker{},
		slack.Revoker{},
		dropbox.Revoker{},
		fastly.Revoker{},
		discord.WebhookRevoker{},
	}
}
