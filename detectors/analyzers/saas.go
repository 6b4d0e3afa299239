package analyzers

import (
	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/datadog"
	"github.com/achilles-sec/achilles/detectors/discord"
	"github.com/achilles-sec/achilles/detectors/mailchimp"
	"github.com/achilles-sec/achilles/detectors/mailgun"
	"github.com/achilles-sec/achilles/detectors/okta"
	"github.com/achilles-sec/achilles/detectors/sendgrid"
	"github.com/achilles-sec/achilles/detectors/slack"
	"github.com/achilles-sec/achilles/detectors/stripe"
	"github.com/achilles-sec/achilles/detectors/telegram"
	"github.com/achilles-sec/achilles/detectors/twilio"
)

// saasAnalyzers lists the analyzers of communication, payments, monitoring
// and commerce providers.
func saasAnalyzers() []analyze.Analyzer {
	return []analyze.Analyzer{
		datadog.Analyzer{},
		discord.Analyzer{},
		mailchimp.Analyzer{},
		mailgun.Analyzer{},
		okta.Analyzer{},
		sendgrid.Analyzer{},
		slack.Analyzer{},
		stripe.Analyzer{},
		telegram.Analyzer{},
		twilio.Analyzer{},
	}
}
