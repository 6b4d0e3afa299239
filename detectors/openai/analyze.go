// Package openai maps what a leaked OpenAI key can reach: for a project,
// service-account or user key, the models it lists, who it belongs to and
// which of a fixed set of read-only listings its (possibly restricted)
// permissions allow; for an Admin API key, the organisation's projects,
// members with their roles and admin keys.
package openai

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/verify"
)

// official is the API host the verifiers "openai" and "openai-admin" use.
const official = "https://api.openai.com"

// pageLimit is the largest page the list endpoints take (1 to 100).
const pageLimit = 100

// Analyzer maps a project, service-account or user key.
//
// Docs: https://platform.openai.com/docs/api-reference/models/list (models),
// https://platform.openai.com/docs/api-reference/files/list,
// https://platform.openai.com/docs/api-reference/fine-tuning/list,
// https://platform.openai.com/docs/api-reference/assistants/listAssistants,
// https://platform.openai.com/docs/api-reference/batch/list, and
// https://help.openai.com/en/articles/8867743-assign-api-key-permissions
// (a restricted key answers 401/403 "insufficient permissions" for what it
// may not do). GET /v1/me, the identity the platform itself reads, is not in
// the public reference: a refusal there only leaves the identity out.
type Analyzer struct{}

// ID implements analyze.Analyzer.
func (Analyzer) ID() string { return "openai" }

// probe is one read-only listing whose answer tells a permission.
type probe struct {
	name   string // the permission as the key settings page names it
	path   string
	header map[string]string
}

// probes are the listings asked of every key: each is GET, limit=1.
var probes = []probe{
	{name: "Files", path: "/v1/files?limit=1"},
	{name: "Fine-tuning", path: "/v1/fine_tuning/jobs?limit=1"},
	{name: "Assistants", path: "/v1/assistants?limit=1", header: map[string]string{"OpenAI-Beta": "assistants=v2"}},
	{name: "Batch", path: "/v1/batches?limit=1"},
}

// Analyze implements analyze.Analyzer.
func (a Analyzer) Analyze(ctx context.Context, c *verify.Client, req verify.Request) (*analyze.Report, error) {
	rep := &analyze.Report{Analyzer: a.ID(), Kind: keyKind(req.Secret)}
	call := func(path string, extra map[string]string) verify.Call {
		h := map[string]string{"Authorization": "Bearer " + req.Secret}
		for k, v := range extra {
			h[k] = v
		}
		return verify.Call{Verifier: a.ID(), Official: official, Path: path, Header: h}
	}

	// Models: proves the key is live (or restricted from listing them).
	var models struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	resp, err := analyze.GetJSON(ctx, c, req, call("/v1/models", nil), &models)
	modelsAllowed := err == nil
	switch {
	case err == nil:
	case resp != nil && denied(resp):
		// A restricted key without "Models" read: live, but refused here.
	case resp != nil && resp.Status == http.StatusUnauthorized:
		return nil, errors.New("openai: the key is not valid (401 from /v1/models)")
	default:
		return nil, fmt.Errorf("openai: %s", verify.Scrub(err.Error(), req))
	}

	// Identity and organisations, where the key's user can be read.
	var me struct {
		Email string `json:"email"`
		Name  string `json:"name"`
		Orgs  struct {
			Data []struct {
				ID       string `json:"id"`
				Title    string `json:"title"`
				Role     string `json:"role"`
				Personal bool   `json:"personal"`
			} `json:"data"`
		} `json:"orgs"`
	}
	var orgs []string
	if _, err := analyze.GetJSON(ctx, c, req, call("/v1/me", nil), &me); err == nil {
		rep.Identity = verify.Scrub(firstNonEmpty(me.Email, me.Name), req)
		for _, o := range me.Orgs.Data {
			res := analyze.Resource{Kind: "organization", Name: verify.Scrub(orgName(o.Title, o.ID), req)}
			if o.Role != "" {
				res.Permissions = []string{o.Role}
			}
			rep.Resources = append(rep.Resources, res)
			orgs = append(orgs, res.Name)
		}
	} else {
		rep.Partial = append(rep.Partial, "identity: "+verify.Scrub(err.Error(), req))
	}

	if modelsAllowed {
		rep.Resources = append(rep.Resources, analyze.Resource{
			Kind: "permission", Name: "Models", Permissions: []string{"read"},
		})
	}
	allowed, refused := []string{}, []string{}
	if !modelsAllowed {
		refused = append(refused, "Models")
	}
	for _, p := range probes {
		resp, err := analyze.GetJSON(ctx, c, req, call(p.path, p.header), nil)
		switch {
		case err == nil:
			allowed = append(allowed, p.name)
			rep.Resources = append(rep.Resources, analyze.Resource{
				Kind: "permission", Name: p.name, Permissions: []string{"read"},
			})
		case resp != nil && (denied(resp) || resp.Status == http.StatusUnauthorized || resp.Status == http.StatusForbidden):
			refused = append(refused, p.name)
		default:
			rep.Partial = append(rep.Partial, p.name+": "+verify.Scrub(err.Error(), req))
		}
	}

	restricted := len(refused) > 0
	if restricted {
		rep.Kind += ", restricted"
	}
	where := "its organisation"
	if len(orgs) == 1 {
		where = "the organisation " + orgs[0]
	} else if len(orgs) > 1 {
		where = fmt.Sprintf("%d organisations", len(orgs))
	}
	switch {
	case !restricted:
		rep.Severity = analyze.SeverityWrite
		// Write permissions cannot be probed without writing: a key that
		// reads everything asked is taken for an unrestricted one.
		rep.Worst = "every permission probed is granted (models, files, fine-tuning, assistants, batches): likely full access to the OpenAI API of " + where + ", billed to it"
	case len(allowed) > 0:
		rep.Severity = analyze.SeverityRead
		rep.Worst = "restricted key of " + where + " that reads " + strings.Join(allowed, ", ") + " (refused: " + strings.Join(refused, ", ") + ")"
	default:
		rep.Severity = analyze.SeverityInfo
		rep.Worst = "restricted key of " + where + " refused every listing asked (" + strings.Join(refused, ", ") + ")"
	}
	rep.Sort()
	return rep, nil
}

