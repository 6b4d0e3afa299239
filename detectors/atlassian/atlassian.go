// Package atlassian verifies Atlassian Cloud API tokens (ATATT...) by
// reading the token owner's profile on their site (GET /rest/api/3/myself
// with basic auth e-mail:token). A token works only with its owner's
// e-mail and on a site (<site>.atlassian.net): both are companions.
package atlassian

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"sync"

	"github.com/achilles-sec/achilles/detectors/verify"
)

// Companion rules: the owner's e-mail and the site's domain.
const (
	EmailRule  = "atlassian-email"
	DomainRule = "atlassian-domain"
)

// siteHost is compiled on first use (its counted repeat makes it costly
// to compile, and most runs verify nothing).
var siteHost = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}\.(?:atlassian\.net|jira\.com)$`)
})

// Verifier checks Atlassian API tokens.
type Verifier struct{}

// ID implements verify.Verifier.
func (Verifier) ID() string { return "atlassian" }

// Companions implements verify.Verifier: e-mail and site.
func (Verifier) Companions() []string { return []string{EmailRule, DomainRule} }

// Verify implements verify.Verifier.
func (v Verifier) Verify(ctx context.Context, c *verify.Client, req verify.Request) verify.Result {
	email := req.Parts[EmailRule]
	if email == "" {
		return verify.Result{Status: verify.Unknown, Reason: "an Atlassian API token needs its owner's e-mail; none found nearby"}
	}
	base, err := c.TenantBase(v.ID(), req.Parts[DomainRule], siteHost())
	if err != nil {
		return verify.Unknownf(req, "%v", err)
	}
	resp, fail := c.Send(ctx, req, verify.Call{
		Verifier: v.ID(), Official: base, Path: "/rest/api/3/myself",
		Header:    map[string]string{"Accept": "application/json"},
		BasicUser: email, BasicPass: req.Secret,
	})
	if fail != nil {
		return *fail
	}
	if resp.Status != http.StatusOK {
		return verify.StatusResult(resp, req)
	}
	var me struct {
		AccountID   string `json:"accountId"`
		Email       string `json:"emailAddress"`
		DisplayName string `json:"displayName"`
		Active      *bool  `json:"active"`
	}
	if json.Unmarshal(resp.Body, &me) != nil || me.AccountID == "" {
		return verify.Unknownf(req, "unexpected answer from Atlassian")
	}
	id := me.DisplayName
	if me.Email != "" {
		id += " <" + me.Email + ">"
	}
	return verify.Result{Status: verify.Live, Identity: id, Kind: "API token",
		Extra: map[string]string{"account_id": me.AccountID, "site": base}}
}
