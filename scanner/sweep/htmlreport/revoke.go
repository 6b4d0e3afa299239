package htmlreport

import "strings"

// revocation pages, keyed by verifier id or rule tag: where the owner of a
// leaked credential revokes or rotates it. Taken from each provider's
// documentation of managing its keys.
var revocation = map[string]string{
	"github":       "https://github.com/settings/tokens",
	"gitlab":       "https://gitlab.com/-/user_settings/personal_access_tokens",
	"aws":          "https://console.aws.amazon.com/iam/home#/security_credentials",
	"slack":        "https://api.slack.com/apps",
	"stripe":       "https://dashboard.stripe.com/apikeys",
	"openai":       "https://platform.openai.com/api-keys",
	"anthropic":    "https://console.anthropic.com/settings/keys",
	"google":       "https://console.cloud.google.com/apis/credentials",
	"gcp":          "https://console.cloud.google.com/iam-admin/serviceaccounts",
	"azure":        "https://portal.azure.com/#browse/Microsoft.Storage%2FStorageAccounts",
	"sendgrid":     "https://app.sendgrid.com/settings/api_keys",
	"twilio":       "https://console.twilio.com/us1/account/keys-credentials/api-keys",
	"mailgun":      "https://app.mailgun.com/settings/api_security",
	"mailchimp":    "https://admin.mailchimp.com/account/api/",
	"npm":          "https://docs.npmjs.com/revoking-access-tokens",
	"dockerhub":    "https://app.docker.com/settings/personal-access-tokens",
	"heroku":       "https://dashboard.heroku.com/account/applications",
	"digitalocean": "https://cloud.digitalocean.com/account/api/tokens",
	"cloudflare":   "https://dash.cloudflare.com/profile/api-tokens",
	"discord":      "https://discord.com/developers/applications",
	"telegram":     "https://core.telegram.org/bots/features#botfather",
	"huggingface":  "https://huggingface.co/settings/tokens",
	"datadog":      "https://app.datadoghq.com/organization-settings/api-keys",
	"sentry":       "https://sentry.io/settings/account/api/auth-tokens/",
	"atlassian":    "https://id.atlassian.com/manage-profile/security/api-tokens",
	"notion":       "https://www.notion.so/profile/integrations",
	"vercel":       "https://vercel.com/account/tokens",
	"netlify":      "https://app.netlify.com/user/applications",
	"pypi":         "https://pypi.org/manage/account/token/",
	"shopify":      "https://help.shopify.com/en/manual/apps/app-types/custom-apps",
	"square":       "https://developer.squareup.com/apps",
	"fly":          "https://fly.io/user/personal_access_tokens",
	"okta":         "https://help.okta.com/en-us/content/topics/security/api.htm",
	"grafana":      "https://grafana.com/docs/grafana-cloud/account-management/authentication-and-permissions/access-policies/",
	"pagerduty":    "https://support.pagerduty.com/main/docs/api-access-keys",
	"newrelic":     "https://one.newrelic.com/api-keys",
	"linear":       "https://linear.app/settings/account/security",
	"postman":      "https://go.postman.co/settings/me/api-keys",
}

// revokeURL finds the revocation page for a finding: by the verifier that
// answered, then by the rule's tags, then by the rule id's first word.
func revokeURL(verifier string, tags []string, ruleID string) string {
	keys := append([]string{verifier}, tags...)
	if first, _, ok := strings.Cut(ruleID, "-"); ok {
		keys = append(keys, first)
	}
	for _, k := range keys {
		if u, ok := revocation[strings.ToLower(k)]; ok {
			return u
		}
	}
	return ""
}

// provider names the provider of a finding for grouping: the verifier, the
// first tag that is a known provider, the first tag, or the rule id.
func provider(verifier string, tags []string, ruleID string) string {
	if verifier != "" {
		return verifier
	}
	for _, t := range tags {
		if _, ok := revocation[strings.ToLower(t)]; ok {
			return strings.ToLower(t)
		}
	}
	if first, _, ok := strings.Cut(ruleID, "-"); ok {
		return first
	}
	if len(tags) > 0 {
		return tags[0]
	}
	return ruleID
}