// AdminAnalyzer maps an Admin API key (sk-admin-): it administers the whole
// organisation (projects, members, API keys).
//
// Docs: https://platform.openai.com/docs/api-reference/projects/list,
// https://platform.openai.com/docs/api-reference/users/list,
// https://platform.openai.com/docs/api-reference/admin-api-keys/list
// (cursor pagination: after=<last_id> while has_more).
type AdminAnalyzer struct{}

// ID implements analyze.Analyzer.
func (AdminAnalyzer) ID() string { return "openai-admin" }

// Analyze implements analyze.Analyzer.
func (a AdminAnalyzer) Analyze(ctx context.Context, c *verify.Client, req verify.Request) (*analyze.Report, error) {
	rep := &analyze.Report{Analyzer: a.ID(), Kind: "admin key", Severity: analyze.SeverityAdmin}
	base := verify.Call{Verifier: a.ID(), Official: official, Header: map[string]string{"Authorization": "Bearer " + req.Secret}}
	learnt := false

	type listing struct {
		label, path string
		each        func(json.RawMessage)
		n           *int
	}
	var owners []string
	projects, users, keys := 0, 0, 0
	lists := []listing{
		{"members", "/v1/organization/users", func(raw json.RawMessage) {
			var u struct{ Email, Name, Role string }
			if json.Unmarshal(raw, &u) != nil {
				return
			}
			users++
			name := verify.Scrub(firstNonEmpty(u.Email, u.Name), req)
			rep.Resources = append(rep.Resources, analyze.Resource{Kind: "user", Name: name, Permissions: nonEmpty(u.Role)})
			if u.Role == "owner" {
				owners = append(owners, name)
			}
		}, &users},
		{"projects", "/v1/organization/projects", func(raw json.RawMessage) {
			var p struct{ ID, Name, Status string }
			if json.Unmarshal(raw, &p) != nil {
				return
			}
			projects++
			perms := []string{"admin"}
			if p.Status == "archived" {
				perms = append(perms, "archived")
			}
			rep.Resources = append(rep.Resources, analyze.Resource{Kind: "project", Name: verify.Scrub(orgName(p.Name, p.ID), req), Permissions: perms})
		}, &projects},
		{"admin API keys", "/v1/organization/admin_api_keys", func(raw json.RawMessage) {
			var k struct {
				Name          string `json:"name"`
				RedactedValue string `json:"redacted_value"`
			}
			if json.Unmarshal(raw, &k) != nil {
				return
			}
			keys++
			rep.Resources = append(rep.Resources, analyze.Resource{Kind: "admin api key", Name: verify.Scrub(orgName(k.Name, k.RedactedValue), req)})
		}, &keys},
	}
	var counts []string
	for _, l := range lists {
		truncated, err := cursorPages(ctx, c, req, base, l.path, "after", l.each)
		switch {
		case err == nil:
			learnt = true
			more := ""
			if truncated {
				more = "+"
			}
			counts = append(counts, fmt.Sprintf("%d%s %s", *l.n, more, l.label))
		case analyze.IsStatus(err, http.StatusUnauthorized) && !learnt:
			return nil, errors.New("openai-admin: the key is not valid (401 from " + l.path + ")")
		default:
			rep.Partial = append(rep.Partial, l.label+": "+verify.Scrub(err.Error(), req))
		}
		if truncated {
			rep.Partial = append(rep.Partial, fmt.Sprintf("%s: stopped after %d pages", l.label, analyze.MaxPages))
		}
	}
	if !learnt {
		return nil, fmt.Errorf("openai-admin: nothing could be read (%s)", strings.Join(rep.Partial, "; "))
	}
	sort.Strings(owners)
	if len(owners) > 0 {
		rep.Identity = "organisation owned by " + owners[0]
	}
	rep.Worst = "admin of the OpenAI organisation (" + strings.Join(counts, ", ") + "): can create API keys, add projects and change members' roles"
	rep.Sort()
	return rep, nil
}

