package grafana

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/verify"
)

// searchLimit is the page size asked of the dashboard search (Grafana
// serves up to 5000).
const searchLimit = 1000

// Analyzer maps what a Grafana service-account token reaches on its
// instance (the one the verifier finds: [verify.endpoints] grafana or a
// Grafana Cloud stack): its organisation, whether it administers it (it
// can list the organisation's service accounts, which only org admins
// do by default), the data sources it sees, the dashboards it sees (by
// folder, paged) and, failing admin, whether it can save dashboards.
//
// Docs: https://grafana.com/docs/grafana/latest/developers/http_api/org/#get-current-organization,
// https://grafana.com/docs/grafana/latest/developers/http_api/serviceaccount/#search-service-accounts-with-paging,
// https://grafana.com/docs/grafana/latest/developers/http_api/data_source/#get-all-data-sources,
// https://grafana.com/docs/grafana/latest/developers/http_api/folder_dashboard_search/ (limit, page),
// https://grafana.com/docs/grafana/latest/developers/http_api/dashboard/#get-dashboard-by-uid (meta.canSave),
// https://grafana.com/docs/grafana/latest/administration/roles-and-permissions/ (basic roles).
type Analyzer struct{}

// ID implements analyze.Analyzer: the Grafana verifier's id.
func (Analyzer) ID() string { return "grafana" }

// Analyze implements analyze.Analyzer.
func (a Analyzer) Analyze(ctx context.Context, c *verify.Client, req verify.Request) (*analyze.Report, error) {
	base, err := c.TenantBase(a.ID(), req.Parts[URLRule], cloudHost())
	if err != nil {
		return nil, errors.New(verify.Scrub(err.Error()+" (or set [verify.endpoints] grafana)", req))
	}
	call := func(path string) verify.Call {
		return verify.Call{Verifier: a.ID(), Official: base, Path: path,
			Header: map[string]string{"Authorization": "Bearer " + req.Secret, "Accept": "application/json"}}
	}
	var org struct {
		ID   *int   `json:"id"`
		Name string `json:"name"`
	}
	if _, err := analyze.GetJSON(ctx, c, req, call("/api/org"), &org); err != nil || org.ID == nil {
		if analyze.IsStatus(err, http.StatusUnauthorized) {
			return nil, errors.New("Grafana: invalid service account token (401)")
		}
		if err == nil {
			err = errors.New("no organisation in the answer")
		}
		return nil, errors.New(verify.Scrub("Grafana organisation: "+err.Error(), req))
	}
	// The instance URL is a companion, not a secret: text is scrubbed of
	// the token only.
	own := verify.Request{Secret: req.Secret}
	host := strings.TrimPrefix(base, "https://")
	rep := &analyze.Report{Analyzer: a.ID(), Kind: "service account token"}
	rep.Identity = verify.Scrub(fmt.Sprintf("organisation %s (%d) on %s", org.Name, *org.ID, host), own)

	// Listing the org's service accounts takes serviceaccounts:read, an org
	// admin's permission by default; a 403 only says the token is not one.
	admin := false
	serviceAccounts := 0
	var sas struct {
		TotalCount int `json:"totalCount"`
	}
	if _, err := analyze.GetJSON(ctx, c, req, call("/api/serviceaccounts/search?perpage=1&page=1"), &sas); err == nil {
		admin = true
		serviceAccounts = sas.TotalCount
	} else if !analyze.IsStatus(err, http.StatusForbidden) {
		rep.Partial = append(rep.Partial, verify.Scrub("service accounts: "+err.Error(), req))
	}

	var sources []struct {
		Name string `json:"name"`
		Type string `json:"type"`
		UID  string `json:"uid"`
	}
	if _, err := analyze.GetJSON(ctx, c, req, call("/api/datasources"), &sources); err != nil {
		rep.Partial = append(rep.Partial, verify.Scrub("data sources: "+err.Error(), req))
	}
	for _, s := range sources {
		rep.Resources = append(rep.Resources, analyze.Resource{Kind: "data source", Name: verify.Scrub(s.Name+" ("+s.Type+")", own), Permissions: []string{"datasources:read"}})
	}

	dashboards, folders, firstUID, cut, err := a.searchDashboards(ctx, c, req, call)
	switch {
	case err != nil:
		rep.Partial = append(rep.Partial, verify.Scrub("dashboards: "+err.Error(), req))
	case cut:
		rep.Partial = append(rep.Partial, fmt.Sprintf("dashboards: stopped after %d pages", analyze.MaxPages))
	}

	role := "Viewer"
	switch {
	case admin:
		role = "Admin"
	case firstUID != "":
		var d struct {
			Meta struct {
				CanSave bool `json:"canSave"`
				CanEdit bool `json:"canEdit"`
			} `json:"meta"`
		}
		if _, err := analyze.GetJSON(ctx, c, req, call("/api/dashboards/uid/"+url.PathEscape(firstUID)), &d); err != nil {
			rep.Partial = append(rep.Partial, verify.Scrub("dashboard permissions: "+err.Error(), req))
		} else if d.Meta.CanSave {
			role = "Editor"
		}
	}
	rep.Resources = append(rep.Resources, analyze.Resource{Kind: "organization", Name: verify.Scrub(org.Name+" on "+host, own), Permissions: []string{role}})
	names := make([]string, 0, len(folders))
	for f := range folders {
		names = append(names, f)
	}
	sort.Strings(names)
	perm := "view"
	if role != "Viewer" {
		perm = "edit"
	}
	for _, f := range names {
		rep.Resources = append(rep.Resources, analyze.Resource{Kind: "folder", Name: verify.Scrub(fmt.Sprintf("%s (%d dashboards)", f, folders[f]), own), Permissions: []string{perm}})
	}

	reach := fmt.Sprintf("%d data sources, %d dashboards", len(sources), dashboards)
	if cut {
		reach = fmt.Sprintf("%d data sources, at least %d dashboards", len(sources), dashboards)
	}
	where := fmt.Sprintf("the Grafana organisation %s on %s", org.Name, host)
	switch {
	case admin:
		rep.Severity = analyze.SeverityAdmin
		rep.Worst = fmt.Sprintf("administers %s (%d service accounts, %s)", where, serviceAccounts, reach)
	case role == "Editor":
		rep.Severity = analyze.SeverityWrite
		rep.Worst = fmt.Sprintf("can change dashboards of %s (%s)", where, reach)
	case dashboards > 0 || len(sources) > 0:
		rep.Severity = analyze.SeverityRead
		rep.Worst = fmt.Sprintf("reads %s (%s)", where, reach)
	default:
		rep.Worst = "sees nothing in " + where
	}
	rep.Worst = verify.Scrub(rep.Worst, own)
	rep.Sort()
	return rep, nil
}

