// Package doppler maps what a Doppler token reaches.
package doppler

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/verify"
)

const official = "https://api.doppler.com"

const perPage = 100

// Analyzer asks who the token is (GET /v3/me: its type, name and
// workplace). A service token is bound to one project and config, which
// the API infers from the token: the analyzer lists the names (never the
// values) of the secrets it reads (GET /v3/configs/config/secrets/names).
// Any other token (personal, CLI, service account) lists the workplace's
// projects it sees (GET /v3/projects, page by page, 100 a page).
//
// Docs: https://docs.doppler.com/reference/auth-me
// https://docs.doppler.com/reference/secrets-names
// https://docs.doppler.com/reference/projects-list
// https://docs.doppler.com/reference/auth-token-formats
// https://docs.doppler.com/reference/rate-limits
type Analyzer struct{}

// ID implements analyze.Analyzer: the verifier's id.
func (Analyzer) ID() string { return "doppler" }

// Analyze implements analyze.Analyzer.
func (a Analyzer) Analyze(ctx context.Context, c *verify.Client, req verify.Request) (*analyze.Report, error) {
	call := func(path string) verify.Call {
		return verify.Call{Verifier: a.ID(), Official: official, Path: path, Header: map[string]string{"Authorization": "Bearer " + req.Secret, "Accept": "application/json"}}
	}
	var me struct {
		Name      string `json:"name"`
		Type      string `json:"type"`
		Workplace struct {
			Slug string `json:"slug"`
			Name string `json:"name"`
		} `json:"workplace"`
	}
	if _, err := analyze.GetJSON(ctx, c, req, call("/v3/me"), &me); err != nil {
		if analyze.IsStatus(err, http.StatusUnauthorized) {
			return nil, errors.New("Doppler rejected the token (401)")
		}
		return nil, errors.New(verify.Scrub("Doppler /v3/me: "+err.Error(), req))
	}
	rep := &analyze.Report{Analyzer: a.ID(), Identity: me.Workplace.Name, Kind: me.Type}
	if me.Name != "" {
		rep.Identity += " (" + me.Name + ")"
	}

	if me.Type == "service_token" {
		var names struct {
			Names []string `json:"names"`
		}
		if _, err := analyze.GetJSON(ctx, c, req, call("/v3/configs/config/secrets/names"), &names); err != nil {
			rep.Partial = append(rep.Partial, verify.Scrub(err.Error(), req))
			rep.Severity, rep.Worst = analyze.SeverityInfo, "a service token of "+me.Workplace.Name+" whose config could not be read"
		} else {
			for _, n := range names.Names {
				rep.Resources = append(rep.Resources, analyze.Resource{Kind: "secret", Name: n, Permissions: []string{"read"}})
			}
			rep.Severity = analyze.SeverityRead
			rep.Worst = fmt.Sprintf("reads the values of %d %s in one Doppler config of %s", len(names.Names), plural(len(names.Names), "secret"), me.Workplace.Name)
		}
		rep.Sort()
		return rep, nil
	}

	projects := 0
	for page := 1; ; page++ {
		if page > analyze.MaxPages {
			rep.Partial = append(rep.Partial, fmt.Sprintf("/v3/projects: stopped after %d pages", analyze.MaxPages))
			break
		}
		var body struct {
			Projects []struct {
				Slug string `json:"slug"`
				Name string `json:"name"`
			} `json:"projects"`
		}
		if _, err := analyze.GetJSON(ctx, c, req, call(fmt.Sprintf("/v3/projects?page=%d&per_page=%d", page, perPage)), &body); err != nil {
			rep.Partial = append(rep.Partial, verify.Scrub(err.Error(), req))
			break
		}
		for _, p := range body.Projects {
			rep.Resources = append(rep.Resources, analyze.Resource{Kind: "project", Name: p.Slug, Permissions: []string{"secrets"}})
			projects++
		}
		if len(body.Projects) < perPage {
			break
		}
	}
	switch {
	case projects == 0:
		rep.Severity, rep.Worst = analyze.SeverityInfo, "sees no project in the Doppler workplace "+me.Workplace.Name
	case me.Type == "service_account":
		// A service account's reach is its workplace role, not read here.
		rep.Severity = analyze.SeverityRead
		rep.Worst = fmt.Sprintf("a service account of %s that sees %d Doppler %s and their secrets, as its role allows", me.Workplace.Name, projects, plural(projects, "project"))
	default:
		rep.Severity = analyze.SeverityWrite
		rep.Worst = fmt.Sprintf("can read and change the secrets of %d Doppler %s in %s", projects, plural(projects, "project"), me.Workplace.Name)
	}
	rep.Sort()
	return rep, nil
}

func plural(n int, kind string) string {
	if n == 1 {
		return kind
	}
	return kind + "s"
}
