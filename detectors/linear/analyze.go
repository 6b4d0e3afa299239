// Package linear analyzes Linear API keys through Linear's GraphQL API.
// The verifier is declared in the catalogue (id "linear").
package linear

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/verify"
)

// official is Linear's API host.
const official = "https://api.linear.app"

// teamsPage is the page size asked of the teams connection (Linear
// serves up to 250; the default is 50).
const teamsPage = 100

// Queries: read-only, never a mutation.
var (
	viewerQuery = `{ viewer { id name email admin guest active } organization { id name urlKey } }`
	teamsQuery  = fmt.Sprintf(`query Teams($after: String) { teams(first: %d, after: $after) { nodes { id key name private } pageInfo { hasNextPage endCursor } } }`, teamsPage)
)

// Analyzer maps what a Linear API key reaches: its user (an admin of the
// workspace, a member or a guest), the workspace and the teams the key
// sees, paged by the Relay cursor.
//
// Docs: https://linear.app/developers/graphql (POST /graphql, a personal
// key in the Authorization header as is),
// https://linear.app/developers/pagination (first/after, pageInfo),
// https://linear.app/developers/rate-limiting,
// https://studio.apollographql.com/public/Linear-API/variant/current/schema/reference/objects/User
// (viewer's admin and guest fields).
type Analyzer struct{}

// ID implements analyze.Analyzer: the declared Linear verifier's id.
func (Analyzer) ID() string { return "linear" }

type gqlErrors struct {
	Errors []struct {
		Message    string `json:"message"`
		Extensions struct {
			Code string `json:"code"`
			Type string `json:"type"`
		} `json:"extensions"`
	} `json:"errors"`
}

func (e gqlErrors) first() string {
	if len(e.Errors) == 0 {
		return ""
	}
	m := e.Errors[0].Message
	if c := e.Errors[0].Extensions.Code; c != "" {
		m += " (" + c + ")"
	}
	return m
}

// graphql posts one query. A GraphQL error (Linear answers those with
// HTTP 400 and an errors list) is returned with its message.
func (a Analyzer) graphql(ctx context.Context, c *verify.Client, req verify.Request, query string, vars map[string]any, v any) error {
	payload := map[string]any{"query": query}
	if vars != nil {
		payload["variables"] = vars
	}
	body, err := json.Marshal(payload)
	if err != nil {
		return err
	}
	call := verify.Call{Verifier: a.ID(), Official: official, Method: http.MethodPost, Path: "/graphql", Body: string(body),
		Header: map[string]string{"Authorization": req.Secret, "Content-Type": "application/json"}}
	resp, err := analyze.GetJSON(ctx, c, req, call, nil)
	var ge gqlErrors
	if resp != nil {
		_ = json.Unmarshal(resp.Body, &ge)
	}
	if err != nil {
		if m := ge.first(); m != "" {
			return fmt.Errorf("%w: %s", err, m)
		}
		return err
	}
	if m := ge.first(); m != "" {
		return errors.New(m)
	}
	if err := json.Unmarshal(resp.Body, v); err != nil {
		return fmt.Errorf("the answer is not the documented JSON: %w", err)
	}
	return nil
}

// Analyze implements analyze.Analyzer.
func (a Analyzer) Analyze(ctx context.Context, c *verify.Client, req verify.Request) (*analyze.Report, error) {
	var me struct {
		Data struct {
			Viewer *struct {
				ID     string `json:"id"`
				Name   string `json:"name"`
				Email  string `json:"email"`
				Admin  bool   `json:"admin"`
				Guest  bool   `json:"guest"`
				Active bool   `json:"active"`
			} `json:"viewer"`
			Organization *struct {
				ID     string `json:"id"`
				Name   string `json:"name"`
				URLKey string `json:"urlKey"`
			} `json:"organization"`
		} `json:"data"`
	}
	if err := a.graphql(ctx, c, req, viewerQuery, nil, &me); err != nil || me.Data.Viewer == nil {
		if analyze.IsStatus(err, http.StatusUnauthorized) || (err != nil && strings.Contains(strings.ToLower(err.Error()), "authentication")) {
			return nil, errors.New(verify.Scrub("Linear: invalid API key: "+err.Error(), req))
		}
		if err == nil {
			err = errors.New("no viewer in the answer")
		}
		return nil, errors.New(verify.Scrub("Linear viewer: "+err.Error(), req))
	}
	v := me.Data.Viewer
	kind := "personal API key"
	if strings.HasPrefix(req.Secret, "lin_oauth_") {
		kind = "OAuth access token"
	}
	rep := &analyze.Report{Analyzer: a.ID(), Kind: kind}
	role := "member"
	switch {
	case v.Admin:
		role = "admin"
	case v.Guest:
		role = "guest"
	}
	workspace := "the Linear workspace"
	if o := me.Data.Organization; o != nil {
		workspace = fmt.Sprintf("the Linear workspace %s (%s)", o.Name, o.URLKey)
		rep.Resources = append(rep.Resources, analyze.Resource{Kind: "workspace", Name: verify.Scrub(o.Name+" ("+o.URLKey+")", req), Permissions: []string{role}})
	}
	rep.Identity = verify.Scrub(fmt.Sprintf("%s <%s> (%s) in %s", v.Name, v.Email, role, workspace), req)

	teams, private := 0, 0
	var after any
	cut := false
	for page := 0; ; page++ {
		if page == analyze.MaxPages {
			cut = true
			rep.Partial = append(rep.Partial, fmt.Sprintf("teams: stopped after %d pages", analyze.MaxPages))
			break
		}
		var t struct {
			Data struct {
				Teams struct {
					Nodes []struct {
						ID      string `json:"id"`
						Key     string `json:"key"`
						Name    string `json:"name"`
						Private bool   `json:"private"`
					} `json:"nodes"`
					PageInfo struct {
						HasNextPage bool   `json:"hasNextPage"`
						EndCursor   string `json:"endCursor"`
					} `json:"pageInfo"`
				} `json:"teams"`
			} `json:"data"`
		}
		if err := a.graphql(ctx, c, req, teamsQuery, map[string]any{"after": after}, &t); err != nil {
			rep.Partial = append(rep.Partial, verify.Scrub("teams: "+err.Error(), req))
			break
		}
		for _, n := range t.Data.Teams.Nodes {
			teams++
			perms := []string{"read", "write"}
			if n.Private {
				private++
				perms = append(perms, "private")
			}
			rep.Resources = append(rep.Resources, analyze.Resource{Kind: "team", Name: verify.Scrub(n.Name+" ("+n.Key+")", req), Permissions: perms})
		}
		pi := t.Data.Teams.PageInfo
		if !pi.HasNextPage || pi.EndCursor == "" {
			break
		}
		after = pi.EndCursor
	}

	reach := fmt.Sprintf("%d teams", teams)
	if cut {
		reach = "at least " + reach
	}
	if private > 0 {
		reach += fmt.Sprintf(" (%d private)", private)
	}
	switch role {
	case "admin":
		rep.Severity = analyze.SeverityAdmin
		rep.Worst = fmt.Sprintf("administers %s as %s: %s", workspace, v.Email, reach)
	default:
		// A member's key creates and edits issues in every team it sees;
		// a guest's only in the teams it was invited to.
		rep.Severity = analyze.SeverityWrite
		rep.Worst = fmt.Sprintf("can read and change issues of %s in %s as %s (%s)", reach, workspace, v.Email, role)
	}
	if !v.Active {
		rep.Worst += "; the user is deactivated"
	}
	rep.Worst = verify.Scrub(rep.Worst, req)
	rep.Sort()
	return rep, nil
}
