// Package postman analyzes Postman API keys: their user, team and role,
// and the workspaces they read and edit.
package postman

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/verify"
)

const official = "https://api.getpostman.com"

// Analyzer maps a Postman API key's reach. A key acts as its user, with
// every right the user has, through read-only calls:
//
//   - GET /me: the user, team and roles (https://learning.postman.com/docs/developer/postman-api/intro-api/,
//     https://www.postman.com/postman/postman-public-workspace/request/ul5xeyq/get-authenticated-user);
//   - GET /workspaces: every workspace the user can reach
//     (https://www.postman.com/postman/postman-public-workspace/request/7dhwpl4/get-all-workspaces).
type Analyzer struct{}

// ID implements analyze.Analyzer: the verifier's id.
func (Analyzer) ID() string { return "postman" }

func (a Analyzer) call(path, secret string) verify.Call {
	return verify.Call{Verifier: a.ID(), Official: official, Path: path,
		Header: map[string]string{"X-Api-Key": secret, "Accept": "application/json"}}
}

// Analyze implements analyze.Analyzer.
func (a Analyzer) Analyze(ctx context.Context, c *verify.Client, req verify.Request) (*analyze.Report, error) {
	var me struct {
		User *struct {
			Username   string   `json:"username"`
			Email      string   `json:"email"`
			TeamName   string   `json:"teamName"`
			TeamDomain string   `json:"teamDomain"`
			Roles      []string `json:"roles"`
		} `json:"user"`
	}
	if _, err := analyze.GetJSON(ctx, c, req, a.call("/me", req.Secret), &me); err != nil {
		if analyze.IsStatus(err, http.StatusUnauthorized) {
			return nil, fmt.Errorf("postman rejected the API key (401 AuthenticationError)")
		}
		return nil, fmt.Errorf("postman: %s", verify.Scrub(err.Error(), req))
	}
	if me.User == nil || me.User.Username == "" {
		return nil, fmt.Errorf("postman: /me named no user")
	}
	u := me.User
	rep := &analyze.Report{Analyzer: a.ID(), Kind: "API key", Identity: verify.Scrub(u.Username, req)}
	if u.Email != "" {
		rep.Identity += " <" + verify.Scrub(u.Email, req) + ">"
	}
	if u.TeamName != "" {
		rep.Resources = append(rep.Resources, analyze.Resource{Kind: "team", Name: verify.Scrub(firstNonEmpty(u.TeamDomain, u.TeamName), req), Permissions: u.Roles})
	}

	var ws struct {
		Workspaces []struct {
			ID         string `json:"id"`
			Name       string `json:"name"`
			Type       string `json:"type"`
			Visibility string `json:"visibility"`
		} `json:"workspaces"`
	}
	if _, err := analyze.GetJSON(ctx, c, req, a.call("/workspaces", req.Secret), &ws); err != nil {
		rep.Partial = append(rep.Partial, verify.Scrub("workspaces: "+err.Error(), req))
	}
	for _, w := range ws.Workspaces {
		var perms []string
		if w.Type != "" {
			perms = append(perms, w.Type)
		}
		if w.Visibility != "" && w.Visibility != w.Type {
			perms = append(perms, w.Visibility)
		}
		rep.Resources = append(rep.Resources, analyze.Resource{Kind: "workspace", Name: verify.Scrub(w.Name, req), Permissions: perms})
	}
	n := len(ws.Workspaces)
	rep.Worst = fmt.Sprintf("reads and edits %d workspaces as %s: collections, and environments with the secrets they hold", n, u.Username)
	rep.Severity = analyze.SeverityWrite
	if contains(u.Roles, "admin") {
		rep.Worst = "admin of the Postman team " + firstNonEmpty(u.TeamName, u.TeamDomain) + "; " + rep.Worst
		rep.Severity = analyze.SeverityAdmin
	}
	rep.Worst = verify.Scrub(rep.Worst, req)
	rep.Sort()
	return rep, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
