package discord

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/verify"
)

// WebhookRevoker deletes a leaked webhook with its own URL: DELETE
// /api/webhooks/{id}/{token} needs no other authentication, and answers 204
// No Content; 404 (Unknown Webhook) means it was deleted already. Anyone
// holding the URL could post to the channel; after this, nobody can. The
// channel's owner makes a new webhook if one is still wanted.
//
// Docs: https://discord.com/developers/docs/resources/webhook#delete-webhook-with-token
type WebhookRevoker struct{}

// ID implements analyze.Revoker.
func (WebhookRevoker) ID() string { return "discord-webhook" }

// Revoke implements analyze.Revoker.
func (r WebhookRevoker) Revoke(ctx context.Context, c *verify.Client, req verify.Request) (analyze.Outcome, error) {
	u, err := url.Parse(req.Secret)
	if err != nil || u.Scheme != "https" || !officialHosts[u.Host] || !webhookPath().MatchString(u.Path) {
		return analyze.Outcome{Status: analyze.RevokeFailed, Answer: "not sent: not a discord.com webhook URL"}, nil
	}
	resp, fail := c.Send(ctx, req, verify.Call{
		Verifier: r.ID(), Official: "https://discord.com", Method: http.MethodDelete, Path: u.EscapedPath(),
	})
	if fail != nil {
		return analyze.Outcome{}, fmt.Errorf("Discord webhook deletion: %s", fail.Reason)
	}
	if resp.Status == http.StatusNotFound {
		return analyze.Outcome{Status: analyze.AlreadyInvalid, Answer: "404: Unknown Webhook"}, nil
	}
	return analyze.SelfRevokeOutcome(resp, req, http.StatusNoContent), nil
}
