// Package airtable maps what a leaked Airtable personal access token can
// reach: its user and scopes, and the bases it was granted with the
// permission level on each.
package airtable

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

// official is the API host the "airtable" verifier uses.
const official = "https://api.airtable.com"

// Analyzer maps a personal access token or OAuth token.
//
// Docs: https://airtable.com/developers/web/api/get-user-id-scopes (GET
// /v0/meta/whoami: id, email with user.email:read, scopes),
// https://airtable.com/developers/web/api/list-bases (GET /v0/meta/bases,
// needs schema.bases:read; permissionLevel none, read, comment, edit or
// create; paginated with offset), https://airtable.com/developers/web/api/scopes.
type Analyzer struct{}

// ID implements analyze.Analyzer.
func (Analyzer) ID() string { return "airtable" }

// Analyze implements analyze.Analyzer.
func (a Analyzer) Analyze(ctx context.Context, c *verify.Client, req verify.Request) (*analyze.Report, error) {
	call := func(path string) verify.Call {
		return verify.Call{Verifier: a.ID(), Official: official, Path: path, Header: map[string]string{"Authorization": "Bearer " + req.Secret}}
	}
	var me struct {
		ID     string   `json:"id"`
		Email  string   `json:"email"`
		Scopes []string `json:"scopes"`
	}
	_, err := analyze.GetJSON(ctx, c, req, call("/v0/meta/whoami"), &me)
	switch {
	case err == nil:
	case analyze.IsStatus(err, http.StatusUnauthorized):
		return nil, errors.New("airtable: the token is not valid (401 from /v0/meta/whoami)")
	default:
		return nil, fmt.Errorf("airtable: %s", verify.Scrub(err.Error(), req))
	}
	rep := &analyze.Report{Analyzer: a.ID(), Kind: "personal access token"}
	rep.Identity = verify.Scrub(me.ID, req)
	if me.Email != "" {
		rep.Identity = verify.Scrub(me.Email, req)
	}
	if len(me.Scopes) > 0 {
		rep.Resources = append(rep.Resources, analyze.Resource{Kind: "token", Name: "scopes", Permissions: append([]string(nil), me.Scopes...)})
	}
	recordsWrite := has(me.Scopes, "data.records:write")
	schemaWrite := has(me.Scopes, "schema.bases:write")

	levels := map[string]int{}
	offset := ""
	truncated := true
	for page := 0; page < analyze.MaxPages; page++ {
		path := "/v0/meta/bases"
		if offset != "" {
			path += "?offset=" + url.QueryEscape(offset)
		}
		var list struct {
			Bases []struct {
				ID              string `json:"id"`
				Name            string `json:"name"`
				PermissionLevel string `json:"permissionLevel"`
			} `json:"bases"`
			Offset string `json:"offset"`
		}
		if _, err := analyze.GetJSON(ctx, c, req, call(path), &list); err != nil {
			rep.Partial = append(rep.Partial, "bases: "+verify.Scrub(err.Error(), req))
			truncated = false
			break
		}
		for _, b := range list.Bases {
			levels[b.PermissionLevel]++
			rep.Resources = append(rep.Resources, analyze.Resource{Kind: "base", Name: verify.Scrub(b.Name+" ("+b.ID+")", req), Permissions: nonEmpty(b.PermissionLevel)})
		}
		if list.Offset == "" || list.Offset == offset {
			truncated = false
			break
		}
		offset = list.Offset
	}
	if truncated {
		rep.Partial = append(rep.Partial, fmt.Sprintf("bases: stopped after %d pages", analyze.MaxPages))
	}

	bases := rep.Count("base")
	editable := levels["edit"] + levels["create"]
	switch {
	case schemaWrite && levels["create"] > 0:
		rep.Severity = analyze.SeverityWrite
		rep.Worst = fmt.Sprintf("can change the tables of %d bases it created and edit records in %d of %d bases", levels["create"], editable, bases)
	case recordsWrite && editable > 0:
		rep.Severity = analyze.SeverityWrite
		rep.Worst = fmt.Sprintf("can create, change and delete records in %d of %d bases", editable, bases)
	case has(me.Scopes, "data.records:read") || bases > 0:
		rep.Severity = analyze.SeverityRead
		rep.Worst = fmt.Sprintf("can read %d bases", bases)
		if recordsWrite {
			rep.Worst += " (records:write granted, but no base at edit level)"
		}
	default:
		rep.Severity = analyze.SeverityInfo
		rep.Worst = "reads its own identity only (scopes: " + strings.Join(me.Scopes, ", ") + ")"
	}
	rep.Sort()
	return rep, nil
}

func has(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}
