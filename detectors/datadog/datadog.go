// Package datadog verifies Datadog API keys (GET /api/v1/validate) and
// application keys together with their API key (GET /api/v2/current_user
// with both headers: the key's user and, for scoped keys, its scopes).
//
// A key works on one Datadog site only. Unless [verify.endpoints] datadog
// names the site, the verifier asks the documented sites in turn until one
// accepts the key; the key is dead only when every site rejects it.
package datadog

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/achilles-sec/achilles/detectors/verify"
)

// Rule ids: an application key's companion is the API key.
const (
	APIKeyRule = "datadog-api-key"
	AppKeyRule = "datadog-app-key"
)

// Sites are the documented Datadog API hosts, most used first.
var Sites = []string{
	"https://api.datadoghq.com",
	"https://api.datadoghq.eu",
	"https://api.us3.datadoghq.com",
	"https://api.us5.datadoghq.com",
	"https://api.ap1.datadoghq.com",
	"https://api.ddog-gov.com",
}

// Verifier checks Datadog API and application keys.
type Verifier struct {
	// Sites replaces the documented site list (tests).
	Sites []string
}

// ID implements verify.Verifier.
func (Verifier) ID() string { return "datadog" }

// Companions implements verify.Verifier: an application key needs its API
// key.
func (Verifier) Companions() []string { return []string{APIKeyRule} }

// Verify implements verify.Verifier.
func (v Verifier) Verify(ctx context.Context, c *verify.Client, req verify.Request) verify.Result {
	sites := Sites
	if v.Sites != nil {
		sites = v.Sites
	}
	if _, ok := c.Endpoints[v.ID()]; ok {
		sites = sites[:1] // BaseURL substitutes the configured one
	}
	appKey := req.RuleID == AppKeyRule
	if appKey && req.Parts[APIKeyRule] == "" {
		return verify.Result{Status: verify.Unknown, Reason: "an application key needs its API key; none found nearby"}
	}
	var last verify.Result
	for _, site := range sites {
		var res verify.Result
		if appKey {
			res = v.appKey(ctx, c, req, site)
		} else {
			res = v.apiKey(ctx, c, req, site)
		}
		if res.Status != verify.Dead {
			return res
		}
		last = res
	}
	return last
}

func (v Verifier) apiKey(ctx context.Context, c *verify.Client, req verify.Request, site string) verify.Result {
	resp, fail := c.Send(ctx, req, verify.Call{
		Verifier: v.ID(), Official: site, Path: "/api/v1/validate",
		Header: map[string]string{"DD-API-KEY": req.Secret, "Accept": "application/json"},
	})
	if fail != nil {
		return *fail
	}
	var body struct {
		Valid *bool `json:"valid"`
	}
	_ = json.Unmarshal(resp.Body, &body)
	switch {
	case resp.Status == http.StatusOK && body.Valid != nil && *body.Valid:
		base, _ := c.BaseURL(v.ID(), site)
		return verify.Result{Status: verify.Live, Kind: "API key", Extra: map[string]string{"site": base}}
	case resp.Status == http.StatusForbidden || resp.Status == http.StatusUnauthorized:
		return verify.Result{Status: verify.Dead, Reason: "Datadog: invalid API key on every site"}
	case resp.Status == http.StatusOK:
		return verify.Unknownf(req, "unexpected answer from Datadog")
	}
	return verify.StatusResult(resp, req)
}

func (v Verifier) appKey(ctx context.Context, c *verify.Client, req verify.Request, site string) verify.Result {
	resp, fail := c.Send(ctx, req, verify.Call{
		Verifier: v.ID(), Official: site, Path: "/api/v2/current_user",
		Header: map[string]string{"DD-API-KEY": req.Parts[APIKeyRule], "DD-APPLICATION-KEY": req.Secret, "Accept": "application/json"},
	})
	if fail != nil {
		return *fail
	}
	switch resp.Status {
	case http.StatusOK:
		var u struct {
			Data struct {
				ID         string `json:"id"`
				Attributes struct {
					Email  string `json:"email"`
					Handle string `json:"handle"`
				} `json:"attributes"`
			} `json:"data"`
		}
		if json.Unmarshal(resp.Body, &u) != nil || u.Data.ID == "" {
			return verify.Unknownf(req, "unexpected answer from Datadog")
		}
		id := u.Data.Attributes.Email
		if id == "" {
			id = u.Data.Attributes.Handle
		}
		base, _ := c.BaseURL(v.ID(), site)
		return verify.Result{Status: verify.Live, Identity: id, Kind: "application key", Extra: map[string]string{"site": base}}
	case http.StatusForbidden, http.StatusUnauthorized:
		return verify.Result{Status: verify.Dead, Reason: "Datadog: the application key (or its API key) is invalid on every site"}
	}
	return verify.StatusResult(resp, req)
}
