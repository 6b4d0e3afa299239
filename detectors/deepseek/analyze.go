// Package deepseek maps what a leaked DeepSeek API key can reach: the
// account's balance it spends and the models it runs.
package deepseek

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/verify"
)

// official is the API host the "deepseek" verifier uses.
const official = "https://api.deepseek.com"

// Analyzer maps an API key.
//
// Docs: https://api-docs.deepseek.com/api/get-user-balance (GET
// /user/balance: is_available, balance_infos per currency),
// https://api-docs.deepseek.com/api/list-models (GET /models).
type Analyzer struct{}

// ID implements analyze.Analyzer.
func (Analyzer) ID() string { return "deepseek" }

// Analyze implements analyze.Analyzer.
func (a Analyzer) Analyze(ctx context.Context, c *verify.Client, req verify.Request) (*analyze.Report, error) {
	call := func(path string) verify.Call {
		return verify.Call{Verifier: a.ID(), Official: official, Path: path, Header: map[string]string{"Authorization": "Bearer " + req.Secret, "Accept": "application/json"}}
	}
	var bal struct {
		IsAvailable  bool `json:"is_available"`
		BalanceInfos []struct {
			Currency       string `json:"currency"`
			TotalBalance   string `json:"total_balance"`
			GrantedBalance string `json:"granted_balance"`
			ToppedUp       string `json:"topped_up_balance"`
		} `json:"balance_infos"`
	}
	_, err := analyze.GetJSON(ctx, c, req, call("/user/balance"), &bal)
	switch {
	case err == nil:
	case analyze.IsStatus(err, http.StatusUnauthorized):
		return nil, errors.New("deepseek: the key is not valid (401 from /user/balance)")
	default:
		return nil, fmt.Errorf("deepseek: %s", verify.Scrub(err.Error(), req))
	}
	rep := &analyze.Report{Analyzer: a.ID(), Kind: "API key", Severity: analyze.SeverityRead}
	var totals []string
	for _, b := range bal.BalanceInfos {
		rep.Resources = append(rep.Resources, analyze.Resource{
			Kind: "balance", Name: fmt.Sprintf("%s %s (granted %s, topped up %s)", b.TotalBalance, b.Currency, b.GrantedBalance, b.ToppedUp),
			Permissions: []string{"spend"},
		})
		totals = append(totals, b.TotalBalance+" "+b.Currency)
	}
	var models struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if _, err := analyze.GetJSON(ctx, c, req, call("/models"), &models); err != nil {
		rep.Partial = append(rep.Partial, "models: "+verify.Scrub(err.Error(), req))
	}
	for _, m := range models.Data {
		rep.Resources = append(rep.Resources, analyze.Resource{Kind: "model", Name: verify.Scrub(m.ID, req), Permissions: []string{"use"}})
	}
	switch {
	case !bal.IsAvailable:
		rep.Worst = "the account's balance is exhausted: the key runs no paid call until it is topped up"
	case len(totals) > 0:
		rep.Worst = "can spend the DeepSeek account's balance of " + strings.Join(totals, " and ")
	default:
		rep.Worst = "can run DeepSeek models billed to the account"
	}
	rep.Sort()
	return rep, nil
}
