// Package linode maps what a Linode (Akamai Cloud) API token reaches.
package linode

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/verify"
)

const official = "https://api.linode.com"

// Analyzer reads the token's profile (GET /v4/profile): an unrestricted
// user administers the whole account; a restricted user's grants
// (GET /v4/profile/grants) say what it may do, account-wide and per
// entity (linode, domain, volume, ...).
//
// Docs: https://techdocs.akamai.com/linode-api/reference/get-profile
// https://techdocs.akamai.com/linode-api/reference/get-profile-grants
type Analyzer struct{}

// ID implements analyze.Analyzer: the verifier's id.
func (Analyzer) ID() string { return "linode" }

// Analyze implements analyze.Analyzer.
func (a Analyzer) Analyze(ctx context.Context, c *verify.Client, req verify.Request) (*analyze.Report, error) {
	auth := map[string]string{"Authorization": "Bearer " + req.Secret}
	var prof struct {
		Username   string `json:"username"`
		Email      string `json:"email"`
		Restricted bool   `json:"restricted"`
	}
	if _, err := analyze.GetJSON(ctx, c, req, verify.Call{Verifier: a.ID(), Official: official, Path: "/v4/profile", Header: auth}, &prof); err != nil {
		if analyze.IsStatus(err, http.StatusUnauthorized) {
			return nil, errors.New("Linode rejected the token (401)")
		}
		return nil, errors.New(verify.Scrub("Linode /v4/profile: "+err.Error(), req))
	}
	rep := &analyze.Report{Analyzer: a.ID(), Identity: prof.Username + " <" + prof.Email + ">", Kind: "personal access token"}
	if !prof.Restricted {
		rep.Kind += " of an unrestricted user"
		rep.Resources = []analyze.Resource{{Kind: "account", Name: prof.Username, Permissions: []string{"unrestricted"}}}
		rep.Severity = analyze.SeverityAdmin
		rep.Worst = "unrestricted user " + prof.Username + ": every Linode, billing and user of the account (within the token's scopes)"
		rep.Sort()
		return rep, nil
	}
	rep.Kind += " of a restricted user"
	resp, fail := c.Send(ctx, req, verify.Call{Verifier: a.ID(), Official: official, Path: "/v4/profile/grants", Header: auth})
	if fail != nil {
		rep.Partial = append(rep.Partial, "/v4/profile/grants: "+fail.Reason)
		rep.Worst = "restricted user " + prof.Username + " (grants unreadable)"
		return rep, nil
	}
	if resp.Status != http.StatusOK {
		rep.Partial = append(rep.Partial, fmt.Sprintf("/v4/profile/grants answered HTTP %d", resp.Status))
		rep.Worst = "restricted user " + prof.Username + " (grants unreadable)"
		return rep, nil
	}
	var grants map[string]json.RawMessage
	if json.Unmarshal(resp.Body, &grants) != nil {
		return nil, errors.New("/v4/profile/grants: the answer is not the documented JSON")
	}
	var global map[string]any
	_ = json.Unmarshal(grants["global"], &global)
	var gperms []string
	sev := analyze.SeverityInfo
	for k, v := range global {
		switch x := v.(type) {
		case bool:
			if x {
				gperms = append(gperms, k)
				sev = max(sev, analyze.SeverityWrite)
			}
		case string:
			gperms = append(gperms, k+":"+x)
			if k == "account_access" && x == "read_write" {
				sev = analyze.SeverityAdmin
			} else if x != "" {
				sev = max(sev, analyze.SeverityRead)
			}
		}
	}
	if len(gperms) > 0 {
		rep.Resources = append(rep.Resources, analyze.Resource{Kind: "account", Name: prof.Username, Permissions: gperms})
	}
	counts := map[string]int{}
	for kind, raw := range grants {
		if kind == "global" {
			continue
		}
		var entities []struct {
			ID          int    `json:"id"`
			Label       string `json:"label"`
			Permissions string `json:"permissions"`
		}
		if json.Unmarshal(raw, &entities) != nil {
			continue
		}
		for _, e := range entities {
			if e.Permissions == "" {
				continue
			}
			rep.Resources = append(rep.Resources, analyze.Resource{Kind: kind, Name: fmt.Sprintf("%s (%d)", e.Label, e.ID), Permissions: []string{e.Permissions}})
			if e.Permissions == "read_write" {
				counts[kind]++
				sev = max(sev, analyze.SeverityWrite)
			} else {
				sev = max(sev, analyze.SeverityRead)
			}
		}
	}
	rep.Severity = sev
	switch {
	case sev == analyze.SeverityAdmin:
		rep.Worst = "read_write account access (billing, users) for restricted user " + prof.Username
	case len(counts) > 0:
		var parts []string
		for k, n := range counts {
			parts = append(parts, fmt.Sprintf("%d %s", n, k))
		}
		sort.Strings(parts)
		rep.Worst = "read_write on " + strings.Join(parts, ", ")
	case sev == analyze.SeverityWrite:
		rep.Worst = "may create " + strings.Join(addGrants(gperms), ", ")
	case sev == analyze.SeverityRead:
		rep.Worst = "read_only grants of restricted user " + prof.Username
	default:
		rep.Worst = "restricted user " + prof.Username + " with no grants"
	}
	rep.Sort()
	return rep, nil
}

func addGrants(perms []string) []string {
	var out []string
	for _, p := range perms {
		if n, ok := strings.CutPrefix(p, "add_"); ok {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}
