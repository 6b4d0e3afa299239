// Package openrouter maps what a leaked OpenRouter key can reach: its
// spending limit and usage, and for a management (provisioning) key the
// account's API keys it can create, change and delete.
package openrouter

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/verify"
)

// official is the API base the "openrouter" verifier uses.
const official = "https://openrouter.ai"

// Analyzer maps an API key or a management key (sk-or-v1-).
//
// Docs: https://openrouter.ai/docs/api/api-reference/api-keys/get-current-key
// (GET /api/v1/key: label, limit, limit_remaining, limit_reset, usage,
// is_free_tier, is_management_key / is_provisioning_key),
// https://openrouter.ai/docs/api/api-reference/api-keys/list (GET
// /api/v1/keys?offset=, management keys only).
type Analyzer struct{}

// ID implements analyze.Analyzer.
func (Analyzer) ID() string { return "openrouter" }

// Analyze implements analyze.Analyzer.
func (a Analyzer) Analyze(ctx context.Context, c *verify.Client, req verify.Request) (*analyze.Report, error) {
	call := func(path string) verify.Call {
		return verify.Call{Verifier: a.ID(), Official: official, Path: path, Header: map[string]string{"Authorization": "Bearer " + req.Secret}}
	}
	var key struct {
		Data struct {
			Label             string   `json:"label"`
			Limit             *float64 `json:"limit"`
			LimitRemaining    *float64 `json:"limit_remaining"`
			LimitReset        string   `json:"limit_reset"`
			Usage             float64  `json:"usage"`
			IsFreeTier        bool     `json:"is_free_tier"`
			IsManagementKey   bool     `json:"is_management_key"`
			IsProvisioningKey bool     `json:"is_provisioning_key"`
			CreatorUserID     string   `json:"creator_user_id"`
		} `json:"data"`
	}
	_, err := analyze.GetJSON(ctx, c, req, call("/api/v1/key"), &key)
	switch {
	case err == nil:
	case analyze.IsStatus(err, http.StatusUnauthorized):
		return nil, errors.New("openrouter: the key is not valid (401 from /api/v1/key)")
	default:
		return nil, fmt.Errorf("openrouter: %s", verify.Scrub(err.Error(), req))
	}
	d := key.Data
	rep := &analyze.Report{Analyzer: a.ID(), Identity: verify.Scrub(d.CreatorUserID, req), Kind: "API key"}
	if d.IsFreeTier {
		rep.Kind = "free-tier API key"
	}
	limit := "no spending limit"
	if d.Limit != nil {
		limit = fmt.Sprintf("limit %.2f USD", *d.Limit)
		if d.LimitRemaining != nil {
			limit += fmt.Sprintf(", %.2f remaining", *d.LimitRemaining)
		}
		if d.LimitReset != "" {
			limit += ", resets " + d.LimitReset
		}
	}
	rep.Resources = append(rep.Resources, analyze.Resource{Kind: "credits", Name: fmt.Sprintf("%s (%.2f USD used)", limit, d.Usage), Permissions: []string{"spend"}})

	if d.IsManagementKey || d.IsProvisioningKey {
		rep.Kind = "management key"
		rep.Severity = analyze.SeverityAdmin
		n, truncated, err := listKeys(ctx, c, req, call, rep)
		if err != nil {
			rep.Partial = append(rep.Partial, "keys: "+verify.Scrub(err.Error(), req))
		}
		if truncated {
			rep.Partial = append(rep.Partial, fmt.Sprintf("keys: stopped after %d pages", analyze.MaxPages))
		}
		rep.Worst = fmt.Sprintf("management key: can create, change and delete the account's API keys (%d listed)", n)
		rep.Sort()
		return rep, nil
	}
	rep.Severity = analyze.SeverityRead
	if d.Limit == nil {
		rep.Worst = fmt.Sprintf("can spend the OpenRouter account's credits on any model without a limit (%.2f USD used so far)", d.Usage)
	} else {
		rep.Worst = "can spend the OpenRouter account's credits on any model (" + limit + ")"
	}
	rep.Sort()
	return rep, nil
}

// listKeys pages through the account's keys with offset=, up to
// analyze.MaxPages pages.
func listKeys(ctx context.Context, c *verify.Client, req verify.Request, call func(string) verify.Call, rep *analyze.Report) (n int, truncated bool, err error) {
	for page := 0; page < analyze.MaxPages; page++ {
		var list struct {
			Data []struct {
				Name     string `json:"name"`
				Label    string `json:"label"`
				Disabled bool   `json:"disabled"`
			} `json:"data"`
		}
		if _, err := analyze.GetJSON(ctx, c, req, call(fmt.Sprintf("/api/v1/keys?offset=%d", n)), &list); err != nil {
			return n, false, err
		}
		if len(list.Data) == 0 {
			return n, false, nil
		}
		for _, k := range list.Data {
			perms := []string{"manage"}
			if k.Disabled {
				perms = append(perms, "disabled")
			}
			name := k.Name
			if k.Label != "" {
				name += " (" + k.Label + ")"
			}
			rep.Resources = append(rep.Resources, analyze.Resource{Kind: "api key", Name: verify.Scrub(name, req), Permissions: perms})
		}
		n += len(list.Data)
	}
	return n, true, nil
}
