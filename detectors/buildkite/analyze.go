// Package buildkite maps what a Buildkite API access token reaches.
package buildkite

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/verify"
)

const official = "https://api.buildkite.com"

// Analyzer reads the token's own scopes (GET /v2/access-token), the
// organizations it can read (GET /v2/organizations) and, for each of up to
// ten, its pipelines (GET /v2/organizations/{org}/pipelines, 100 a page,
// Link-paginated). A token with write_builds can start builds — run code
// on the organization's agents, with their secrets — and is rated write;
// write_pipelines or write_teams change what runs and who may, and rate
// admin.
//
// Docs: https://buildkite.com/docs/apis/rest-api/access-token
// https://buildkite.com/docs/apis/rest-api/organizations
// https://buildkite.com/docs/apis/rest-api/pipelines
// https://buildkite.com/docs/apis/rest-api#pagination
// https://buildkite.com/docs/apis/managing-api-tokens#token-scopes
type Analyzer struct{}

// ID implements analyze.Analyzer: the verifier's id.
func (Analyzer) ID() string { return "buildkite" }

// maxOrgs bounds the organizations whose pipelines are listed.
const maxOrgs = 10

// Analyze implements analyze.Analyzer.
func (a Analyzer) Analyze(ctx context.Context, c *verify.Client, req verify.Request) (*analyze.Report, error) {
	call := func(path string) verify.Call {
		return verify.Call{Verifier: a.ID(), Official: official, Path: path, Header: map[string]string{"Authorization": "Bearer " + req.Secret}}
	}
	var tok struct {
		UUID   string   `json:"uuid"`
		Scopes []string `json:"scopes"`
	}
	if _, err := analyze.GetJSON(ctx, c, req, call("/v2/access-token"), &tok); err != nil {
		if analyze.IsStatus(err, http.StatusUnauthorized) {
			return nil, errors.New("Buildkite rejected the token (401)")
		}
		return nil, errors.New(verify.Scrub("Buildkite /v2/access-token: "+err.Error(), req))
	}
	rep := &analyze.Report{Analyzer: a.ID(), Identity: "token " + tok.UUID, Kind: "API access token", Scopes: tok.Scopes}
	has := map[string]bool{}
	for _, s := range tok.Scopes {
		has[s] = true
	}
	var orgs []struct{ Slug, Name string }
	if has["read_organizations"] {
		if _, err := analyze.GetJSON(ctx, c, req, call("/v2/organizations"), &orgs); err != nil {
			rep.Partial = append(rep.Partial, verify.Scrub("organizations: "+err.Error(), req))
		}
	} else {
		rep.Partial = append(rep.Partial, "organizations: the token lacks read_organizations")
	}
	perms := orgPermissions(has)
	pipelines := 0
	for i, o := range orgs {
		rep.Resources = append(rep.Resources, analyze.Resource{Kind: "organization", Name: o.Slug, Permissions: perms})
		if !has["read_pipelines"] {
			continue
		}
		if i == maxOrgs {
			rep.Partial = append(rep.Partial, fmt.Sprintf("pipelines: listed for the first %d organizations only", maxOrgs))
			break
		}
		truncated, err := analyze.Pages(ctx, c, req, call("/v2/organizations/"+url.PathEscape(o.Slug)+"/pipelines?per_page=100"), func(r *verify.Response) error {
			var ps []struct{ Slug string }
			if err := json.Unmarshal(r.Body, &ps); err != nil {
				return errors.New("the pipelines answer is not the documented JSON")
			}
			for _, p := range ps {
				rep.Resources = append(rep.Resources, analyze.Resource{Kind: "pipeline", Name: o.Slug + "/" + p.Slug, Permissions: perms})
				pipelines++
			}
			return nil
		})
		switch {
		case err != nil:
			rep.Partial = append(rep.Partial, verify.Scrub("pipelines of "+o.Slug+": "+err.Error(), req))
		case truncated:
			rep.Partial = append(rep.Partial, fmt.Sprintf("pipelines of %s: stopped after %d pages", o.Slug, analyze.MaxPages))
		}
	}
	switch {
	case has["write_pipelines"] || has["write_teams"]:
		rep.Severity = analyze.SeverityAdmin
		rep.Worst = fmt.Sprintf("can change what %s run and start builds, in %s", plural(pipelines, "pipeline"), plural(len(orgs), "organization"))
	case has["write_builds"]:
		rep.Severity = analyze.SeverityWrite
		rep.Worst = fmt.Sprintf("can start builds (code on the agents, with their secrets) of %s in %s", plural(pipelines, "pipeline"), plural(len(orgs), "organization"))
	case len(tok.Scopes) > 0:
		rep.Severity = analyze.SeverityRead
		rep.Worst = "reads " + strings.Join(tok.Scopes, ", ") + " in " + plural(len(orgs), "organization")
	default:
		rep.Severity, rep.Worst = analyze.SeverityInfo, "a token without scopes"
	}
	rep.Sort()
	return rep, nil
}

// orgPermissions names what the token's scopes allow on every resource of
// an organization.
func orgPermissions(has map[string]bool) []string {
	var out []string
	for _, s := range []string{"read_builds", "write_builds", "read_pipelines", "write_pipelines", "read_build_logs", "read_artifacts", "write_teams"} {
		if has[s] {
			out = append(out, s)
		}
	}
	return out
}

func plural(n int, one string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %ss", n, one)
}
