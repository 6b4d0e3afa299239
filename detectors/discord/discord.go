// Package discord verifies Discord webhook URLs by reading the webhook
// (GET on its URL returns its name and channel and never posts).
package discord

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"sync"

	"github.com/achilles-sec/achilles/detectors/verify"
)

// WebhookVerifier checks discord.com webhook URLs.
type WebhookVerifier struct{}

// ID implements verify.Verifier.
func (WebhookVerifier) ID() string { return "discord-webhook" }

// Companions implements verify.Verifier.
func (WebhookVerifier) Companions() []string { return nil }

// webhookPath is the only path sent to: /api[/vN]/webhooks/{id}/{token};
// compiled on first use, not at every start.
var webhookPath = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^/api(?:/v[0-9]+)?/webhooks/[0-9]+/[A-Za-z0-9_-]+$`) })

var officialHosts = map[string]bool{"discord.com": true, "discordapp.com": true, "ptb.discord.com": true, "canary.discord.com": true}

// Verify implements verify.Verifier.
func (v WebhookVerifier) Verify(ctx context.Context, c *verify.Client, req verify.Request) verify.Result {
	u, err := url.Parse(req.Secret)
	if err != nil || u.Scheme != "https" || !officialHosts[u.Host] || !webhookPath().MatchString(u.Path) {
		return verify.Result{Status: verify.Unknown, Reason: "not a discord.com webhook URL"}
	}
	base, err := c.BaseURL(v.ID(), "https://discord.com")
	if err != nil {
		return verify.Result{Status: verify.Unknown, Reason: err.Error()}
	}
	resp, err := c.Do(ctx, v.ID(), func(ctx context.Context) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, http.MethodGet, base+u.EscapedPath(), nil)
	})
	if err != nil {
		return verify.ErrorResult(err, req)
	}
	switch resp.Status {
	case http.StatusOK:
		var w struct {
			Name      string `json:"name"`
			ChannelID string `json:"channel_id"`
		}
		if json.Unmarshal(resp.Body, &w) != nil || w.ChannelID == "" {
			return verify.Result{Status: verify.Unknown, Reason: "unexpected answer from Discord"}
		}
		return verify.Result{Status: verify.Live, Identity: w.Name + " (channel " + w.ChannelID + ")", Kind: "webhook"}
	case http.StatusNotFound, http.StatusUnauthorized:
		return verify.Result{Status: verify.Dead, Reason: "Discord: unknown webhook"}
	}
	return verify.StatusResult(resp, req)
}
