// Package dropbox revokes Dropbox access tokens. (Dropbox tokens are
// verified by a declared verifier, rules/default/saas.toml.)
package dropbox

import (
	"context"
	"fmt"
	"net/http"

	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/verify"
)

// official is the host of Dropbox's RPC endpoints, the one its verifier uses.
const official = "https://api.dropboxapi.com"

// Revoker has an access token disable itself: POST /2/auth/token/revoke
// with the token as Bearer and no body (an RPC without arguments), 200 when
// done; the refresh token it came from, and that token's other access
// tokens, are disabled with it. 401 (invalid_access_token) means the token
// did not work anyway.
//
// Docs: https://www.dropbox.com/developers/documentation/http/documentation#auth-token-revoke
type Revoker struct{}

// ID implements analyze.Revoker.
func (Revoker) ID() string { return "dropbox" }

// Revoke implements analyze.Revoker.
func (r Revoker) Revoke(ctx context.Context, c *verify.Client, req verify.Request) (analyze.Outcome, error) {
	resp, fail := c.Send(ctx, req, verify.Call{
		Verifier: r.ID(), Official: official, Method: http.MethodPost, Path: "/2/auth/token/revoke",
		Header: map[string]string{"Authorization": "Bearer " + req.Secret},
	})
	if fail != nil {
		return analyze.Outcome{}, fmt.Errorf("Dropbox token revocation: %s", fail.Reason)
	}
	return analyze.SelfRevokeOutcome(resp, req, http.StatusOK), nil
}
