package stripe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/verify"
)

// Analyzer maps what a Stripe key reaches. A secret key (sk_) can do
// anything on its account, so the account is read and nothing else is
// asked. A restricted key (rk_) has per-resource permissions Stripe does
// not list: each of a fixed set of read-only list endpoints is asked for
// one object, and a 200 or a 403 permission error tells whether the key
// may read that resource. Write permissions are never probed (that would
// change the account).
//
// Docs: https://docs.stripe.com/api/accounts/retrieve,
// https://docs.stripe.com/keys/restricted-api-keys (a key lacking a
// permission gets an invalid request error, HTTP 403),
// https://docs.stripe.com/api/authentication (the key as the basic-auth
// user), https://docs.stripe.com/rate-limits (429).
type Analyzer struct{}

// ID implements analyze.Analyzer: the Stripe verifier's id.
func (Analyzer) ID() string { return "stripe" }

// probes are the read-only endpoints asked for a restricted key, each with
// the Stripe resource it reads.
var probes = []struct{ resource, path string }{
	{"balance", "/v1/balance"},
	{"charges", "/v1/charges?limit=1"},
	{"customers", "/v1/customers?limit=1"},
	{"payment intents", "/v1/payment_intents?limit=1"},
	{"payouts", "/v1/payouts?limit=1"},
	{"subscriptions", "/v1/subscriptions?limit=1"},
	{"invoices", "/v1/invoices?limit=1"},
	{"webhook endpoints", "/v1/webhook_endpoints?limit=1"},
}

// private are the resources whose reading exposes customers' or the
// business's data.
var private = map[string]bool{"charges": true, "customers": true, "payment intents": true, "payouts": true, "invoices": true, "subscriptions": true, "balance": true}

var accountInMessage = regexp.MustCompile(`acct_[0-9A-Za-z]+`)

// Analyze implements analyze.Analyzer.
func (a Analyzer) Analyze(ctx context.Context, c *verify.Client, req verify.Request) (*analyze.Report, error) {
	rep := &analyze.Report{Analyzer: a.ID(), Kind: kind(req.Secret)}
	mode := "live mode"
	if strings.Contains(req.Secret, "_test_") {
		mode = "test mode"
	}
	var acct struct {
		ID           string `json:"id"`
		Email        string `json:"email"`
		Country      string `json:"country"`
		BusinessType string `json:"business_type"`
		Settings     struct {
			Dashboard struct {
				DisplayName string `json:"display_name"`
			} `json:"dashboard"`
		} `json:"settings"`
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	resp, err := analyze.GetJSON(ctx, c, req, a.call(req, "/v1/account"), &acct)
	accountRead := err == nil
	switch {
	case err == nil:
	case analyze.IsStatus(err, http.StatusForbidden):
		// A restricted key without the account permission: Stripe names
		// the account in its refusal.
		_ = json.Unmarshal(resp.Body, &acct)
		acct.ID = accountInMessage.FindString(acct.Error.Message)
		rep.Partial = append(rep.Partial, "account: not readable by this key (403)")
	case analyze.IsStatus(err, http.StatusUnauthorized):
		return nil, errors.New("Stripe: invalid or revoked key (401)")
	default:
		return nil, errors.New(verify.Scrub("Stripe account: "+err.Error(), req))
	}
	name := acct.ID
	if name == "" {
		name = "(unknown account)"
	}
	rep.Identity = name
	if n := acct.Settings.Dashboard.DisplayName; n != "" {
		rep.Identity += " (" + n + ")"
	}
	if acct.Email != "" {
		rep.Identity += " <" + acct.Email + ">"
	}
	rep.Identity = verify.Scrub(rep.Identity, req)

	if !strings.HasPrefix(req.Secret, "rk_") {
		rep.Resources = []analyze.Resource{{Kind: "account", Name: verify.Scrub(name, req), Permissions: []string{"full access (secret key)"}}}
		rep.Severity = analyze.SeverityAdmin
		rep.Worst = verify.Scrub(fmt.Sprintf("full access to Stripe account %s in %s", name, mode), req)
		rep.Sort()
		return rep, nil
	}

	var readable []string
	sev := analyze.SeverityInfo
	for _, p := range probes {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		_, err := analyze.GetJSON(ctx, c, req, a.call(req, p.path), nil)
		switch {
		case err == nil:
			readable = append(readable, p.resource)
			rep.Resources = append(rep.Resources, analyze.Resource{Kind: "resource", Name: p.resource, Permissions: []string{"read"}})
			if private[p.resource] {
				sev = analyze.SeverityRead
			}
		case analyze.IsStatus(err, http.StatusForbidden):
			// not permitted: nothing to report
		default:
			rep.Partial = append(rep.Partial, verify.Scrub(p.resource+": "+err.Error(), req))
		}
	}
	if accountRead {
		rep.Resources = append(rep.Resources, analyze.Resource{Kind: "account", Name: verify.Scrub(name, req), Permissions: []string{"read"}})
	}
	rep.Severity = sev
	if len(readable) == 0 {
		rep.Worst = verify.Scrub(fmt.Sprintf("restricted key of Stripe account %s (%s) reads none of the resources probed; write permissions are not probed", name, mode), req)
	} else {
		rep.Worst = verify.Scrub(fmt.Sprintf("restricted key reads %s of Stripe account %s in %s; write permissions are not probed", strings.Join(readable, ", "), name, mode), req)
	}
	rep.Sort()
	return rep, nil
}

func (a Analyzer) call(req verify.Request, path string) verify.Call {
	return verify.Call{Verifier: a.ID(), Official: official, Path: path, BasicUser: req.Secret}
}
