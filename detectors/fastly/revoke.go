// Package fastly revokes Fastly API tokens. (Fastly tokens are verified by
// a declared verifier, rules/default/cloud.toml.)
package fastly

import (
	"context"
	"fmt"
	"net/http"

	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/verify"
)

// official is Fastly's API host, the one its verifier uses.
const official = "https://api.fastly.com"

// Revoker has an API token revoke itself: DELETE /tokens/self with the
// token in Fastly-Key, 204 No Content when revoked, 401 when the token does
// not work.
//
// Docs: https://www.fastly.com/documentation/reference/api/auth-tokens/user/#revoke-token-current
type Revoker struct{}

// ID implements analyze.Revoker.
func (Revoker) ID() string { return "fastly" }

// Revoke implements analyze.Revoker.
func (r Revoker) Revoke(ctx context.Context, c *verify.Client, req verify.Request) (analyze.Outcome, error) {
	resp, fail := c.Send(ctx, req, verify.Call{
		Verifier: r.ID(), Official: official, Method: http.MethodDelete, Path: "/tokens/self",
		Header: map[string]string{"Fastly-Key": req.Secret, "Accept": "application/json"},
	})
	if fail != nil {
		return analyze.Outcome{}, fmt.Errorf("Fastly token revocation: %s", fail.Reason)
	}
	return analyze.SelfRevokeOutcome(resp, req, http.StatusNoContent), nil
}
