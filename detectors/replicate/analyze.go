// Package replicate maps what a leaked Replicate API token can reach: the
// account (user or organisation) it acts as, its deployments and whether
// its predictions, with their inputs and outputs, can be read.
package replicate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/verify"
)

// official is the API base the "replicate" verifier uses.
const official = "https://api.replicate.com"

// Analyzer maps an API token (r8_). A Replicate token acts with the whole
// account's rights: it runs models, and creates models and deployments,
// billed to the account.
//
// Docs: https://replicate.com/docs/reference/http#account.get,
// https://replicate.com/docs/reference/http#deployments.list and
// https://replicate.com/docs/reference/http#predictions.list (cursor
// pagination: the answer's "next" is the next page's URL).
type Analyzer struct{}

// ID implements analyze.Analyzer.
func (Analyzer) ID() string { return "replicate" }

// Analyze implements analyze.Analyzer.
func (a Analyzer) Analyze(ctx context.Context, c *verify.Client, req verify.Request) (*analyze.Report, error) {
	call := func(path string) verify.Call {
		return verify.Call{Verifier: a.ID(), Official: official, Path: path, Header: map[string]string{"Authorization": "Bearer " + req.Secret}}
	}
	var acct struct {
		Type     string `json:"type"`
		Username string `json:"username"`
		Name     string `json:"name"`
	}
	_, err := analyze.GetJSON(ctx, c, req, call("/v1/account"), &acct)
	switch {
	case err == nil:
	case analyze.IsStatus(err, http.StatusUnauthorized):
		return nil, errors.New("replicate: the token is not valid (401 from /v1/account)")
	default:
		return nil, fmt.Errorf("replicate: %s", verify.Scrub(err.Error(), req))
	}
	scrub := func(s string) string { return verify.Scrub(s, req) }
	rep := &analyze.Report{Analyzer: a.ID(), Identity: scrub(acct.Username), Kind: "API token", Severity: analyze.SeverityWrite}
	if acct.Type != "" {
		rep.Resources = append(rep.Resources, analyze.Resource{Kind: "account (" + acct.Type + ")", Name: scrub(acct.Username), Permissions: []string{"full access"}})
	}

	base, err := c.BaseURL(a.ID(), official)
	if err != nil {
		return nil, err
	}
	deployments := 0
	truncated, err := nextPages(ctx, c, req, base, call("/v1/deployments"), func(raw json.RawMessage) {
		var d struct{ Owner, Name string }
		if json.Unmarshal(raw, &d) == nil {
			deployments++
			rep.Resources = append(rep.Resources, analyze.Resource{Kind: "deployment", Name: scrub(d.Owner + "/" + d.Name), Permissions: []string{"manage"}})
		}
	})
	if err != nil {
		rep.Partial = append(rep.Partial, "deployments: "+scrub(err.Error()))
	}
	if truncated {
		rep.Partial = append(rep.Partial, fmt.Sprintf("deployments: stopped after %d pages", analyze.MaxPages))
	}

	// One page of predictions says whether their inputs and outputs are
	// readable; they are not enumerated.
	var preds struct {
		Results []json.RawMessage `json:"results"`
		Next    *string           `json:"next"`
	}
	readsPredictions := false
	if _, err := analyze.GetJSON(ctx, c, req, call("/v1/predictions"), &preds); err != nil {
		rep.Partial = append(rep.Partial, "predictions: "+scrub(err.Error()))
	} else {
		readsPredictions = true
		n := fmt.Sprintf("%d", len(preds.Results))
		if preds.Next != nil && *preds.Next != "" {
			n += "+"
		}
		rep.Resources = append(rep.Resources, analyze.Resource{Kind: "predictions", Name: n + " recent", Permissions: []string{"read"}})
	}

	parts := []string{"can run and create models billed to the Replicate account " + rep.Identity}
	if deployments > 0 {
		parts = append(parts, fmt.Sprintf("change or delete its %d deployments", deployments))
	}
	if readsPredictions {
		parts = append(parts, "read its predictions' inputs and outputs")
	}
	rep.Worst = strings.Join(parts, ", ")
	rep.Sort()
	return rep, nil
}

// nextPages lists an endpoint answering {"results":[...],"next":URL},
// following next while it stays under base, up to analyze.MaxPages pages.
func nextPages(ctx context.Context, c *verify.Client, req verify.Request, base string, call verify.Call, each func(json.RawMessage)) (truncated bool, err error) {
	b, err := url.Parse(base)
	if err != nil {
		return false, err
	}
	for page := 0; page < analyze.MaxPages; page++ {
		var list struct {
			Results []json.RawMessage `json:"results"`
			Next    *string           `json:"next"`
		}
		if _, err := analyze.GetJSON(ctx, c, req, call, &list); err != nil {
			return false, err
		}
		for _, r := range list.Results {
			each(r)
		}
		if list.Next == nil || *list.Next == "" {
			return false, nil
		}
		n, err := url.Parse(*list.Next)
		prefix := strings.TrimSuffix(b.Path, "/")
		if err != nil || n.Scheme != b.Scheme || n.Host != b.Host || n.User != nil || !strings.HasPrefix(n.Path, prefix+"/") {
			return false, errors.New("refusing a next page on another host")
		}
		call.Path = strings.TrimPrefix(n.Path, prefix)
		if n.RawQuery != "" {
			call.Path += "?" + n.RawQuery
		}
	}
	return true, nil
}
