// Package verifiers is the one explicit list of every built-in verifier:
// providers that need code, and those declared in the provider catalogue
// (rules/default, [[verify.http]]).
package verifiers

import (
	"fmt"

	"github.com/achilles-sec/achilles/detectors/atlassian"
	"github.com/achilles-sec/achilles/detectors/aws"
	"github.com/achilles-sec/achilles/detectors/azure"
	"github.com/achilles-sec/achilles/detectors/datadog"
	"github.com/achilles-sec/achilles/detectors/discord"
	"github.com/achilles-sec/achilles/detectors/dockerhub"
	"github.com/achilles-sec/achilles/detectors/fly"
	"github.com/achilles-sec/achilles/detectors/gcp"
	"github.com/achilles-sec/achilles/detectors/github"
	"github.com/achilles-sec/achilles/detectors/gitlab"
	"github.com/achilles-sec/achilles/detectors/google"
	"github.com/achilles-sec/achilles/detectors/grafana"
	"github.com/achilles-sec/achilles/detectors/mailchimp"
	"github.com/achilles-sec/achilles/detectors/mailgun"
	"github.com/achilles-sec/achilles/detectors/okta"
	"github.com/achilles-sec/achilles/detectors/pypi"
	"github.com/achilles-sec/achilles/detectors/shopify"
	"github.com/achilles-sec/achilles/detectors/slack"
	"github.com/achilles-sec/achilles/detectors/stripe"
	"github.com/achilles-sec/achilles/detectors/twilio"
	"github.com/achilles-sec/achilles/detectors/verify"
	"github.com/achilles-sec/achilles/rules"
)

// code lists the verifiers written in Go.
func code() []verify.Verifier {
	return []verify.Verifier{
		atlassian.Verifier{},
		aws.Verifier{},
		azure.Verifier{},
		datadog.Verifier{},
		discord.WebhookVerifier{},
		dockerhub.Verifier{},
		fly.Verifier{},
		gcp.Verifier{},
		github.Verifier{},
		gitlab.Verifier{},
		google.Verifier{},
		grafana.Verifier{},
		mailchimp.Verifier{},
		mailgun.Verifier{},
		okta.Verifier{},
		pypi.Verifier{},
		shopify.Verifier{},
		slack.Verifier{},
		slack.WebhookVerifier{},
		stripe.Verifier{},
		twilio.Verifier{},
	}
}

// Builtin returns every built-in verifier by id; it fails on a duplicate id.
func Builtin() (map[string]verify.Verifier, error) {
	specs, err := Declared()
	if err != nil {
		return nil, err
	}
	return With(code(), specs)
}

// Declared returns the verifiers the provider catalogue declares.
func Declared() ([]verify.HTTPSpec, error) {
	var specs []verify.HTTPSpec
	for _, f := range rules.DefaultVerifiers() {
		s, err := verify.DecodeHTTPSpecs([]byte(f.TOML))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.File, err)
		}
		specs = append(specs, s...)
	}
	return specs, nil
}

// With adds declarative verifiers to a list; ids must be unique.
func With(list []verify.Verifier, specs []verify.HTTPSpec) (map[string]verify.Verifier, error) {
	out := map[string]verify.Verifier{}
	for _, v := range list {
		if _, dup := out[v.ID()]; dup {
			return nil, fmt.Errorf("duplicate verifier id %q", v.ID())
		}
		out[v.ID()] = v
	}
	for _, s := range specs {
		v, err := verify.CompileHTTP(s)
		if err != nil {
			return nil, err
		}
		if _, dup := out[v.ID()]; dup {
			return nil, fmt.Errorf("duplicate verifier id %q", v.ID())
		}
		out[v.ID()] = v
	}
	return out, nil
}
