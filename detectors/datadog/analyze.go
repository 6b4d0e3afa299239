package datadog

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

// Analyzer maps what Datadog keys reach. An API key alone submits data
// (metrics, logs, events) to its organisation and reads nothing: the report
// names the site that knows it. An application key, with its API key,
// acts as its user: GET /api/v2/current_user returns the user, the
// organisation and the user's roles with their permissions, which is what
// the key can do unless it was created with narrower scopes.
//
// Docs: https://docs.datadoghq.com/api/latest/authentication/ (validate;
// DD-API-KEY and DD-APPLICATION-KEY headers),
// https://docs.datadoghq.com/api/latest/users/get-current-user/ (user,
// org, roles and their permissions in "included"),
// https://docs.datadoghq.com/account_management/rbac/permissions/,
// https://docs.datadoghq.com/api/latest/rate-limits/ (429).
type Analyzer struct {
	// Sites replaces the documented site list (tests).
	Sites []string
}

// ID implements analyze.Analyzer: the Datadog verifier's id.
func (Analyzer) ID() string { return "datadog" }

// Analyze implements analyze.Analyzer.
func (a Analyzer) Analyze(ctx context.Context, c *verify.Client, req verify.Request) (*analyze.Report, error) {
	v := Verifier{Sites: a.Sites}
	appKey := req.RuleID == AppKeyRule
	apiKey := req.Secret
	if appKey {
		apiKey = req.Parts[APIKeyRule]
		if apiKey == "" {
			return nil, errors.New("a Datadog application key needs its API key; none found nearby")
		}
	}
	sites := Sites
	if a.Sites != nil {
		sites = a.Sites
	}
	if _, ok := c.Endpoints[a.ID()]; ok {
		sites = sites[:1]
	}
	var res verify.Result
	for _, site := range sites {
		if res = v.apiKey(ctx, c, req, apiKey, site); res.Status != verify.Dead {
			break
		}
	}
	if res.Status != verify.Live {
		return nil, errors.New(verify.Scrub("Datadog: "+res.Reason, req))
	}
	site := res.Extra["site"]
	if !appKey {
		return &analyze.Report{
			Analyzer: a.ID(), Identity: "an organisation on " + site, Kind: "API key",
			Resources: []analyze.Resource{{Kind: "site", Name: site, Permissions: []string{"submit data (metrics, logs, events)"}}},
			Worst:     "can submit metrics, logs and events to a Datadog organisation on " + site + " (an API key alone reads nothing)",
			Severity:  analyze.SeverityWrite,
		}, nil
	}
	return a.appKey(ctx, c, req, site)
}

type currentUser struct {
	Data struct {
		ID         string `json:"id"`
		Attributes struct {
			Email  string `json:"email"`
			Handle string `json:"handle"`
			Name   string `json:"name"`
			Status string `json:"status"`
		} `json:"attributes"`
		Relationships struct {
			Roles struct {
				Data []ref `json:"data"`
			} `json:"roles"`
			Org struct {
				Data ref `json:"data"`
			} `json:"org"`
		} `json:"relationships"`
	} `json:"data"`
	Included []struct {
		ref
		Attributes struct {
			Name     string `json:"name"`
			PublicID string `json:"public_id"`
		} `json:"attributes"`
		Relationships struct {
			Permissions struct {
				Data []ref `json:"data"`
			} `json:"permissions"`
		} `json:"relationships"`
	} `json:"included"`
}

type ref struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

// adminPermissions administer the organisation or make credentials.
var adminPermissions = map[string]bool{"user_access_manage": true, "org_management": true, "api_keys_write": true, "user_app_keys": true, "org_app_keys_write": true, "service_account_write": true}

