package verifiers

import (
	"net/url"
	"strings"
	"testing"

	"github.com/achilles-sec/achilles/detectors/verify"
)

// officialHosts is the reviewed host of every declared built-in verifier:
// the provider's documented API host. A change to a declared URL's host
// must change this table too.
var officialHosts = map[string]string{
	"openai":          "api.openai.com",
	"anthropic":       "api.anthropic.com",
	"groq":            "api.groq.com",
	"mistral":         "api.mistral.ai",
	"huggingface":     "huggingface.co",
	"replicate":       "api.replicate.com",
	"sendgrid":        "api.sendgrid.com",
	"npm":             "registry.npmjs.org",
	"heroku":          "api.heroku.com",
	"digitalocean":    "api.digitalocean.com",
	"cloudflare":      "api.cloudflare.com",
	"discord":         "discord.com",
	"telegram":        "api.telegram.org",
	"newrelic":        "api.newrelic.com",
	"sentry":          "sentry.io",
	"notion":          "api.notion.com",
	"linear":          "api.linear.app",
	"postman":         "api.getpostman.com",
	"vercel":          "api.vercel.com",
	"netlify":         "api.netlify.com",
	"pagerduty":       "api.pagerduty.com",
	"circleci":        "circleci.com",
	"buildkite":       "api.buildkite.com",
	"airtable":        "api.airtable.com",
	"figma":           "api.figma.com",
	"doppler":         "api.doppler.com",
	"terraform-cloud": "app.terraform.io",
	"supabase":        "api.supabase.com",
	"postmark":        "api.postmarkapp.com",
	"linode":          "api.linode.com",
	"vultr":           "api.vultr.com",
	"honeycomb":       "api.honeycomb.io",
	"square":          "connect.squareup.com",
	"dropbox":         "api.dropboxapi.com",
	"cohere":          "api.cohere.com",
	"mapbox":          "api.mapbox.com",
	"asana":           "app.asana.com",
	"hubspot":         "api.hubapi.com",
	"planetscale":     "api.planetscale.com",
	"scaleway":        "api.scaleway.com",
	"hetzner":         "api.hetzner.cloud",
	"perplexity":      "api.perplexity.ai",
	"rubygems":        "rubygems.org",
}

// readOnlyPOST lists the declared verifiers whose documented read-only
// call is a POST: GraphQL queries and RPC-style "who am I" methods.
var readOnlyPOST = map[string]string{
	"newrelic": "NerdGraph query (actor.user)",
	"linear":   "GraphQL query (viewer)",
	"dropbox":  "users/get_current_account RPC",
	"cohere":   "check-api-key",
}

func TestDeclaredHostsAreOfficial(t *testing.T) {
	specs, err := verify.DecodeHTTPSpecs(builtinTOML)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, s := range specs {
		seen[s.ID] = true
		u, err := url.Parse(s.URL[:strings.Index(s.URL+"{{", "{{")])
		if err != nil || u.Scheme != "https" || u.Host != officialHosts[s.ID] {
			t.Errorf("%s: url %s, reviewed host %q", s.ID, s.URL, officialHosts[s.ID])
		}
		if m := strings.ToUpper(s.Method); m == "POST" && readOnlyPOST[s.ID] == "" {
			t.Errorf("%s: POST is not a reviewed read-only call", s.ID)
		} else if m != "" && m != "GET" && m != "POST" {
			t.Errorf("%s: method %s", s.ID, m)
		}
		if s.Body != "" && strings.Contains(strings.ToLower(s.Body), "mutation") {
			t.Errorf("%s: a GraphQL mutation", s.ID)
		}
	}
	for id := range officialHosts {
		if !seen[id] {
			t.Errorf("%s: in the reviewed table but not declared", id)
		}
	}
}
