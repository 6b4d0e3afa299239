// Package supabase maps what a Supabase personal access token reaches.
package supabase

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/verify"
)

const official = "https://api.supabase.com"

// Analyzer lists the organizations (GET /v1/organizations) and projects
// (GET /v1/projects) of the token's user through the Management API. Both
// lists come whole, unpaged. A personal access token acts as its user on
// the Management API: it reads each project's API keys (service_role
// included), runs SQL and changes settings, so it administers every
// project listed.
//
// Docs: https://supabase.com/docs/reference/api/v1-list-all-organizations
// https://supabase.com/docs/reference/api/v1-list-all-projects
// https://supabase.com/docs/reference/api/introduction (authentication, rate limits)
type Analyzer struct{}

// ID implements analyze.Analyzer: the verifier's id.
func (Analyzer) ID() string { return "supabase" }

// Analyze implements analyze.Analyzer.
func (a Analyzer) Analyze(ctx context.Context, c *verify.Client, req verify.Request) (*analyze.Report, error) {
	call := func(path string) verify.Call {
		return verify.Call{Verifier: a.ID(), Official: official, Path: path, Header: map[string]string{"Authorization": "Bearer " + req.Secret}}
	}
	var orgs []struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	if _, err := analyze.GetJSON(ctx, c, req, call("/v1/organizations"), &orgs); err != nil {
		if analyze.IsStatus(err, http.StatusUnauthorized) {
			return nil, errors.New("Supabase rejected the token (401)")
		}
		return nil, errors.New(verify.Scrub("Supabase /v1/organizations: "+err.Error(), req))
	}
	rep := &analyze.Report{Analyzer: a.ID(), Kind: "personal access token"}
	orgName := map[string]string{}
	var names []string
	for _, o := range orgs {
		orgName[o.ID] = o.Name
		names = append(names, o.Name)
		rep.Resources = append(rep.Resources, analyze.Resource{Kind: "organization", Name: o.Name, Permissions: []string{"member"}})
	}
	if len(names) > 3 {
		names = append(names[:3], fmt.Sprintf("and %d more", len(orgs)-3))
	}
	rep.Identity = "member of " + strings.Join(names, ", ")

	var projects []struct {
		ID             string `json:"id"`
		Ref            string `json:"ref"`
		OrganizationID string `json:"organization_id"`
		Name           string `json:"name"`
		Region         string `json:"region"`
		Status         string `json:"status"`
	}
	if _, err := analyze.GetJSON(ctx, c, req, call("/v1/projects"), &projects); err != nil {
		rep.Partial = append(rep.Partial, verify.Scrub(err.Error(), req))
	}
	for _, p := range projects {
		ref := p.Ref
		if ref == "" {
			ref = p.ID
		}
		name := p.Name + " (" + ref + ")"
		if o := orgName[p.OrganizationID]; o != "" {
			name = o + "/" + name
		}
		rep.Resources = append(rep.Resources, analyze.Resource{Kind: "project", Name: name, Permissions: []string{"manage"}})
	}

	switch {
	case len(projects) > 0:
		rep.Severity = analyze.SeverityAdmin
		rep.Worst = fmt.Sprintf("administers %d Supabase %s in %d %s: databases, API keys (service_role) and settings", len(projects), plural(len(projects), "project"), len(orgs), plural(len(orgs), "organisation"))
	case len(orgs) > 0:
		rep.Severity = analyze.SeverityAdmin
		rep.Worst = fmt.Sprintf("can create projects in %d Supabase %s (no project listed)", len(orgs), plural(len(orgs), "organisation"))
	default:
		rep.Severity, rep.Worst = analyze.SeverityInfo, "verifies, but reaches no Supabase organisation"
	}
	rep.Sort()
	return rep, nil
}

func plural(n int, kind string) string {
	if n == 1 {
		return kind
	}
	return kind + "s"
}
