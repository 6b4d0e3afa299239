// Package launchdarkly maps what a LaunchDarkly API access token reaches.
package launchdarkly

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/verify"
)

const official = "https://app.launchdarkly.com"

// Analyzer reads who the token is (GET /api/v2/caller-identity), the
// token's own role (GET /api/v2/tokens/{id}: reader, writer, admin or
// owner, or custom roles) and the projects it sees (GET /api/v2/projects,
// following _links.next on the same host up to analyze.MaxPages). A writer
// turns flags on and off in production; an admin also manages members and
// tokens.
//
// Docs: https://apidocs.launchdarkly.com/tag/Other#operation/getCallerIdentity
// https://apidocs.launchdarkly.com/tag/Access-tokens#operation/getToken
// https://apidocs.launchdarkly.com/tag/Projects#operation/getProjects
// https://docs.launchdarkly.com/home/account/built-in-roles
type Analyzer struct{}

// ID implements analyze.Analyzer: the verifier's id.
func (Analyzer) ID() string { return "launchdarkly" }

// Analyze implements analyze.Analyzer.
func (a Analyzer) Analyze(ctx context.Context, c *verify.Client, req verify.Request) (*analyze.Report, error) {
	call := func(path string) verify.Call {
		return verify.Call{Verifier: a.ID(), Official: official, Path: path, Header: map[string]string{"Authorization": req.Secret}}
	}
	var who struct {
		AccountID    string `json:"accountId"`
		TokenID      string `json:"tokenId"`
		TokenName    string `json:"tokenName"`
		TokenKind    string `json:"tokenKind"`
		ServiceToken bool   `json:"serviceToken"`
	}
	if _, err := analyze.GetJSON(ctx, c, req, call("/api/v2/caller-identity"), &who); err != nil {
		if analyze.IsStatus(err, http.StatusUnauthorized) {
			return nil, errors.New("LaunchDarkly rejected the token (401)")
		}
		return nil, errors.New(verify.Scrub("LaunchDarkly /api/v2/caller-identity: "+err.Error(), req))
	}
	rep := &analyze.Report{Analyzer: a.ID(), Identity: who.TokenName + " (account " + who.AccountID + ")", Kind: who.TokenKind + " access token"}
	role := ""
	var tok struct {
		Role          string   `json:"role"`
		CustomRoleIDs []string `json:"customRoleIds"`
	}
	if who.TokenID == "" {
		rep.Partial = append(rep.Partial, "role: the caller identity names no token")
	} else if _, err := analyze.GetJSON(ctx, c, req, call("/api/v2/tokens/"+url.PathEscape(who.TokenID)), &tok); err != nil {
		rep.Partial = append(rep.Partial, verify.Scrub("role: "+err.Error(), req))
	} else {
		role = tok.Role
		if role != "" {
			rep.Scopes = append(rep.Scopes, "role:"+role)
		}
		for _, id := range tok.CustomRoleIDs {
			rep.Scopes = append(rep.Scopes, "custom-role:"+id)
		}
	}
	projects := 0
	truncated, err := pages(ctx, c, req, call("/api/v2/projects?limit=20"), func(body []byte) (string, error) {
		var page struct {
			Items []struct{ Key, Name string } `json:"items"`
			Links struct {
				Next struct {
					Href string `json:"href"`
				} `json:"next"`
			} `json:"_links"`
		}
		if err := json.Unmarshal(body, &page); err != nil {
			return "", errors.New("the projects answer is not the documented JSON")
		}
		for _, p := range page.Items {
			rep.Resources = append(rep.Resources, analyze.Resource{Kind: "project", Name: p.Key, Permissions: rolePermissions(role, len(tok.CustomRoleIDs) > 0)})
			projects++
		}
		return page.Links.Next.Href, nil
	})
	switch {
	case err != nil:
		rep.Partial = append(rep.Partial, verify.Scrub("projects: "+err.Error(), req))
	case truncated:
		rep.Partial = append(rep.Partial, fmt.Sprintf("projects: stopped after %d pages", analyze.MaxPages))
	}
	switch {
	case role == "admin" || role == "owner":
		rep.Severity = analyze.SeverityAdmin
		rep.Worst = fmt.Sprintf("%s of the LaunchDarkly account %s: changes flags in every environment of %d projects and manages members and tokens", role, who.AccountID, projects)
	case role == "writer" || len(tok.CustomRoleIDs) > 0:
		rep.Severity = analyze.SeverityWrite
		rep.Worst = fmt.Sprintf("can turn feature flags on and off (production included) in %d LaunchDarkly projects", projects)
		if role != "writer" {
			rep.Worst += " as far as its custom roles allow"
		}
	case role == "reader":
		rep.Severity = analyze.SeverityRead
		rep.Worst = fmt.Sprintf("reads the flags and settings of %d LaunchDarkly projects", projects)
	default:
		rep.Severity = analyze.SeverityRead
		rep.Worst = fmt.Sprintf("sees %d LaunchDarkly projects (its role could not be read)", projects)
	}
	rep.Sort()
	return rep, nil
}

// pages follows a listing whose answers name their next page in the body
// (_links.next.href, a path), on the same host, up to analyze.MaxPages.
func pages(ctx context.Context, c *verify.Client, req verify.Request, first verify.Call, each func([]byte) (string, error)) (truncated bool, err error) {
	base, err := c.BaseURL(first.Verifier, first.Official)
	if err != nil {
		return false, err
	}
	call := first
	for page := 0; page < analyze.MaxPages; page++ {
		resp, err := analyze.GetJSON(ctx, c, req, call, nil)
		if err != nil {
			return false, err
		}
		next, err := each(resp.Body)
		if err != nil || next == "" {
			return false, err
		}
		path, ok := analyze.PathUnder(base, resolve(base, next))
		if !ok {
			return false, errors.New("refusing a next page on another host")
		}
		call.Path = path
	}
	return true, nil
}

// resolve makes a next link that is a path absolute under base's origin.
func resolve(base, link string) string {
	b, err1 := url.Parse(base)
	l, err2 := url.Parse(link)
	if err1 != nil || err2 != nil {
		return link
	}
	return b.ResolveReference(l).String()
}

func rolePermissions(role string, custom bool) []string {
	switch {
	case role != "":
		return []string{role}
	case custom:
		return []string{"custom roles"}
	}
	return nil
}
