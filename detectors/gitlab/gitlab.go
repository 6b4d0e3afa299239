// Package gitlab verifies GitLab personal, project and group access tokens
// with GET /api/v4/personal_access_tokens/self: name, scopes, expiry.
package gitlab

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/achilles-sec/achilles/detectors/verify"
)

const official = "https://gitlab.com"

// Verifier checks GitLab access tokens. Configure [verify.endpoints]
// gitlab = "https://gitlab.example.com" for a self-managed instance.
type Verifier struct{}

// ID implements verify.Verifier.
func (Verifier) ID() string { return "gitlab" }

// Companions implements verify.Verifier.
func (Verifier) Companions() []string { return nil }

// Verify implements verify.Verifier.
func (v Verifier) Verify(ctx context.Context, c *verify.Client, req verify.Request) verify.Result {
	resp, fail := c.Send(ctx, req, verify.Call{
		Verifier: v.ID(), Official: official, Path: "/api/v4/personal_access_tokens/self",
		Header: map[string]string{"PRIVATE-TOKEN": req.Secret},
	})
	if fail != nil {
		return *fail
	}
	if resp.Status != http.StatusOK {
		return verify.StatusResult(resp, req)
	}
	var t struct {
		Name      string   `json:"name"`
		Scopes    []string `json:"scopes"`
		Revoked   bool     `json:"revoked"`
		Active    *bool    `json:"active"`
		ExpiresAt string   `json:"expires_at"`
		UserID    int      `json:"user_id"`
	}
	if err := json.Unmarshal(resp.Body, &t); err != nil || t.Active == nil {
		return verify.Result{Status: verify.Unknown, Reason: "unexpected answer from GitLab"}
	}
	if t.Revoked || !*t.Active {
		return verify.Result{Status: verify.Dead, Reason: "GitLab: token revoked or inactive"}
	}
	res := verify.Result{Status: verify.Live, Identity: t.Name, Scopes: t.Scopes, Kind: "access token"}
	if t.ExpiresAt != "" {
		res.ExpiresAt = verify.ParseTime(t.ExpiresAt)
	}
	return res
}
