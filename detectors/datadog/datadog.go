// Package datadog verifies Datadog API keys (GET /api/v1/validate) and
// application keys together with their API key (GET /api/v2/current_user
// with both headers: the key's user).
//
// A key works on one Datadog site only. Unless [verify.endpoints] datadog
// names the site, the verifier asks the documented sites in turn until one
// accepts the key (one request per site asked, at most len(Sites)); the
// key is dead only when every site rejects it. An application key is asked
// about once, on the site where its API key works.
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
// (https://docs.datadoghq.com/getting_started/site/: the API host is
// api.<site parameter>).
var Sites = []string{
	"https://api.datadoghq.com",     // US1
	"https://api.datadoghq.eu",      // EU1
	"https://api.us3.datadoghq.com", // US3
	"https://api.us5.datadoghq.com", // US5
	"https://api.ap1.datadoghq.com", // AP1
	"https://api.ap2.datadoghq.com", // AP2
	"https://api.uk1.datadoghq.com", // UK1
	"https://api.ddog-gov.com",      // US1-FED
	"https://api.us2.ddog-gov.com",  // US2-FED
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
	apiKey := req.Secret
	if appKey {
		apiKey = req.Parts[APIKeyRule]
		if apiKey == "" {
			return verify.Result{Status: verify.Unknown, Reason: "an application key needs its API key; none found nearby"}
		}
	}
	// The site is the one that knows the API key.
	var res verify.Result
	for _, site := range sites {
		res = v.apiKey(ctx, c, req, apiKey, site)
		if res.Status != verify.Dead {
			break
		}
	}
	if !appKey || res.Status != verify.Live {
		if appKey && res.Status == verify.Dead {
			return verify.Result{Status: verify.Unknown, Reason: "the API key found next to the application key is invalid on every Datadog site: the pairing may be wrong"}
		}
		return res
	}
	return v.appKey(ctx, c, req, res.Extra["site"])
}

func (v Verifier) apiKey(ctx context.Context, c *verify.Client, req verify.Request, key, site string) verify.Result {
	resp, fail := c.Send(ctx, req, verify.Call{
		Verifier: v.ID(), Official: site, Path: "/api/v1/validate",
		Header: map[string]string{"DD-API-KEY": key, "Accept": "application/json"},
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
		return verify.Result{Status: verify.Dead, Reason: "Datadog: invalid API key on every site asked"}
	case resp.Status == http.StatusOK:
		return verify.Unknownf(req, "unexpected answer from Datadog")
	}
	return verify.StatusResult(resp, req)
}

// appKey asks for the application key's user at base, the site (or the
// configured endpoint) where its API key works.
func (v Verifier) appKey(ctx context.Context, c *verify.Client, req verify.Request, base string) verify.Result {
	resp, fail := c.Send(ctx, req, verify.Call{
		Verifier: v.ID(), Official: base, Path: "/api/v2/current_user",
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
		return verify.Result{Status: verify.Live, Identity: id, Kind: "application key", Extra: map[string]string{"site": base}}
	case http.StatusUnauthorized:
		return verify.Result{Status: verify.Dead, Reason: "Datadog: the application key is invalid (its API key works on " + base + ")"}
	case http.StatusForbidden:
		return verify.Unknownf(req, "Datadog: forbidden (403) with a working API key: the application key is invalid, or scoped without access to its user")
	}
	return verify.StatusResult(resp, req)
}
