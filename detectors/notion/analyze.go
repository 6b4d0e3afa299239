// Package notion maps what a leaked Notion integration token can reach: the
// integration (bot), its workspace and owner, and the pages and databases
// shared with it.
package notion

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/verify"
)

// official is the API host the "notion" verifier uses.
const official = "https://api.notion.com"

// version is the Notion-Version header every request names.
const version = "2022-06-28"

// Analyzer maps an internal integration token or OAuth access token.
//
// Docs: https://developers.notion.com/reference/get-self (GET
// /v1/users/me: the bot, its owner and workspace_name),
// https://developers.notion.com/reference/post-search (POST /v1/search
// reads, never changes: every page and database shared with the
// integration, cursor-paginated with has_more / next_cursor, page_size at
// most 100), https://developers.notion.com/reference/request-limits (429
// with Retry-After).
type Analyzer struct{}

// ID implements analyze.Analyzer.
func (Analyzer) ID() string { return "notion" }

// Analyze implements analyze.Analyzer.
func (a Analyzer) Analyze(ctx context.Context, c *verify.Client, req verify.Request) (*analyze.Report, error) {
	hdr := map[string]string{"Authorization": "Bearer " + req.Secret, "Notion-Version": version}
	var me struct {
		Name string `json:"name"`
		Type string `json:"type"`
		Bot  struct {
			WorkspaceName string `json:"workspace_name"`
			Owner         struct {
				Type string `json:"type"`
				User struct {
					Name   string `json:"name"`
					Person struct {
						Email string `json:"email"`
					} `json:"person"`
				} `json:"user"`
			} `json:"owner"`
		} `json:"bot"`
	}
	_, err := analyze.GetJSON(ctx, c, req, verify.Call{Verifier: a.ID(), Official: official, Path: "/v1/users/me", Header: hdr}, &me)
	switch {
	case err == nil:
	case analyze.IsStatus(err, http.StatusUnauthorized):
		return nil, errors.New("notion: the token is not valid (401 from /v1/users/me)")
	default:
		return nil, fmt.Errorf("notion: %s", verify.Scrub(err.Error(), req))
	}
	scrub := func(s string) string { return verify.Scrub(s, req) }
	rep := &analyze.Report{Analyzer: a.ID(), Identity: scrub(me.Name), Kind: "internal integration token"}
	if me.Bot.WorkspaceName != "" {
		rep.Identity += " in workspace " + scrub(me.Bot.WorkspaceName)
	}
	if me.Bot.Owner.Type == "user" {
		rep.Kind = "public integration token (acting for " + scrub(first(me.Bot.Owner.User.Person.Email, me.Bot.Owner.User.Name)) + ")"
	}

	pages, databases := 0, 0
	cursor := ""
	truncated := true
	hdr["Content-Type"] = "application/json"
	for page := 0; page < analyze.MaxPages; page++ {
		body := map[string]any{"page_size": 100}
		if cursor != "" {
			body["start_cursor"] = cursor
		}
		b, _ := json.Marshal(body)
		var list struct {
			Results []struct {
				Object string `json:"object"`
				ID     string `json:"id"`
				URL    string `json:"url"`
			} `json:"results"`
			HasMore    bool   `json:"has_more"`
			NextCursor string `json:"next_cursor"`
		}
		call := verify.Call{Verifier: a.ID(), Official: official, Method: http.MethodPost, Path: "/v1/search", Header: hdr, Body: string(b)}
		if _, err := analyze.GetJSON(ctx, c, req, call, &list); err != nil {
			rep.Partial = append(rep.Partial, "search: "+scrub(err.Error()))
			truncated = false
			break
		}
		for _, r := range list.Results {
			switch r.Object {
			case "page":
				pages++
			case "database":
				databases++
			default:
				continue
			}
			rep.Resources = append(rep.Resources, analyze.Resource{Kind: r.Object, Name: scrub(first(r.URL, r.ID)), Permissions: []string{"read"}})
		}
		if !list.HasMore || list.NextCursor == "" || list.NextCursor == cursor {
			truncated = false
			break
		}
		cursor = list.NextCursor
	}
	more := ""
	if truncated {
		more = "+"
		rep.Partial = append(rep.Partial, fmt.Sprintf("search: stopped after %d pages", analyze.MaxPages))
	}
	if pages+databases == 0 {
		rep.Severity = analyze.SeverityInfo
		rep.Worst = "no page or database is shared with the integration"
	} else {
		rep.Severity = analyze.SeverityRead
		rep.Worst = fmt.Sprintf("reads %d%s pages and %d databases shared with the integration (its update and insert capabilities are not readable with the token)", pages, more, databases)
	}
	rep.Sort()
	return rep, nil
}

func first(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
