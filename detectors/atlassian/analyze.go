package atlassian

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/verify"
)

// Analyzer maps what an Atlassian Cloud API token reaches on its Jira
// site: the owner's profile, the owner's global permissions (Jira and
// system administration) and the projects the owner can browse, create
// issues in and administer, each listing paged by the answer's nextPage.
//
// Docs: https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-myself/#api-rest-api-3-myself-get,
// https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-permissions/#api-rest-api-3-mypermissions-get,
// https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-projects/#api-rest-api-3-project-search-get
// (action=browse|create|edit, startAt, maxResults, nextPage, isLast),
// https://developer.atlassian.com/cloud/jira/platform/basic-auth-for-rest-apis/,
// https://developer.atlassian.com/cloud/jira/platform/rate-limiting/ (429, Retry-After).
type Analyzer struct{}

// ID implements analyze.Analyzer: the Atlassian verifier's id.
func (Analyzer) ID() string { return "atlassian" }

// projectPage is the page size asked of the project search (Jira's
// documented maximum is 100; 50 is its default).
const projectPage = 50

// globalPermissions are asked of mypermissions; the project ones are
// answered for "any project".
var globalPermissions = []string{"ADMINISTER", "SYSTEM_ADMIN", "USER_PICKER", "BROWSE_PROJECTS", "CREATE_ISSUES", "ADMINISTER_PROJECTS"}

// projectActions are the project search's filters, with the permission
// each one means on the projects it returns.
var projectActions = []struct{ action, permission string }{
	{"browse", "browse"},
	{"create", "create issues"},
	{"edit", "administer project"},
}

