// Package newrelic analyzes New Relic user API keys (NRAK-...) through
// NerdGraph, New Relic's GraphQL API. The verifier is declared in the
// catalogue (id "newrelic"); a key of the EU region is analyzed when
// [verify.endpoints] newrelic is https://api.eu.newrelic.com.
package newrelic

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/verify"
)

// official is NerdGraph's US host; the EU one is api.eu.newrelic.com.
const official = "https://api.newrelic.com"

// query reads the key's user, the accounts it reaches and its
// organization: a query, never a mutation.
const query = `{ actor { user { id name email } organization { id name } accounts { id name } } }`

// Analyzer maps what a New Relic user API key reaches: its user, the
// user's organization and every account the key can query through
// NerdGraph (a user key acts with its user's roles in each of them, for
// NRQL queries of all their telemetry as for NerdGraph mutations).
//
// Docs: https://docs.newrelic.com/docs/apis/nerdgraph/get-started/introduction-new-relic-nerdgraph/
// (POST /graphql with the API-Key header),
// https://docs.newrelic.com/docs/apis/nerdgraph/examples/nerdgraph-accounts-api-tutorial/
// (actor.accounts), https://docs.newrelic.com/docs/apis/intro-apis/new-relic-api-keys/#user-key
// (what a user key can do), https://docs.newrelic.com/docs/apis/nerdgraph/nerdgraph-api-limits/
// (rate limits, 429).
type Analyzer struct{}

// ID implements analyze.Analyzer: the declared New Relic verifier's id.
func (Analyzer) ID() string { return "newrelic" }

type gqlError struct {
	Message string `json:"message"`
	Path    []any  `json:"path"`
}

// Analyze implements analyze.Analyzer.
func (a Analyzer) Analyze(ctx context.Context, c *verify.Client, req verify.Request) (*analyze.Report, error) {
	body, _ := json.Marshal(map[string]string{"query": query})
	call := verify.Call{Verifier: a.ID(), Official: official, Method: http.MethodPost, Path: "/graphql", Body: string(body),
		Header: map[string]string{"API-Key": req.Secret, "Content-Type": "application/json", "Accept": "application/json"}}
	var answer struct {
		Data struct {
			Actor struct {
				User *struct {
					ID    json.Number `json:"id"`
					Name  string      `json:"name"`
					Email string      `json:"email"`
				} `json:"user"`
				Organization *struct {
					ID   string `json:"id"`
					Name string `json:"name"`
				} `json:"organization"`
				Accounts []struct {
					ID   int64  `json:"id"`
					Name string `json:"name"`
				} `json:"accounts"`
			} `json:"actor"`
		} `json:"data"`
		Errors []gqlError `json:"errors"`
	}
	if _, err := analyze.GetJSON(ctx, c, req, call, &answer); err != nil {
		if analyze.IsStatus(err, http.StatusUnauthorized, http.StatusForbidden) {
			return nil, errors.New("New Relic: invalid API key (rejected by NerdGraph)")
		}
		return nil, errors.New(verify.Scrub("New Relic NerdGraph: "+err.Error(), req))
	}
	actor := answer.Data.Actor
	if actor.User == nil {
		msg := "no user in the answer"
		if len(answer.Errors) > 0 {
			msg = answer.Errors[0].Message
		}
		return nil, errors.New(verify.Scrub("New Relic NerdGraph: "+msg, req))
	}
	rep := &analyze.Report{Analyzer: a.ID(), Kind: "user API key", Severity: analyze.SeverityWrite}
	if !strings.HasPrefix(req.Secret, "NRAK-") {
		rep.Kind = "API key"
	}
	u := actor.User
	id := fmt.Sprintf("%s <%s> (user %s)", u.Name, u.Email, u.ID.String())
	org := ""
	if actor.Organization != nil && actor.Organization.Name != "" {
		org = actor.Organization.Name
		id += " in " + org
		rep.Resources = append(rep.Resources, analyze.Resource{Kind: "organization", Name: verify.Scrub(org+" ("+actor.Organization.ID+")", req), Permissions: []string{"member"}})
	}
	rep.Identity = verify.Scrub(id, req)
	for _, e := range answer.Errors {
		what := "query"
		if len(e.Path) > 0 {
			parts := make([]string, len(e.Path))
			for i, p := range e.Path {
				parts[i] = fmt.Sprint(p)
			}
			what = strings.Join(parts, ".")
		}
		rep.Partial = append(rep.Partial, verify.Scrub(what+": "+e.Message, req))
	}
	for _, acc := range actor.Accounts {
		rep.Resources = append(rep.Resources, analyze.Resource{Kind: "account", Name: verify.Scrub(acc.Name+" ("+strconv.FormatInt(acc.ID, 10)+")", req), Permissions: []string{"nerdgraph", "nrql"}})
	}
	n := len(actor.Accounts)
	switch {
	case n == 0:
		rep.Severity = analyze.SeverityInfo
		rep.Worst = "reaches no New Relic account as " + u.Email
	default:
		rep.Worst = fmt.Sprintf("queries all telemetry of %d New Relic accounts and changes them within the roles of %s", n, u.Email)
	}
	if org != "" {
		rep.Worst += " (organization " + org + ")"
	}
	rep.Worst = verify.Scrub(rep.Worst, req)
	rep.Sort()
	return rep, nil
}
