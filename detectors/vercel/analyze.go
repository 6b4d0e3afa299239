// Package vercel maps what a Vercel access token reaches.
package vercel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/verify"
)

const official = "https://api.vercel.com"

// maxTeams bounds how many teams' projects are listed (one listing each).
const maxTeams = 10

// Analyzer reads the token's user (GET /v2/user), the teams it is a member
// of with its role in each (GET /v2/teams), and the projects of the
// personal account and of each team (GET /v9/projects, with teamId for a
// team). Lists are paged: an answer's pagination.next is a timestamp sent
// as `until` for the next page, null on the last. A token acts as its user
// with that user's role in each team.
//
// Docs: https://vercel.com/docs/rest-api/reference/endpoints/user/get-the-user
// https://vercel.com/docs/rest-api/teams/list-all-teams
// https://vercel.com/docs/rest-api/reference/endpoints/projects/retrieve-a-list-of-projects
// https://vercel.com/docs/rest-api#pagination
type Analyzer struct{}

// ID implements analyze.Analyzer: the verifier's id.
func (Analyzer) ID() string { return "vercel" }

type pagination struct {
	Pagination *struct {
		Next *int64 `json:"next"`
	} `json:"pagination"`
}

// Analyze implements analyze.Analyzer.
func (a Analyzer) Analyze(ctx context.Context, c *verify.Client, req verify.Request) (*analyze.Report, error) {
	auth := map[string]string{"Authorization": "Bearer " + req.Secret}
	var user struct {
		User struct {
			ID       string `json:"id"`
			Email    string `json:"email"`
			Username string `json:"username"`
		} `json:"user"`
	}
	if _, err := analyze.GetJSON(ctx, c, req, verify.Call{Verifier: a.ID(), Official: official, Path: "/v2/user", Header: auth}, &user); err != nil {
		// Vercel answers an invalid token with 403 {"invalidToken":true}.
		if analyze.IsStatus(err, http.StatusUnauthorized, http.StatusForbidden) {
			return nil, errors.New("Vercel rejected the token")
		}
		return nil, errors.New(verify.Scrub("Vercel /v2/user: "+err.Error(), req))
	}
	who := user.User.Email
	if who == "" {
		who = user.User.Username
	}
	rep := &analyze.Report{Analyzer: a.ID(), Identity: who, Kind: "access token"}

	type team struct{ id, slug, role string }
	var teams []team
	a.paged(ctx, c, req, auth, "/v2/teams", url.Values{}, rep, func(body []byte) (*int64, error) {
		var page struct {
			pagination
			Teams []struct {
				ID         string `json:"id"`
				Slug       string `json:"slug"`
				Membership struct {
					Role string `json:"role"`
				} `json:"membership"`
			} `json:"teams"`
		}
		if err := json.Unmarshal(body, &page); err != nil {
			return nil, err
		}
		for _, t := range page.Teams {
			teams = append(teams, team{t.ID, t.Slug, t.Membership.Role})
			rep.Resources = append(rep.Resources, analyze.Resource{Kind: "team", Name: t.Slug, Permissions: []string{t.Membership.Role}})
		}
		return next(page.pagination), nil
	})

	projects, writable := 0, 0
	listProjects := func(q url.Values, owner, role string) {
		a.paged(ctx, c, req, auth, "/v9/projects", q, rep, func(body []byte) (*int64, error) {
			var page struct {
				pagination
				Projects []struct {
					Name string `json:"name"`
				} `json:"projects"`
			}
			if err := json.Unmarshal(body, &page); err != nil {
				return nil, err
			}
			for _, p := range page.Projects {
				rep.Resources = append(rep.Resources, analyze.Resource{Kind: "project", Name: owner + "/" + p.Name, Permissions: []string{role}})
				projects++
				if role != "VIEWER" && role != "BILLING" {
					writable++
				}
			}
			return next(page.pagination), nil
		})
	}
	personal := user.User.Username
	if personal == "" {
		personal = who
	}
	listProjects(url.Values{}, personal, "OWNER")
	for i, t := range teams {
		if i == maxTeams {
			rep.Partial = append(rep.Partial, fmt.Sprintf("/v9/projects: listed the projects of the first %d of %d teams", maxTeams, len(teams)))
			break
		}
		listProjects(url.Values{"teamId": {t.id}}, t.slug, t.role)
	}

	owned := 0
	for _, t := range teams {
		if t.role == "OWNER" {
			owned++
		}
	}
	reach := fmt.Sprintf("%d %s in %d %s", projects, plural(projects, "project"), len(teams), plural(len(teams), "team"))
	switch {
	case owned > 0:
		rep.Severity, rep.Worst = analyze.SeverityAdmin, fmt.Sprintf("OWNER of %d Vercel %s as %s; reaches %s", owned, plural(owned, "team"), who, reach)
	case writable > 0:
		rep.Severity, rep.Worst = analyze.SeverityWrite, fmt.Sprintf("can deploy to and configure %d Vercel %s as %s (%s)", writable, plural(writable, "project"), who, reach)
	case projects+len(teams) > 0:
		rep.Severity, rep.Worst = analyze.SeverityRead, fmt.Sprintf("can read %s on Vercel as %s", reach, who)
	default:
		rep.Severity, rep.Worst = analyze.SeverityInfo, "no projects or teams readable as "+who
	}
	rep.Sort()
	return rep, nil
}

// paged follows a Vercel listing, 100 a page, sending each page's
// pagination.next as `until`, up to analyze.MaxPages pages; failures go
// into rep.Partial.
func (a Analyzer) paged(ctx context.Context, c *verify.Client, req verify.Request, auth map[string]string, path string, q url.Values, rep *analyze.Report, each func([]byte) (*int64, error)) {
	q.Set("limit", "100")
	for page := 0; ; page++ {
		if page == analyze.MaxPages {
			rep.Partial = append(rep.Partial, fmt.Sprintf("%s: stopped after %d pages", path, analyze.MaxPages))
			return
		}
		resp, err := analyze.GetJSON(ctx, c, req, verify.Call{Verifier: a.ID(), Official: official, Path: path + "?" + q.Encode(), Header: auth}, nil)
		if err != nil {
			rep.Partial = append(rep.Partial, verify.Scrub(err.Error(), req))
			return
		}
		n, err := each(resp.Body)
		if err != nil {
			rep.Partial = append(rep.Partial, path+": the answer is not the documented JSON")
			return
		}
		if n == nil {
			return
		}
		q.Set("until", strconv.FormatInt(*n, 10))
	}
}

func next(p pagination) *int64 {
	if p.Pagination == nil {
		return nil
	}
	return p.Pagination.Next
}

func plural(n int, kind string) string {
	if n == 1 {
		return kind
	}
	return kind + "s"
}
