// Package asana analyzes Asana personal access tokens. The verifier is
// declared in the catalogue (id "asana").
package asana

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/verify"
)

// official is Asana's API host; paths carry the /api/1.0 prefix, as the
// declared verifier's URL does.
const official = "https://app.asana.com"

// pageLimit is the largest page Asana serves (1 to 100).
const pageLimit = 100

// Analyzer maps what an Asana token reaches: its user, the workspaces
// and organizations the user is in (with whether the user administers
// each or is a guest there) and the projects of each workspace, paged by
// Asana's offset tokens. A personal access token acts with all of its
// user's rights.
//
// Docs: https://developers.asana.com/reference/getuser ("me"),
// https://developers.asana.com/reference/getworkspacemembershipsforuser
// (is_admin, is_guest), https://developers.asana.com/reference/getprojects
// (workspace, limit, offset), https://developers.asana.com/docs/pagination
// (next_page.offset), https://developers.asana.com/docs/rate-limits (429,
// Retry-After), https://developers.asana.com/docs/personal-access-token.
type Analyzer struct{}

// ID implements analyze.Analyzer: the declared Asana verifier's id.
func (Analyzer) ID() string { return "asana" }

type nextPage struct {
	Offset string `json:"offset"`
}

// Analyze implements analyze.Analyzer.
func (a Analyzer) Analyze(ctx context.Context, c *verify.Client, req verify.Request) (*analyze.Report, error) {
	call := func(path string) verify.Call {
		return verify.Call{Verifier: a.ID(), Official: official, Path: "/api/1.0" + path,
			Header: map[string]string{"Authorization": "Bearer " + req.Secret, "Accept": "application/json"}}
	}
	var me struct {
		Data struct {
			GID        string `json:"gid"`
			Name       string `json:"name"`
			Email      string `json:"email"`
			Workspaces []struct {
				GID  string `json:"gid"`
				Name string `json:"name"`
			} `json:"workspaces"`
		} `json:"data"`
	}
	if _, err := analyze.GetJSON(ctx, c, req, call("/users/me?opt_fields=name,email,workspaces.name"), &me); err != nil || me.Data.GID == "" {
		if analyze.IsStatus(err, http.StatusUnauthorized) {
			return nil, errors.New("Asana: invalid token (401)")
		}
		if err == nil {
			err = errors.New("no user in the answer")
		}
		return nil, errors.New(verify.Scrub("Asana current user: "+err.Error(), req))
	}
	rep := &analyze.Report{Analyzer: a.ID(), Kind: "personal access token"}
	rep.Identity = verify.Scrub(fmt.Sprintf("%s <%s> (%s)", me.Data.Name, me.Data.Email, me.Data.GID), req)

	// Memberships say where the user is an admin or a guest.
	type membership struct{ admin, guest bool }
	roles := map[string]membership{}
	var ms struct {
		Data []struct {
			Workspace struct {
				GID string `json:"gid"`
			} `json:"workspace"`
			IsAdmin  bool `json:"is_admin"`
			IsGuest  bool `json:"is_guest"`
			IsActive bool `json:"is_active"`
		} `json:"data"`
	}
	if _, err := analyze.GetJSON(ctx, c, req, call(fmt.Sprintf("/users/me/workspace_memberships?opt_fields=is_admin,is_guest,is_active,workspace&limit=%d", pageLimit)), &ms); err != nil {
		rep.Partial = append(rep.Partial, verify.Scrub("workspace memberships: "+err.Error(), req))
	}
	for _, m := range ms.Data {
		roles[m.Workspace.GID] = membership{admin: m.IsAdmin, guest: m.IsGuest}
	}

	var adminOf []string
	projects, cut := 0, false
	for _, w := range me.Data.Workspaces {
		role := "member"
		if m, ok := roles[w.GID]; ok && m.admin {
			role = "admin"
			adminOf = append(adminOf, w.Name)
		} else if ok && m.guest {
			role = "guest"
		}
		wname := verify.Scrub(w.Name+" ("+w.GID+")", req)
		rep.Resources = append(rep.Resources, analyze.Resource{Kind: "workspace", Name: wname, Permissions: []string{role}})

		first := fmt.Sprintf("/projects?workspace=%s&limit=%d&opt_fields=name,archived", url.QueryEscape(w.GID), pageLimit)
		path := first
		for page := 0; ; page++ {
			if page == analyze.MaxPages {
				cut = true
				rep.Partial = append(rep.Partial, verify.Scrub(fmt.Sprintf("projects of %s: stopped after %d pages", w.Name, analyze.MaxPages), req))
				break
			}
			var ps struct {
				Data []struct {
					GID      string `json:"gid"`
					Name     string `json:"name"`
					Archived bool   `json:"archived"`
				} `json:"data"`
				NextPage *nextPage `json:"next_page"`
			}
			if _, err := analyze.GetJSON(ctx, c, req, call(path), &ps); err != nil {
				rep.Partial = append(rep.Partial, verify.Scrub("projects of "+w.Name+": "+err.Error(), req))
				break
			}
			for _, p := range ps.Data {
				projects++
				perms := []string{"read", "write"}
				if p.Archived {
					perms = append(perms, "archived")
				}
				rep.Resources = append(rep.Resources, analyze.Resource{Kind: "project", Name: verify.Scrub(w.Name+"/"+p.Name+" ("+p.GID+")", req), Permissions: perms})
			}
			if ps.NextPage == nil || ps.NextPage.Offset == "" {
				break
			}
			path = first + "&offset=" + url.QueryEscape(ps.NextPage.Offset)
		}
	}

	reach := fmt.Sprintf("%d projects in %d workspaces", projects, len(me.Data.Workspaces))
	if cut {
		reach = "at least " + reach
	}
	switch {
	case len(adminOf) > 0:
		rep.Severity = analyze.SeverityAdmin
		rep.Worst = fmt.Sprintf("administers the Asana workspace %s as %s; reads and changes %s", strings.Join(adminOf, ", "), me.Data.Email, reach)
	case len(me.Data.Workspaces) > 0:
		rep.Severity = analyze.SeverityWrite
		rep.Worst = fmt.Sprintf("reads and changes %s of Asana as %s", reach, me.Data.Email)
	default:
		rep.Worst = "is in no Asana workspace as " + me.Data.Email
	}
	rep.Worst = verify.Scrub(rep.Worst, req)
	rep.Sort()
	return rep, nil
}
