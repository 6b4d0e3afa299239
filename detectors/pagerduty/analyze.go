// Package pagerduty analyzes PagerDuty REST API keys: a general access key
// of the account, or a user's token (u+...), which acts with its user's
// role. The verifier is declared in the catalogue (id "pagerduty").
package pagerduty

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/verify"
)

// official is PagerDuty's one REST API host.
const official = "https://api.pagerduty.com"

// pageLimit is the largest page PagerDuty's classic pagination serves.
const pageLimit = 100

// Analyzer maps what a PagerDuty REST API key reaches: the account's
// abilities, whose key it is (/users/me answers for user tokens only, and
// gives the user's role), the services it sees (offset pagination) and how
// many users the account has.
//
// Docs: https://developer.pagerduty.com/docs/authentication (Token
// token=... and the version 2 Accept header),
// https://developer.pagerduty.com/api-reference/e3ed7e1e8bbd0-list-abilities,
// https://developer.pagerduty.com/api-reference/0f2b2a8a4e0f3-get-the-current-user,
// https://developer.pagerduty.com/api-reference/e960cca205c0f-list-services,
// https://developer.pagerduty.com/api-reference/c96e889522dd6-list-users,
// https://developer.pagerduty.com/docs/pagination (offset, limit, more,
// total), https://developer.pagerduty.com/docs/rest-api-rate-limits (429),
// https://support.pagerduty.com/main/docs/user-roles (roles).
type Analyzer struct{}

// ID implements analyze.Analyzer: the declared PagerDuty verifier's id.
func (Analyzer) ID() string { return "pagerduty" }

// readRoles read the account without changing it; adminRoles administer it.
var (
	readRoles  = map[string]bool{"observer": true, "read_only_user": true, "read_only_limited_user": true, "restricted_access": true}
	adminRoles = map[string]bool{"owner": true, "admin": true}
)

func (a Analyzer) call(req verify.Request, path string) verify.Call {
	return verify.Call{Verifier: a.ID(), Official: official, Path: path, Header: map[string]string{
		"Authorization": "Token token=" + req.Secret,
		"Accept":        "application/vnd.pagerduty+json;version=2",
	}}
}

