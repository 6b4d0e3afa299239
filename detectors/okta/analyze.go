package okta

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

// Analyzer maps what an Okta API token reaches. The token acts as the
// user who made it, with that user's administrator roles: it reads the
// user (/api/v1/users/me), the user's roles and groups (paged with Link
// rel="next").
//
// Docs: https://developer.okta.com/docs/api/openapi/okta-management/management/tag/User/#tag/User/operation/getUser
// ("me" for the current user),
// https://developer.okta.com/docs/api/openapi/okta-management/management/tag/RoleAssignmentAUser/#tag/RoleAssignmentAUser/operation/listAssignedRolesForUser,
// https://developer.okta.com/docs/api/openapi/okta-management/management/tag/User/#tag/User/operation/listUserGroups,
// https://developer.okta.com/docs/api/#pagination (Link headers),
// https://developer.okta.com/docs/reference/rl-global-mgmt/ (429).
type Analyzer struct{}

// ID implements analyze.Analyzer: the Okta verifier's id.
func (Analyzer) ID() string { return "okta" }

// readOnlyRoles read the org without changing it.
var readOnlyRoles = map[string]bool{"READ_ONLY_ADMIN": true, "REPORT_ADMIN": true}

// Analyze implements analyze.Analyzer.
func (a Analyzer) Analyze(ctx context.Context, c *verify.Client, req verify.Request) (*analyze.Report, error) {
	base, err := c.TenantBase(a.ID(), req.Parts[DomainRule], orgHost())
	if err != nil {
		return nil, errors.New(verify.Scrub(err.Error(), req))
	}
	call := func(path string) verify.Call {
		return verify.Call{Verifier: a.ID(), Official: base, Path: path,
			Header: map[string]string{"Authorization": "SSWS " + req.Secret, "Accept": "application/json"}}
	}
	var me struct {
		ID      string `json:"id"`
		Status  string `json:"status"`
		Profile struct {
			Login string `json:"login"`
		} `json:"profile"`
	}
	if _, err := analyze.GetJSON(ctx, c, req, call("/api/v1/users/me"), &me); err != nil {
		if analyze.IsStatus(err, http.StatusUnauthorized) {
			return nil, errors.New("Okta: invalid token (401)")
		}
		return nil, errors.New(verify.Scrub("Okta current user: "+err.Error(), req))
	}
	// The org host is a companion, not a secret: report text is scrubbed
	// of the token only.
	own := verify.Request{Secret: req.Secret}
	org := strings.TrimPrefix(base, "https://")
	rep := &analyze.Report{Analyzer: a.ID(), Kind: "API token (acts as its user)", Severity: analyze.SeverityRead}
	rep.Identity = verify.Scrub(me.Profile.Login+" in "+org+" ("+me.Status+")", own)
	uid := url.PathEscape(me.ID)

	var roles []struct {
		Type   string `json:"type"`
		Label  string `json:"label"`
		Status string `json:"status"`
	}
	var admin []string
	if _, err := analyze.GetJSON(ctx, c, req, call("/api/v1/users/"+uid+"/roles"), &roles); err != nil {
		rep.Partial = append(rep.Partial, verify.Scrub("roles: "+err.Error(), req))
	}
	for _, r := range roles {
		rep.Resources = append(rep.Resources, analyze.Resource{Kind: "admin role", Name: verify.Scrub(r.Label, own), Permissions: []string{r.Type}})
		if r.Status == "ACTIVE" && !readOnlyRoles[r.Type] {
			admin = append(admin, r.Type)
		}
	}

	groups := 0
	cut, err := analyze.Pages(ctx, c, req, call("/api/v1/users/"+uid+"/groups?limit=200"), func(resp *verify.Response) error {
		var page []struct {
			ID      string `json:"id"`
			Type    string `json:"type"`
			Profile struct {
				Name string `json:"name"`
			} `json:"profile"`
		}
		if err := json.Unmarshal(resp.Body, &page); err != nil {
			return err
		}
		for _, g := range page {
			groups++
			rep.Resources = append(rep.Resources, analyze.Resource{Kind: "group", Name: verify.Scrub(g.Profile.Name+" ("+g.ID+")", own), Permissions: []string{"member"}})
		}
		return nil
	})
	switch {
	case err != nil:
		rep.Partial = append(rep.Partial, verify.Scrub("groups: "+err.Error(), req))
	case cut:
		rep.Partial = append(rep.Partial, fmt.Sprintf("groups: stopped after %d pages", analyze.MaxPages))
	}

	switch {
	case len(admin) > 0:
		rep.Severity = analyze.SeverityAdmin
		rep.Worst = fmt.Sprintf("administers the Okta org %s as %s (%s)", org, me.Profile.Login, strings.Join(admin, ", "))
	case len(roles) > 0:
		rep.Worst = fmt.Sprintf("reads the Okta org %s as %s (read-only admin)", org, me.Profile.Login)
	default:
		rep.Worst = fmt.Sprintf("acts as %s in the Okta org %s (no admin role; member of %d groups)", me.Profile.Login, org, groups)
	}
	rep.Worst = verify.Scrub(rep.Worst, own)
	rep.Sort()
	return rep, nil
}