func (a Analyzer) appKey(ctx context.Context, c *verify.Client, req verify.Request, site string) (*analyze.Report, error) {
	var u currentUser
	_, err := analyze.GetJSON(ctx, c, req, verify.Call{
		Verifier: a.ID(), Official: site, Path: "/api/v2/current_user",
		Header: map[string]string{"DD-API-KEY": req.Parts[APIKeyRule], "DD-APPLICATION-KEY": req.Secret, "Accept": "application/json"},
	}, &u)
	switch {
	case analyze.IsStatus(err, http.StatusUnauthorized):
		return nil, errors.New("Datadog: the application key is invalid (401) on " + site)
	case analyze.IsStatus(err, http.StatusForbidden):
		// A scoped key without access to its user still works: say what
		// is known.
		return &analyze.Report{
			Analyzer: a.ID(), Identity: "an organisation on " + site, Kind: "application key (scoped)",
			Worst:    "application key of a Datadog organisation on " + site + "; its scopes hide its user",
			Severity: analyze.SeverityRead, Partial: []string{"current user: 403 (the key is scoped without access to its user)"},
		}, nil
	case err != nil:
		return nil, errors.New(verify.Scrub("Datadog current user: "+err.Error(), req))
	}
	// Index what "included" holds: permissions by id, roles, the org.
	permName := map[string]string{}
	for _, inc := range u.Included {
		if inc.Type == "permissions" {
			permName[inc.ID] = inc.Attributes.Name
		}
	}
	rep := &analyze.Report{Analyzer: a.ID(), Kind: "application key"}
	org := ""
	roles := map[string]bool{}
	for _, r := range u.Data.Relationships.Roles.Data {
		roles[r.ID] = true
	}
	all := map[string]bool{}
	var roleNames []string
	for _, inc := range u.Included {
		switch {
		case inc.Type == "orgs" && inc.ID == u.Data.Relationships.Org.Data.ID:
			org = inc.Attributes.Name
			rep.Resources = append(rep.Resources, analyze.Resource{Kind: "organization", Name: verify.Scrub(org+" ("+inc.Attributes.PublicID+")", req)})
		case inc.Type == "roles" && roles[inc.ID]:
			var perms []string
			for _, p := range inc.Relationships.Permissions.Data {
				if n := permName[p.ID]; n != "" {
					perms = append(perms, n)
					all[n] = true
				}
			}
			roleNames = append(roleNames, inc.Attributes.Name)
			rep.Resources = append(rep.Resources, analyze.Resource{Kind: "role", Name: verify.Scrub(inc.Attributes.Name, req), Permissions: perms})
		}
	}
	who := u.Data.Attributes.Email
	if who == "" {
		who = u.Data.Attributes.Handle
	}
	where := site
	if org != "" {
		where = org + " on " + site
	}
	rep.Identity = verify.Scrub(who+" in "+where, req)
	if len(roleNames) == 0 {
		rep.Partial = append(rep.Partial, "roles: the answer listed none")
	}

	var admin, writes []string
	for p := range all {
		switch {
		case adminPermissions[p]:
			admin = append(admin, p)
		case strings.HasSuffix(p, "_write") || strings.HasSuffix(p, "_manage") || strings.HasSuffix(p, "_edit"):
			writes = append(writes, p)
		}
	}
	sort.Strings(admin)
	sort.Strings(writes)
	sort.Strings(roleNames)
	switch {
	case len(admin) > 0:
		rep.Severity = analyze.SeverityAdmin
		rep.Worst = fmt.Sprintf("administers the Datadog organisation %s as %s (%s; roles %s)", where, who, strings.Join(admin, ", "), strings.Join(roleNames, ", "))
	case len(writes) > 0:
		rep.Severity = analyze.SeverityWrite
		rep.Worst = fmt.Sprintf("can change configuration of %s as %s (%s; roles %s)", where, who, strings.Join(writes, ", "), strings.Join(roleNames, ", "))
	default:
		rep.Severity = analyze.SeverityRead
		rep.Worst = fmt.Sprintf("reads monitoring data of %s as %s (roles %s)", where, who, strings.Join(roleNames, ", "))
	}
	rep.Worst = verify.Scrub(rep.Worst, req)
	rep.Sort()
	return rep, nil
}
