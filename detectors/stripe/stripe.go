// Package stripe verifies Stripe secret and restricted keys with GET
// /v1/account.
package stripe

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/achilles-sec/achilles/detectors/verify"
)

const official = "https://api.stripe.com"

// Verifier checks Stripe keys and tells live from test and secret from
// restricted.
type Verifier struct{}

// ID implements verify.Verifier.
func (Verifier) ID() string { return "stripe" }

// Companions implements verify.Verifier.
func (Verifier) Companions() []string { return nil }

// Verify implements verify.Verifier.
func (v Verifier) Verify(ctx context.Context, c *verify.Client, req verify.Request) verify.Result {
	resp, fail := c.Send(ctx, req, verify.Call{Verifier: v.ID(), Official: official, Path: "/v1/account", BasicUser: req.Secret})
	if fail != nil {
		return *fail
	}
	var body struct {
		ID       string `json:"id"`
		Email    string `json:"email"`
		Settings struct {
			Dashboard struct {
				DisplayName string `json:"display_name"`
			} `json:"dashboard"`
		} `json:"settings"`
		Error struct {
			Type string `json:"type"`
		} `json:"error"`
	}
	_ = json.Unmarshal(resp.Body, &body)
	switch {
	case resp.Status == http.StatusOK && body.ID != "":
		id := body.ID
		if n := body.Settings.Dashboard.DisplayName; n != "" {
			id += " (" + n + ")"
		}
		return verify.Result{Status: verify.Live, Identity: id, Kind: kind(req.Secret)}
	case resp.Status == http.StatusForbidden && body.Error.Type == "invalid_request_error":
		// A restricted key without the account permission: authenticated.
		return verify.Result{Status: verify.Live, Kind: kind(req.Secret) + " (cannot read the account)"}
	case resp.Status == http.StatusUnauthorized:
		return verify.Result{Status: verify.Dead, Reason: "Stripe: invalid or revoked key (401)"}
	case resp.Status < 300:
		return verify.Result{Status: verify.Unknown, Reason: "unexpected answer from Stripe"}
	}
	return verify.StatusResult(resp, req)
}

func kind(key string) string {
	mode := "live"
	if strings.Contains(key, "_test_") {
		mode = "test"
	}
	if strings.HasPrefix(key, "rk_") {
		return mode + " restricted key"
	}
	return mode + " secret key"
}
