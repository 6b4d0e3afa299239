// Package circleci analyzes CircleCI personal API tokens: their user and
// the organisations the user works in.
package circleci

import (
	"context"
	"fmt"
	"net/http"

	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/verify"
)

const official = "https://circleci.com"

// Analyzer maps a CircleCI personal token's reach: it acts as its user in
// every organisation the user collaborates in. Read-only calls:
//
//   - GET /api/v2/me (https://circleci.com/docs/api/v2/index.html#operation/getCurrentUser);
//   - GET /api/v2/me/collaborations (https://circleci.com/docs/api/v2/index.html#operation/getCollaborations).
type Analyzer struct{}

// ID implements analyze.Analyzer: the verifier's id.
func (Analyzer) ID() string { return "circleci" }

func (a Analyzer) call(path, secret string) verify.Call {
	return verify.Call{Verifier: a.ID(), Official: official, Path: path,
		Header: map[string]string{"Circle-Token": secret, "Accept": "application/json"}}
}

// Analyze implements analyze.Analyzer.
func (a Analyzer) Analyze(ctx context.Context, c *verify.Client, req verify.Request) (*analyze.Report, error) {
	var me struct {
		ID    string `json:"id"`
		Login string `json:"login"`
		Name  string `json:"name"`
	}
	if _, err := analyze.GetJSON(ctx, c, req, a.call("/api/v2/me", req.Secret), &me); err != nil {
		if analyze.IsStatus(err, http.StatusUnauthorized) {
			return nil, fmt.Errorf("circleci rejected the token (401 You must log in first)")
		}
		return nil, fmt.Errorf("circleci: %s", verify.Scrub(err.Error(), req))
	}
	if me.Login == "" {
		return nil, fmt.Errorf("circleci: /api/v2/me named no user (a project token?)")
	}
	rep := &analyze.Report{Analyzer: a.ID(), Kind: "personal API token", Identity: verify.Scrub(me.Login, req)}
	var collabs []struct {
		VCSType string `json:"vcs-type"`
		Name    string `json:"name"`
		Slug    string `json:"slug"`
	}
	if _, err := analyze.GetJSON(ctx, c, req, a.call("/api/v2/me/collaborations", req.Secret), &collabs); err != nil {
		rep.Partial = append(rep.Partial, verify.Scrub("collaborations: "+err.Error(), req))
	}
	for _, o := range collabs {
		name := o.Slug
		if name == "" {
			name = o.Name
		}
		rep.Resources = append(rep.Resources, analyze.Resource{Kind: "organization", Name: verify.Scrub(name, req), Permissions: []string{"member", o.VCSType}})
	}
	rep.Worst = fmt.Sprintf("acts as %s in %d organizations: triggers pipelines, reads build logs and artifacts, and manages project settings wherever %s may", rep.Identity, len(collabs), rep.Identity)
	rep.Severity = analyze.SeverityWrite
	rep.Sort()
	return rep, nil
}
