package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/verify"
)

// Revoker revokes a Slack token with the token itself: auth.revoke
// answers {"ok":true,"revoked":true}, or {"ok":false,"error":"invalid_auth"}
// (and the other authentication errors) for a token that does not work.
// Revoking a bot token deactivates the bot user; the app stays installed.
//
// Docs: https://api.slack.com/methods/auth.revoke
type Revoker struct{}

// ID implements analyze.Revoker.
func (Revoker) ID() string { return "slack" }

// Revoke implements analyze.Revoker.
func (r Revoker) Revoke(ctx context.Context, c *verify.Client, req verify.Request) (analyze.Outcome, error) {
	resp, fail := c.Send(ctx, req, verify.Call{
		Verifier: r.ID(), Official: official, Method: http.MethodPost, Path: "/api/auth.revoke",
		Header: map[string]string{"Authorization": "Bearer " + req.Secret},
	})
	if fail != nil {
		return analyze.Outcome{}, fmt.Errorf("Slack auth.revoke: %s", fail.Reason)
	}
	if resp.Status == http.StatusTooManyRequests {
		return analyze.Outcome{Status: analyze.RevokeFailed, Answer: "rate-limited (429): retry after " + resp.Header.Get("Retry-After") + " s"}, nil
	}
	if resp.Status != http.StatusOK {
		return analyze.Outcome{Status: analyze.RevokeFailed, Answer: fmt.Sprintf("HTTP %d", resp.Status)}, nil
	}
	var a struct {
		OK      bool   `json:"ok"`
		Revoked bool   `json:"revoked"`
		Error   string `json:"error"`
	}
	if err := json.Unmarshal(resp.Body, &a); err != nil {
		return analyze.Outcome{Status: analyze.RevokeFailed, Answer: "unexpected answer from Slack"}, nil
	}
	switch {
	case a.OK && a.Revoked:
		return analyze.Outcome{Status: analyze.Revoked, Answer: `ok: "revoked": true`}, nil
	case a.OK:
		return analyze.Outcome{Status: analyze.RevokeFailed, Answer: `ok, but "revoked": false`}, nil
	case deadErrors[a.Error]:
		return analyze.Outcome{Status: analyze.AlreadyInvalid, Answer: verify.Scrub(a.Error, req)}, nil
	}
	return analyze.Outcome{Status: analyze.RevokeFailed, Answer: verify.Scrub(fmt.Sprintf("error: %.100s", a.Error), req)}, nil
}
