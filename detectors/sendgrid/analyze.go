// Package sendgrid analyzes SendGrid API keys: the key's scopes and the
// account they act on. Its verifier is declared in the provider catalogue
// (rules/default, [[verify.http]] id "sendgrid").
package sendgrid

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/verify"
)

const official = "https://api.sendgrid.com"

// Analyzer maps what a SendGrid API key can do from its scopes (GET
// /v3/scopes, which every key may call) and names the account through the
// user endpoints where the key's scopes allow them.
//
// Docs: https://www.twilio.com/docs/sendgrid/api-reference/api-key-permissions/retrieve-a-list-of-scopes-for-which-this-user-has-access,
// https://www.twilio.com/docs/sendgrid/api-reference/users-api/get-a-users-account-information,
// https://www.twilio.com/docs/sendgrid/api-reference/users-api/retrieve-your-username,
// https://www.twilio.com/docs/sendgrid/api-reference/users-api/retrieve-your-account-email-address,
// https://www.twilio.com/docs/sendgrid/for-developers/sending-email/api-getting-started (Bearer auth),
// https://www.twilio.com/docs/sendgrid/api-reference/how-to-use-the-sendgrid-v3-api/rate-limits (429).
type Analyzer struct{}

// ID implements analyze.Analyzer: the id of SendGrid's declared verifier.
func (Analyzer) ID() string { return "sendgrid" }

// adminScopes make more credentials or more users.
var adminScopes = []string{"api_keys.create", "api_keys.update", "teammates.create", "subusers.create", "sso.teammates.create"}

// Analyze implements analyze.Analyzer.
func (a Analyzer) Analyze(ctx context.Context, c *verify.Client, req verify.Request) (*analyze.Report, error) {
	var sc struct {
		Scopes []string `json:"scopes"`
	}
	if _, err := analyze.GetJSON(ctx, c, req, a.call(req, "/v3/scopes"), &sc); err != nil {
		if analyze.IsStatus(err, http.StatusUnauthorized, http.StatusForbidden) {
			return nil, errors.New("SendGrid: the API key was rejected")
		}
		return nil, errors.New(verify.Scrub("SendGrid scopes: "+err.Error(), req))
	}
	has := map[string]bool{}
	for _, s := range sc.Scopes {
		has[s] = true
	}
	rep := &analyze.Report{Analyzer: a.ID(), Kind: "API key"}
	if len(sc.Scopes) == 1 && has["mail.send"] {
		rep.Kind = "API key (mail send only)"
	}

	// The account, where the scopes let the key read it.
	var who []string
	if has["user.username.read"] {
		var u struct {
			Username string `json:"username"`
		}
		if _, err := analyze.GetJSON(ctx, c, req, a.call(req, "/v3/user/username"), &u); err != nil {
			rep.Partial = append(rep.Partial, verify.Scrub("username: "+err.Error(), req))
		} else if u.Username != "" {
			who = append(who, u.Username)
		}
	}
	if has["user.email.read"] {
		var e struct {
			Email string `json:"email"`
		}
		if _, err := analyze.GetJSON(ctx, c, req, a.call(req, "/v3/user/email"), &e); err != nil {
			rep.Partial = append(rep.Partial, verify.Scrub("email: "+err.Error(), req))
		} else if e.Email != "" {
			who = append(who, "<"+e.Email+">")
		}
	}
	plan := ""
	if has["user.account.read"] {
		var acct struct {
			Type       string  `json:"type"`
			Reputation float64 `json:"reputation"`
		}
		if _, err := analyze.GetJSON(ctx, c, req, a.call(req, "/v3/user/account"), &acct); err != nil {
			rep.Partial = append(rep.Partial, verify.Scrub("account: "+err.Error(), req))
		} else if acct.Type != "" {
			plan = fmt.Sprintf(" (%s account, reputation %g)", acct.Type, acct.Reputation)
		}
	}
	name := strings.Join(who, " ")
	if name == "" {
		name = "the key's SendGrid account"
	}
	rep.Identity = verify.Scrub(name+plan, req)

	// Scopes grouped by what they act on: "mail.send" is group "mail",
	// permission "send".
	groups := map[string][]string{}
	var order []string
	for _, s := range sc.Scopes {
		g, p := s, s
		if i := strings.LastIndexByte(s, '.'); i > 0 {
			g, p = s[:i], s[i+1:]
		}
		if _, ok := groups[g]; !ok {
			order = append(order, g)
		}
		groups[g] = append(groups[g], p)
	}
	for _, g := range order {
		rep.Resources = append(rep.Resources, analyze.Resource{Kind: "scope group", Name: verify.Scrub(g, req), Permissions: groups[g]})
	}

	rep.Severity = analyze.SeverityInfo
	var admin []string
	for _, s := range adminScopes {
		if has[s] {
			admin = append(admin, s)
		}
	}
	writes := 0
	for _, s := range sc.Scopes {
		switch {
		case strings.HasSuffix(s, ".create") || strings.HasSuffix(s, ".update") || strings.HasSuffix(s, ".delete") || s == "mail.send":
			writes++
			if rep.Severity < analyze.SeverityWrite {
				rep.Severity = analyze.SeverityWrite
			}
		case strings.HasSuffix(s, ".read") && rep.Severity < analyze.SeverityRead:
			rep.Severity = analyze.SeverityRead
		}
	}
	var worst string
	switch {
	case len(admin) > 0:
		rep.Severity = analyze.SeverityAdmin
		worst = fmt.Sprintf("can make credentials or users (%s)", strings.Join(admin, ", "))
		if has["mail.send"] {
			worst += " and send mail"
		}
	case has["mail.send"]:
		worst = "can send mail"
	case writes > 0:
		worst = fmt.Sprintf("can change settings (%d write scopes)", writes)
	case rep.Severity == analyze.SeverityRead:
		worst = "reads account data"
	default:
		worst = "reads nothing beyond its own scopes"
	}
	rep.Worst = verify.Scrub(fmt.Sprintf("%s as %s (%d scopes)", worst, name, len(sc.Scopes)), req)
	rep.Sort()
	return rep, nil
}

func (a Analyzer) call(req verify.Request, path string) verify.Call {
	return verify.Call{
		Verifier: a.ID(), Official: official, Path: path,
		Header: map[string]string{"Authorization": "Bearer " + req.Secret, "Accept": "application/json"},
	}
}