// searchDashboards pages through the dashboards the token sees, counting
// them per folder, until a page is short or analyze.MaxPages is reached.
func (a Analyzer) searchDashboards(ctx context.Context, c *verify.Client, req verify.Request, call func(string) verify.Call) (total int, folders map[string]int, firstUID string, cut bool, err error) {
	folders = map[string]int{}
	for page := 1; ; page++ {
		if page > analyze.MaxPages {
			return total, folders, firstUID, true, nil
		}
		if err := ctx.Err(); err != nil {
			return total, folders, firstUID, false, err
		}
		var hits []struct {
			UID         string `json:"uid"`
			Type        string `json:"type"`
			FolderTitle string `json:"folderTitle"`
		}
		if _, err := analyze.GetJSON(ctx, c, req, call(fmt.Sprintf("/api/search?type=dash-db&limit=%d&page=%d", searchLimit, page)), &hits); err != nil {
			return total, folders, firstUID, false, err
		}
		for _, h := range hits {
			if h.Type != "" && h.Type != "dash-db" {
				continue
			}
			total++
			if firstUID == "" {
				firstUID = h.UID
			}
			f := h.FolderTitle
			if f == "" {
				f = "General"
			}
			folders[f]++
		}
		if len(hits) < searchLimit {
			return total, folders, firstUID, false, nil
		}
	}
}
