// Package okta verifies Okta API tokens by reading the token's own user
// (GET /api/v1/users/me with "Authorization: SSWS <token>"). The org host,
// <org>.okta.com (or oktapreview.com, okta-emea.com), comes from the
// companion "okta-domain" matched near the token.
package okta

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"sync"

	"github.com/achilles-sec/achilles/detectors/verify"
)

// DomainRule is the companion: the Okta org's domain.
const DomainRule = "okta-domain"

// orgHost is compiled on first use (its counted repeat makes it costly
// to compile, and most runs verify nothing).
var orgHost = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}\.(?:okta|oktapreview|okta-emea)\.com$`)
})

// Verifier checks Okta API tokens.
type Verifier struct{}

// ID implements verify.Verifier.
func (Verifier) ID() string { return "okta" }

// Companions implements verify.Verifier: the org domain.
func (Verifier) Companions() []string { return []string{DomainRule} }

// Verify implements verify.Verifier.
func (v Verifier) Verify(ctx context.Context, c *verify.Client, req verify.Request) verify.Result {
	base, err := c.TenantBase(v.ID(), req.Parts[DomainRule], orgHost())
	if err != nil {
		return verify.Unknownf(req, "%v", err)
	}
	resp, fail := c.Send(ctx, req, verify.Call{
		Verifier: v.ID(), Official: base, Path: "/api/v1/users/me",
		Header: map[string]string{"Authorization": "SSWS " + req.Secret, "Accept": "application/json"},
	})
	if fail != nil {
		return *fail
	}
	if resp.Status != http.StatusOK {
		return verify.StatusResult(resp, req)
	}
	var u struct {
		ID      string `json:"id"`
		Status  string `json:"status"`
		Profile struct {
			Login string `json:"login"`
		} `json:"profile"`
	}
	if json.Unmarshal(resp.Body, &u) != nil || u.Profile.Login == "" {
		return verify.Unknownf(req, "unexpected answer from Okta")
	}
	return verify.Result{Status: verify.Live, Identity: u.Profile.Login, Kind: "API token (acts as its user)",
		Extra: map[string]string{"org": base, "user_status": u.Status}}
}