// Analyze implements analyze.Analyzer.
func (a Analyzer) Analyze(ctx context.Context, c *verify.Client, req verify.Request) (*analyze.Report, error) {
	var ab struct {
		Abilities []string `json:"abilities"`
	}
	if _, err := analyze.GetJSON(ctx, c, req, a.call(req, "/abilities"), &ab); err != nil {
		if analyze.IsStatus(err, http.StatusUnauthorized) {
			return nil, errors.New("PagerDuty: invalid API key (401)")
		}
		return nil, errors.New(verify.Scrub("PagerDuty abilities: "+err.Error(), req))
	}
	rep := &analyze.Report{Analyzer: a.ID()}
	for _, s := range ab.Abilities {
		rep.Scopes = append(rep.Scopes, verify.Scrub(s, req))
	}
	sort.Strings(rep.Scopes)

	// /users/me is refused for an account's general access key; for a
	// user's token it names the user and their role.
	var me struct {
		User struct {
			ID    string `json:"id"`
			Name  string `json:"name"`
			Email string `json:"email"`
			Role  string `json:"role"`
		} `json:"user"`
	}
	role := ""
	_, err := analyze.GetJSON(ctx, c, req, a.call(req, "/users/me"), &me)
	switch {
	case err == nil && me.User.ID != "":
		role = me.User.Role
		rep.Kind = "user API token"
		rep.Identity = verify.Scrub(fmt.Sprintf("%s <%s> (%s, role %s)", me.User.Name, me.User.Email, me.User.ID, role), req)
	case analyze.IsStatus(err, http.StatusBadRequest, http.StatusForbidden, http.StatusNotFound) && !strings.HasPrefix(req.Secret, "u+"):
		rep.Kind = "general access REST API key"
		rep.Identity = "the PagerDuty account (general access key)"
	default:
		rep.Kind = "REST API key"
		if strings.HasPrefix(req.Secret, "u+") {
			rep.Kind = "user API token"
		}
		rep.Partial = append(rep.Partial, verify.Scrub(fmt.Sprintf("current user: %v", errOr(err, "no user in the answer")), req))
	}

	perm := role
	if perm == "" {
		perm = "general access"
	}
	services := 0
	cut, err := a.offsetPages(ctx, c, req, "/services", "services", func(raw json.RawMessage) error {
		var svc []struct {
			ID     string `json:"id"`
			Name   string `json:"name"`
			Status string `json:"status"`
		}
		if err := json.Unmarshal(raw, &svc); err != nil {
			return err
		}
		for _, s := range svc {
			services++
			rep.Resources = append(rep.Resources, analyze.Resource{Kind: "service", Name: verify.Scrub(s.Name+" ("+s.ID+")", req), Permissions: []string{perm}})
		}
		return nil
	})
	rep.Partial = append(rep.Partial, partial("services", cut, err, req)...)

	users := -1
	var page struct {
		Total *int `json:"total"`
	}
	if _, err := analyze.GetJSON(ctx, c, req, a.call(req, "/users?limit=1&total=true"), &page); err != nil {
		rep.Partial = append(rep.Partial, verify.Scrub("users: "+err.Error(), req))
	} else if page.Total != nil {
		users = *page.Total
	}

	reach := fmt.Sprintf("%d services", services)
	if cut {
		reach = fmt.Sprintf("at least %d services", services)
	}
	if users >= 0 {
		reach += fmt.Sprintf(" and %d users", users)
	}
	switch {
	case role == "" && rep.Kind == "general access REST API key":
		// PagerDuty does not say whether a general access key was made
		// read-only without trying a write, which is never done.
		rep.Severity = analyze.SeverityAdmin
		rep.Worst = "acts on the whole PagerDuty account (" + reach + ") with a general access key: full access unless it was made read-only"
	case adminRoles[role]:
		rep.Severity = analyze.SeverityAdmin
		rep.Worst = fmt.Sprintf("administers the PagerDuty account as %s (%s): %s", me.User.Email, role, reach)
	case readRoles[role]:
		rep.Severity = analyze.SeverityRead
		rep.Worst = fmt.Sprintf("reads the PagerDuty account as %s (%s): %s", me.User.Email, role, reach)
	case role != "":
		rep.Severity = analyze.SeverityWrite
		rep.Worst = fmt.Sprintf("can change incidents and services as %s (%s): %s", me.User.Email, role, reach)
	default:
		rep.Severity = analyze.SeverityWrite
		rep.Worst = "acts on the PagerDuty account (whose key could not be read): " + reach
	}
	rep.Worst = verify.Scrub(rep.Worst, req)
	rep.Sort()
	return rep, nil
}

func errOr(err error, s string) any {
	if err != nil {
		return err
	}
	return s
}

func partial(what string, cut bool, err error, req verify.Request) []string {
	switch {
	case err != nil:
		return []string{verify.Scrub(what+": "+err.Error(), req)}
	case cut:
		return []string{fmt.Sprintf("%s: stopped after %d pages", what, analyze.MaxPages)}
	}
	return nil
}

// offsetPages follows PagerDuty's classic pagination (offset and limit,
// until "more" is false), up to analyze.MaxPages, handing each page's
// list under key to each. It returns whether the page limit cut it.
func (a Analyzer) offsetPages(ctx context.Context, c *verify.Client, req verify.Request, path, key string, each func(json.RawMessage) error) (bool, error) {
	for page := 0; ; page++ {
		if page == analyze.MaxPages {
			return true, nil
		}
		if err := ctx.Err(); err != nil {
			return false, err
		}
		var body map[string]json.RawMessage
		p := fmt.Sprintf("%s?limit=%d&offset=%d", path, pageLimit, page*pageLimit)
		if _, err := analyze.GetJSON(ctx, c, req, a.call(req, p), &body); err != nil {
			return false, err
		}
		if err := each(body[key]); err != nil {
			return false, err
		}
		var more bool
		if raw, ok := body["more"]; !ok || json.Unmarshal(raw, &more) != nil || !more {
			return false, nil
		}
	}
}