// Analyze implements analyze.Analyzer.
func (a Analyzer) Analyze(ctx context.Context, c *verify.Client, req verify.Request) (*analyze.Report, error) {
	email := req.Parts[EmailRule]
	if email == "" {
		return nil, errors.New("an Atlassian API token needs its owner's e-mail; none found nearby")
	}
	base, err := c.TenantBase(a.ID(), req.Parts[DomainRule], siteHost())
	if err != nil {
		return nil, errors.New(verify.Scrub(err.Error(), req))
	}
	call := func(path string) verify.Call {
		return verify.Call{Verifier: a.ID(), Official: base, Path: path,
			Header: map[string]string{"Accept": "application/json"}, BasicUser: email, BasicPass: req.Secret}
	}
	var me struct {
		AccountID   string `json:"accountId"`
		Email       string `json:"emailAddress"`
		DisplayName string `json:"displayName"`
		Active      bool   `json:"active"`
	}
	if _, err := analyze.GetJSON(ctx, c, req, call("/rest/api/3/myself"), &me); err != nil || me.AccountID == "" {
		if analyze.IsStatus(err, http.StatusUnauthorized) {
			return nil, errors.New("Atlassian: invalid API token or e-mail (401)")
		}
		if err == nil {
			err = errors.New("no account in the answer")
		}
		return nil, errors.New(verify.Scrub("Atlassian myself: "+err.Error(), req))
	}
	// The site and the e-mail are companions, not secrets: report text is
	// scrubbed of the token only.
	own := verify.Request{Secret: req.Secret}
	site := strings.TrimPrefix(base, "https://")
	rep := &analyze.Report{Analyzer: a.ID(), Kind: "API token (acts as its owner)"}
	id := me.DisplayName
	if me.Email != "" {
		id += " <" + me.Email + ">"
	}
	rep.Identity = verify.Scrub(fmt.Sprintf("%s (%s) on %s", id, me.AccountID, site), own)

	var perms struct {
		Permissions map[string]struct {
			Type           string `json:"type"`
			HavePermission bool   `json:"havePermission"`
		} `json:"permissions"`
	}
	global := map[string]bool{}
	if _, err := analyze.GetJSON(ctx, c, req, call("/rest/api/3/mypermissions?permissions="+strings.Join(globalPermissions, ",")), &perms); err != nil {
		rep.Partial = append(rep.Partial, verify.Scrub("permissions: "+err.Error(), req))
	}
	for k, p := range perms.Permissions {
		if p.HavePermission {
			rep.Scopes = append(rep.Scopes, verify.Scrub(k, own))
			global[k] = true
		}
	}
	sort.Strings(rep.Scopes)
	var siteRights []string
	for _, k := range []string{"ADMINISTER", "SYSTEM_ADMIN"} {
		if global[k] {
			siteRights = append(siteRights, k)
		}
	}
	rep.Resources = append(rep.Resources, analyze.Resource{Kind: "site", Name: verify.Scrub(site, own), Permissions: siteRights})

	projects := map[string]*analyze.Resource{}
	var order []string
	counts := map[string]int{}
	cutAny := false
	for _, pa := range projectActions {
		path := fmt.Sprintf("/rest/api/3/project/search?action=%s&startAt=0&maxResults=%d", pa.action, projectPage)
		cut, err := a.projectPages(ctx, c, req, base, call, path, func(key, name string) {
			counts[pa.permission]++
			r, ok := projects[key]
			if !ok {
				r = &analyze.Resource{Kind: "project", Name: verify.Scrub(key+" ("+name+")", own)}
				projects[key] = r
				order = append(order, key)
			}
			r.Permissions = append(r.Permissions, pa.permission)
		})
		switch {
		case err != nil:
			rep.Partial = append(rep.Partial, verify.Scrub("projects ("+pa.action+"): "+err.Error(), req))
		case cut:
			cutAny = true
			rep.Partial = append(rep.Partial, fmt.Sprintf("projects (%s): stopped after %d pages", pa.action, analyze.MaxPages))
		}
	}
	for _, k := range order {
		rep.Resources = append(rep.Resources, *projects[k])
	}

	atLeast := ""
	if cutAny {
		atLeast = "at least "
	}
	where := fmt.Sprintf("on the Atlassian site %s as %s", site, me.DisplayName)
	switch {
	case len(siteRights) > 0:
		rep.Severity = analyze.SeverityAdmin
		rep.Worst = fmt.Sprintf("administers Jira (%s) %s: %s%d projects", strings.Join(siteRights, ", "), where, atLeast, len(order))
	case counts["administer project"] > 0:
		rep.Severity = analyze.SeverityAdmin
		rep.Worst = fmt.Sprintf("administers %s%d Jira projects %s (creates issues in %d, browses %d)", atLeast, counts["administer project"], where, counts["create issues"], counts["browse"])
	case counts["create issues"] > 0:
		rep.Severity = analyze.SeverityWrite
		rep.Worst = fmt.Sprintf("creates issues in %s%d Jira projects %s (browses %d)", atLeast, counts["create issues"], where, counts["browse"])
	case counts["browse"] > 0:
		rep.Severity = analyze.SeverityRead
		rep.Worst = fmt.Sprintf("browses %s%d Jira projects %s", atLeast, counts["browse"], where)
	default:
		rep.Worst = "sees no Jira project " + where
	}
	rep.Worst = verify.Scrub(rep.Worst, own)
	rep.Sort()
	return rep, nil
}

// projectPages follows the project search's nextPage links (only under
// the site's base URL), up to analyze.MaxPages, handing each project to
// each. It returns whether the page limit cut the listing.
func (a Analyzer) projectPages(ctx context.Context, c *verify.Client, req verify.Request, base string, call func(string) verify.Call, path string, each func(key, name string)) (bool, error) {
	for page := 0; ; page++ {
		if page == analyze.MaxPages {
			return true, nil
		}
		if err := ctx.Err(); err != nil {
			return false, err
		}
		var body struct {
			NextPage string `json:"nextPage"`
			IsLast   bool   `json:"isLast"`
			Values   []struct {
				Key  string `json:"key"`
				Name string `json:"name"`
			} `json:"values"`
		}
		if _, err := analyze.GetJSON(ctx, c, req, call(path), &body); err != nil {
			return false, err
		}
		for _, v := range body.Values {
			each(v.Key, v.Name)
		}
		if body.IsLast || body.NextPage == "" {
			return false, nil
		}
		next, ok := analyze.PathUnder(base, body.NextPage)
		if !ok {
			return false, errors.New("refusing a next page on another host")
		}
		path = next
	}
}
