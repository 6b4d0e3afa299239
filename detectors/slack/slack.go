// Package slack verifies Slack tokens with auth.test and incoming webhooks
// with a payload Slack rejects before posting anything.
package slack

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/achilles-sec/achilles/detectors/verify"
)

const official = "https://slack.com"

// Verifier checks bot, user and app tokens with auth.test.
type Verifier struct{}

// ID implements verify.Verifier.
func (Verifier) ID() string { return "slack" }

// Companions implements verify.Verifier.
func (Verifier) Companions() []string { return nil }

var deadErrors = map[string]bool{"invalid_auth": true, "account_inactive": true, "token_revoked": true, "token_expired": true, "not_authed": true}

// Verify implements verify.Verifier.
func (v Verifier) Verify(ctx context.Context, c *verify.Client, req verify.Request) verify.Result {
	base, err := c.BaseURL(v.ID(), official)
	if err != nil {
		return verify.Result{Status: verify.Unknown, Reason: err.Error()}
	}
	resp, err := c.Do(ctx, v.ID(), func(ctx context.Context) (*http.Request, error) {
		r, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/auth.test", nil)
		if err == nil {
			r.Header.Set("Authorization", "Bearer "+req.Secret)
		}
		return r, err
	})
	if err != nil {
		return verify.ErrorResult(err, req)
	}
	if resp.Status != http.StatusOK {
		return verify.StatusResult(resp, req)
	}
	var a struct {
		OK    bool   `json:"ok"`
		Error string `json:"error"`
		Team  string `json:"team"`
		User  string `json:"user"`
		URL   string `json:"url"`
	}
	if err := json.Unmarshal(resp.Body, &a); err != nil {
		return verify.Result{Status: verify.Unknown, Reason: "unexpected answer from Slack"}
	}
	if !a.OK {
		if deadErrors[a.Error] {
			return verify.Result{Status: verify.Dead, Reason: "Slack: " + a.Error}
		}
		return verify.Result{Status: verify.Unknown, Reason: "Slack: " + a.Error}
	}
	res := verify.Result{Status: verify.Live, Identity: a.User + " in " + a.Team + " (" + a.URL + ")"}
	if s := resp.Header.Get("X-OAuth-Scopes"); s != "" {
		for _, sc := range strings.Split(s, ",") {
			res.Scopes = append(res.Scopes, strings.TrimSpace(sc))
		}
	}
	return res
}

// WebhookVerifier checks an incoming webhook URL by posting an empty JSON
// object: Slack answers "no_text" (or "invalid_payload") for a live hook
// without posting anything, and "no_service"/"invalid_token" for a dead one.
type WebhookVerifier struct{}

// ID implements verify.Verifier.
func (WebhookVerifier) ID() string { return "slack-webhook" }

// Companions implements verify.Verifier.
func (WebhookVerifier) Companions() []string { return nil }

// Verify implements verify.Verifier.
func (v WebhookVerifier) Verify(ctx context.Context, c *verify.Client, req verify.Request) verify.Result {
	u, err := url.Parse(req.Secret)
	if err != nil || u.Scheme != "https" || u.Host != "hooks.slack.com" || !strings.HasPrefix(u.Path, "/services/") || u.RawQuery != "" {
		return verify.Result{Status: verify.Unknown, Reason: "not a hooks.slack.com/services/ webhook URL"}
	}
	base, err := c.BaseURL(v.ID(), "https://hooks.slack.com")
	if err != nil {
		return verify.Result{Status: verify.Unknown, Reason: err.Error()}
	}
	resp, err := c.Do(ctx, v.ID(), func(ctx context.Context) (*http.Request, error) {
		r, err := http.NewRequestWithContext(ctx, http.MethodPost, base+u.EscapedPath(), strings.NewReader("{}"))
		if err == nil {
			r.Header.Set("Content-Type", "application/json")
		}
		return r, err
	})
	if err != nil {
		return verify.ErrorResult(err, req)
	}
	body := strings.TrimSpace(string(resp.Body))
	switch {
	case resp.Status == http.StatusBadRequest && (body == "no_text" || body == "invalid_payload" || body == "missing_text_or_fallback_or_attachments"):
		return verify.Result{Status: verify.Live, Kind: "incoming webhook"}
	case resp.Status == http.StatusNotFound || resp.Status == http.StatusForbidden || resp.Status == http.StatusGone:
		return verify.Result{Status: verify.Dead, Reason: "Slack: " + body}
	case resp.Status < 300:
		return verify.Result{Status: verify.Unknown, Reason: "unexpected answer from Slack"}
	}
	return verify.StatusResult(resp, req)
}