// cursorPages lists an endpoint answering {"data":[...],"has_more":b,
// "last_id":"..."}, asking for the next page with param=<last_id>, up to
// analyze.MaxPages pages.
func cursorPages(ctx context.Context, c *verify.Client, req verify.Request, base verify.Call, path, param string, each func(json.RawMessage)) (truncated bool, err error) {
	after := ""
	for page := 0; page < analyze.MaxPages; page++ {
		call := base
		call.Path = fmt.Sprintf("%s?limit=%d", path, pageLimit)
		if after != "" {
			call.Path += "&" + param + "=" + url.QueryEscape(after)
		}
		var list struct {
			Data    []json.RawMessage `json:"data"`
			HasMore bool              `json:"has_more"`
			LastID  string            `json:"last_id"`
		}
		if _, err := analyze.GetJSON(ctx, c, req, call, &list); err != nil {
			return false, err
		}
		for _, d := range list.Data {
			each(d)
		}
		if !list.HasMore || list.LastID == "" || list.LastID == after {
			return false, nil
		}
		after = list.LastID
	}
	return true, nil
}

// denied reports an answer refusing a restricted key a permission; OpenAI
// words it "You have insufficient permissions for this operation. Missing
// scopes: ...".
func denied(resp *verify.Response) bool {
	if resp.Status != http.StatusUnauthorized && resp.Status != http.StatusForbidden {
		return false
	}
	var e struct {
		Error struct {
			Message string `json:"message"`
			Code    string `json:"code"`
		} `json:"error"`
	}
	if json.Unmarshal(resp.Body, &e) != nil || e.Error.Code == "invalid_api_key" {
		return false
	}
	m := strings.ToLower(e.Error.Message)
	return strings.Contains(m, "insufficient permissions") || strings.Contains(m, "missing scopes")
}

func keyKind(secret string) string {
	switch {
	case strings.HasPrefix(secret, "sk-proj-"):
		return "project key"
	case strings.HasPrefix(secret, "sk-svcacct-"):
		return "service account key"
	}
	return "user key"
}

func orgName(title, id string) string {
	switch {
	case title == "":
		return id
	case id == "":
		return title
	}
	return title + " (" + id + ")"
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}
