// Package heroku maps what a Heroku API key reaches.
package heroku

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

const official = "https://api.heroku.com"

// accept is the version header every Platform API request must carry.
const accept = "application/vnd.heroku+json; version=3"

// Analyzer reads the key's account (GET /account), the apps it reaches
// (GET /apps) and the teams its user belongs to with the role in each
// (GET /teams). Lists are paged with the Range header: a truncated list
// answers 206 Partial Content with a Next-Range header to send as the next
// request's Range, 1,000 items at most a page. An API key acts as its user
// with full access: it deploys, reads and sets config vars (the apps'
// secrets) and can create more authorizations.
//
// Docs: https://devcenter.heroku.com/articles/platform-api-reference#account-info
// https://devcenter.heroku.com/articles/platform-api-reference#app-list
// https://devcenter.heroku.com/articles/platform-api-reference#team-list
// https://devcenter.heroku.com/articles/platform-api-reference#ranges
type Analyzer struct{}

// ID implements analyze.Analyzer: the verifier's id.
func (Analyzer) ID() string { return "heroku" }

// Analyze implements analyze.Analyzer.
func (a Analyzer) Analyze(ctx context.Context, c *verify.Client, req verify.Request) (*analyze.Report, error) {
	header := map[string]string{"Authorization": "Bearer " + req.Secret, "Accept": accept}
	var account struct {
		Email string `json:"email"`
		ID    string `json:"id"`
	}
	if _, err := analyze.GetJSON(ctx, c, req, verify.Call{Verifier: a.ID(), Official: official, Path: "/account", Header: header}, &account); err != nil {
		if analyze.IsStatus(err, http.StatusUnauthorized) {
			return nil, errors.New("Heroku rejected the key (401)")
		}
		return nil, errors.New(verify.Scrub("Heroku /account: "+err.Error(), req))
	}
	who := account.Email
	if who == "" {
		who = account.ID
	}
	rep := &analyze.Report{Analyzer: a.ID(), Identity: who, Kind: "API key"}

	apps := 0
	appsRead := a.ranged(ctx, c, req, header, "/apps", "name ..; max=1000", rep, func(body []byte) error {
		var list []struct {
			Name  string `json:"name"`
			Owner struct {
				Email string `json:"email"`
			} `json:"owner"`
			Team *struct {
				Name string `json:"name"`
			} `json:"team"`
		}
		if err := json.Unmarshal(body, &list); err != nil {
			return errors.New("/apps: the answer is not the documented JSON")
		}
		for _, app := range list {
			name, perm := app.Name, "collaborator"
			switch {
			case app.Team != nil && app.Team.Name != "":
				name, perm = app.Team.Name+"/"+app.Name, "team member"
			case strings.EqualFold(app.Owner.Email, account.Email):
				perm = "owner"
			}
			rep.Resources = append(rep.Resources, analyze.Resource{Kind: "app", Name: name, Permissions: []string{perm}})
			apps++
		}
		return nil
	})

	teams, adminTeams := 0, 0
	a.ranged(ctx, c, req, header, "/teams", "name ..; max=1000", rep, func(body []byte) error {
		var list []struct {
			Name string `json:"name"`
			Role string `json:"role"`
		}
		if err := json.Unmarshal(body, &list); err != nil {
			return errors.New("/teams: the answer is not the documented JSON")
		}
		for _, t := range list {
			rep.Resources = append(rep.Resources, analyze.Resource{Kind: "team", Name: t.Name, Permissions: []string{t.Role}})
			teams++
			if t.Role == "admin" || t.Role == "owner" {
				adminTeams++
			}
		}
		return nil
	})

	rep.Severity, rep.Worst = analyze.SeverityInfo, "reads the Heroku account "+who+" but no apps"
	if appsRead {
		// Listing apps takes a key with the account's full access (the
		// API key, or a global authorization): it can also mint keys.
		rep.Severity = analyze.SeverityAdmin
		rep.Worst = fmt.Sprintf("full access to the Heroku account %s: deploys to and reads the config vars of %d %s", who, apps, plural(apps, "app"))
		if teams > 0 {
			rep.Worst += fmt.Sprintf(", member of %d %s", teams, plural(teams, "team"))
			if adminTeams > 0 {
				rep.Worst += fmt.Sprintf(" (admin of %d)", adminTeams)
			}
		}
	}
	rep.Sort()
	return rep, nil
}

// ranged follows a Range-paged listing: 200 is the whole list, 206 a part
// with Next-Range naming the rest; at most analyze.MaxPages requests. It
// reports whether the first page was read; failures go into rep.Partial.
func (a Analyzer) ranged(ctx context.Context, c *verify.Client, req verify.Request, header map[string]string, path, first string, rep *analyze.Report, each func([]byte) error) bool {
	rng := first
	for page := 0; ; page++ {
		if page == analyze.MaxPages {
			rep.Partial = append(rep.Partial, fmt.Sprintf("%s: stopped after %d pages", path, analyze.MaxPages))
			return true
		}
		h := map[string]string{"Range": rng}
		for k, v := range header {
			h[k] = v
		}
		resp, failed := c.Send(ctx, req, verify.Call{Verifier: a.ID(), Official: official, Path: path, Header: h})
		if failed != nil {
			rep.Partial = append(rep.Partial, verify.Scrub(path+": "+failed.Reason, req))
			return page > 0
		}
		if resp.Status != http.StatusOK && resp.Status != http.StatusPartialContent {
			rep.Partial = append(rep.Partial, (&analyze.StatusError{Status: resp.Status, Path: path}).Error())
			return page > 0
		}
		if err := each(resp.Body); err != nil {
			rep.Partial = append(rep.Partial, err.Error())
			return page > 0
		}
		next := resp.Header.Get("Next-Range")
		if resp.Status == http.StatusOK || next == "" {
			return true
		}
		rng = next
	}
}

func plural(n int, kind string) string {
	if n == 1 {
		return kind
	}
	return kind + "s"
}
