// Package shopify verifies Shopify Admin API access tokens (shpat_, shpca_,
// shppa_) by reading the token's own access scopes on its shop, a
// read-only call. The shop host, <shop>.myshopify.com, comes from the
// companion "shopify-domain" matched near the token.
package shopify

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"sync"

	"github.com/achilles-sec/achilles/detectors/verify"
)

// DomainRule is the companion: the shop's myshopify.com domain.
const DomainRule = "shopify-domain"

// shopHost is compiled on first use (its counted repeat makes it costly
// to compile, and most runs verify nothing).
var shopHost = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}\.myshopify\.com$`) })

// Verifier checks Shopify access tokens.
type Verifier struct{}

// ID implements verify.Verifier.
func (Verifier) ID() string { return "shopify" }

// Companions implements verify.Verifier: the shop domain.
func (Verifier) Companions() []string { return []string{DomainRule} }

// Verify implements verify.Verifier.
func (v Verifier) Verify(ctx context.Context, c *verify.Client, req verify.Request) verify.Result {
	if strings.HasPrefix(req.Secret, "shpss_") {
		return verify.Result{Status: verify.Unknown, Reason: "a shared secret signs webhooks and cannot be checked with a request"}
	}
	base, err := c.TenantBase(v.ID(), req.Parts[DomainRule], shopHost())
	if err != nil {
		return verify.Unknownf(req, "%v", err)
	}
	resp, fail := c.Send(ctx, req, verify.Call{
		Verifier: v.ID(), Official: base, Path: "/admin/oauth/access_scopes.json",
		Header: map[string]string{"X-Shopify-Access-Token": req.Secret, "Accept": "application/json"},
	})
	if fail != nil {
		return *fail
	}
	if resp.Status != http.StatusOK {
		return verify.StatusResult(resp, req)
	}
	var body struct {
		AccessScopes []struct {
			Handle string `json:"handle"`
		} `json:"access_scopes"`
	}
	if json.Unmarshal(resp.Body, &body) != nil || body.AccessScopes == nil {
		return verify.Unknownf(req, "unexpected answer from Shopify")
	}
	res := verify.Result{Status: verify.Live, Identity: strings.TrimPrefix(base, "https://"), Kind: kind(req.Secret)}
	for _, s := range body.AccessScopes {
		res.Scopes = append(res.Scopes, s.Handle)
	}
	return res
}

func kind(tok string) string {
	switch {
	case strings.HasPrefix(tok, "shpat_"):
		return "Admin API access token"
	case strings.HasPrefix(tok, "shpca_"):
		return "custom app access token"
	case strings.HasPrefix(tok, "shppa_"):
		return "private app access token"
	}
	return "access token"
}
