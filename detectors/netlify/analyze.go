// Package netlify maps what a Netlify personal access token reaches.
package netlify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/verify"
)

const official = "https://api.netlify.com"

// Analyzer reads the token's user (GET /api/v1/user) and lists its sites
// (GET /api/v1/sites, 100 a page, following the Link header up to
// analyze.MaxPages). A personal access token acts as its user: it can
// deploy to and configure every site listed.
//
// Docs: https://open-api.netlify.com/#tag/user/operation/getCurrentUser
// https://open-api.netlify.com/#tag/site/operation/listSites
// https://docs.netlify.com/api/get-started/#pagination
type Analyzer struct{}

// ID implements analyze.Analyzer: the verifier's id.
func (Analyzer) ID() string { return "netlify" }

// Analyze implements analyze.Analyzer.
func (a Analyzer) Analyze(ctx context.Context, c *verify.Client, req verify.Request) (*analyze.Report, error) {
	auth := map[string]string{"Authorization": "Bearer " + req.Secret}
	var user struct {
		Email    string `json:"email"`
		FullName string `json:"full_name"`
	}
	if _, err := analyze.GetJSON(ctx, c, req, verify.Call{Verifier: a.ID(), Official: official, Path: "/api/v1/user", Header: auth}, &user); err != nil {
		if analyze.IsStatus(err, http.StatusUnauthorized) {
			return nil, errors.New("Netlify rejected the token (401)")
		}
		return nil, errors.New(verify.Scrub("Netlify /api/v1/user: "+err.Error(), req))
	}
	rep := &analyze.Report{Analyzer: a.ID(), Identity: user.Email, Kind: "personal access token"}
	n := 0
	truncated, err := analyze.Pages(ctx, c, req, verify.Call{Verifier: a.ID(), Official: official, Path: "/api/v1/sites?per_page=100&page=1", Header: auth}, func(r *verify.Response) error {
		var sites []struct {
			Name        string `json:"name"`
			URL         string `json:"url"`
			AccountSlug string `json:"account_slug"`
		}
		if err := json.Unmarshal(r.Body, &sites); err != nil {
			return errors.New("/api/v1/sites: the answer is not the documented JSON")
		}
		for _, s := range sites {
			name := s.Name
			if s.AccountSlug != "" {
				name = s.AccountSlug + "/" + s.Name
			}
			rep.Resources = append(rep.Resources, analyze.Resource{Kind: "site", Name: name, Permissions: []string{"deploy", "configure"}})
			n++
		}
		return nil
	})
	switch {
	case err != nil:
		rep.Partial = append(rep.Partial, verify.Scrub(err.Error(), req))
	case truncated:
		rep.Partial = append(rep.Partial, fmt.Sprintf("/api/v1/sites: stopped after %d pages", analyze.MaxPages))
	}
	rep.Severity, rep.Worst = analyze.SeverityInfo, "no sites readable as "+user.Email
	if n > 0 {
		s := "sites"
		if n == 1 {
			s = "site"
		}
		rep.Severity, rep.Worst = analyze.SeverityWrite, fmt.Sprintf("can deploy to and configure %d Netlify %s as %s", n, s, user.Email)
	}
	rep.Sort()
	return rep, nil
}
