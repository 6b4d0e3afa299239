// Package anthropic maps what a leaked Anthropic key can reach: for an API
// key, the organisation, the models it can run and the workspace's files and
// message batches it can read; for an Admin API key, the organisation's
// workspaces, members with their roles and API keys.
package anthropic

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

// official is the API host the verifiers "anthropic" and "anthropic-admin"
// use.
const official = "https://api.anthropic.com"

// version is the anthropic-version header every request carries.
const version = "2023-06-01"

// pageLimit is the page size asked of every list (the lists take 1 to 1000).
const pageLimit = 100

// filesBeta is the beta header the Files API asks for.
const filesBeta = "files-api-2025-04-14"

func headers(secret string, extra ...string) map[string]string {
	h := map[string]string{"x-api-key": secret, "anthropic-version": version}
	for i := 0; i+1 < len(extra); i += 2 {
		h[extra[i]] = extra[i+1]
	}
	return h
}

// Analyzer maps an API key (sk-ant-api).
//
// Docs: https://docs.anthropic.com/en/api/models-list,
// https://docs.anthropic.com/en/api/organization (GET /v1/organizations/me),
// https://docs.anthropic.com/en/api/files-list,
// https://docs.anthropic.com/en/api/listing-message-batches; errors:
// https://docs.anthropic.com/en/api/errors (401 authentication_error, 403
// permission_error).
type Analyzer struct{}

// ID implements analyze.Analyzer.
func (Analyzer) ID() string { return "anthropic" }

// Analyze implements analyze.Analyzer.
func (a Analyzer) Analyze(ctx context.Context, c *verify.Client, req verify.Request) (*analyze.Report, error) {
	rep := &analyze.Report{Analyzer: a.ID(), Kind: "API key"}
	base := verify.Call{Verifier: a.ID(), Official: official, Header: headers(req.Secret)}

	models := 0
	truncated, err := cursorPages(ctx, c, req, base, "/v1/models", func(raw json.RawMessage) {
		var m struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(raw, &m) == nil && m.ID != "" {
			models++
		}
	})
	switch {
	case err == nil:
	case analyze.IsStatus(err, http.StatusUnauthorized):
		return nil, errors.New("anthropic: the key is not valid (401 from /v1/models)")
	default:
		return nil, fmt.Errorf("anthropic: %s", verify.Scrub(err.Error(), req))
	}
	if truncated {
		rep.Partial = append(rep.Partial, fmt.Sprintf("models: stopped after %d pages", analyze.MaxPages))
	}
	rep.Resources = append(rep.Resources, analyze.Resource{Kind: "api", Name: fmt.Sprintf("Messages (%d models)", models), Permissions: []string{"use"}})

	org, err := organization(ctx, c, req, base)
	if err != nil {
		rep.Partial = append(rep.Partial, "organisation: "+verify.Scrub(err.Error(), req))
	} else {
		rep.Identity = org
	}

	reads := []string{}
	for _, l := range []struct {
		name string
		call verify.Call
	}{
		{"Files", verify.Call{Verifier: a.ID(), Official: official, Path: "/v1/files?limit=1", Header: headers(req.Secret, "anthropic-beta", filesBeta)}},
		{"Message Batches", verify.Call{Verifier: a.ID(), Official: official, Path: "/v1/messages/batches?limit=1", Header: headers(req.Secret)}},
	} {
		var list struct {
			Data []json.RawMessage `json:"data"`
		}
		_, err := analyze.GetJSON(ctx, c, req, l.call, &list)
		if err != nil {
			rep.Partial = append(rep.Partial, l.name+": "+verify.Scrub(err.Error(), req))
			continue
		}
		reads = append(reads, l.name)
		rep.Resources = append(rep.Resources, analyze.Resource{Kind: "api", Name: l.name, Permissions: []string{"read", "write"}})
	}

	rep.Severity = analyze.SeverityWrite
	who := "its organisation"
	if rep.Identity != "" {
		who = rep.Identity
	}
	rep.Worst = fmt.Sprintf("can run %d Claude models billed to %s", models, who)
	if len(reads) > 0 {
		rep.Worst += " and read and add the workspace's " + strings.Join(reads, " and ")
	}
	rep.Sort()
	return rep, nil
}

// AdminAnalyzer maps an Admin API key (sk-ant-admin): it administers the
// organisation.
//
// Docs: https://docs.anthropic.com/en/api/admin-api/workspaces/list-workspaces,
// https://docs.anthropic.com/en/api/admin-api/users/list-users,
// https://docs.anthropic.com/en/api/admin-api/apikeys/list-api-keys
// (cursor pagination: after_id=<last_id> while has_more).
type AdminAnalyzer struct{}

// ID implements analyze.Analyzer.
func (AdminAnalyzer) ID() string { return "anthropic-admin" }

// Analyze implements analyze.Analyzer.
func (a AdminAnalyzer) Analyze(ctx context.Context, c *verify.Client, req verify.Request) (*analyze.Report, error) {
	rep := &analyze.Report{Analyzer: a.ID(), Kind: "admin key", Severity: analyze.SeverityAdmin}
	base := verify.Call{Verifier: a.ID(), Official: official, Header: headers(req.Secret)}

	org, err := organization(ctx, c, req, base)
	switch {
	case err == nil:
		rep.Identity = org
	case analyze.IsStatus(err, http.StatusUnauthorized):
		return nil, errors.New("anthropic-admin: the key is not valid (401 from /v1/organizations/me)")
	default:
		rep.Partial = append(rep.Partial, "organisation: "+verify.Scrub(err.Error(), req))
	}

	var admins []string
	workspaces, users, keys, active := 0, 0, 0, 0
	var counts []string
	learnt := err == nil
	for _, l := range []struct {
		label, path string
		n           *int
		each        func(json.RawMessage)
	}{
		{"workspaces", "/v1/organizations/workspaces", &workspaces, func(raw json.RawMessage) {
			var w struct {
				ID, Name   string
				ArchivedAt *string `json:"archived_at"`
			}
			if json.Unmarshal(raw, &w) != nil {
				return
			}
			workspaces++
			perms := []string{"admin"}
			if w.ArchivedAt != nil {
				perms = append(perms, "archived")
			}
			rep.Resources = append(rep.Resources, analyze.Resource{Kind: "workspace", Name: verify.Scrub(named(w.Name, w.ID), req), Permissions: perms})
		}},
		{"members", "/v1/organizations/users", &users, func(raw json.RawMessage) {
			var u struct{ Email, Name, Role string }
			if json.Unmarshal(raw, &u) != nil {
				return
			}
			users++
			name := verify.Scrub(first(u.Email, u.Name), req)
			res := analyze.Resource{Kind: "user", Name: name}
			if u.Role != "" {
				res.Permissions = []string{u.Role}
			}
			if u.Role == "admin" {
				admins = append(admins, name)
			}
			rep.Resources = append(rep.Resources, res)
		}},
		{"API keys", "/v1/organizations/api_keys", &keys, func(raw json.RawMessage) {
			var k struct {
				ID, Name, Status string
				Hint             string `json:"partial_key_hint"`
			}
			if json.Unmarshal(raw, &k) != nil {
				return
			}
			keys++
			if k.Status == "active" {
				active++
			}
			res := analyze.Resource{Kind: "api key", Name: verify.Scrub(named(k.Name, first(k.Hint, k.ID)), req)}
			if k.Status != "" {
				res.Permissions = []string{k.Status}
			}
			rep.Resources = append(rep.Resources, res)
		}},
	} {
		truncated, err := cursorPages(ctx, c, req, base, l.path, l.each)
		switch {
		case err == nil:
			learnt = true
			more := ""
			if truncated {
				more = "+"
				rep.Partial = append(rep.Partial, fmt.Sprintf("%s: stopped after %d pages", l.label, analyze.MaxPages))
			}
			counts = append(counts, fmt.Sprintf("%d%s %s", *l.n, more, l.label))
		case analyze.IsStatus(err, http.StatusUnauthorized) && !learnt:
			return nil, errors.New("anthropic-admin: the key is not valid (401 from " + l.path + ")")
		default:
			rep.Partial = append(rep.Partial, l.label+": "+verify.Scrub(err.Error(), req))
		}
	}
	if !learnt {
		return nil, fmt.Errorf("anthropic-admin: nothing could be read (%s)", strings.Join(rep.Partial, "; "))
	}
	if rep.Identity == "" && len(admins) > 0 {
		sort.Strings(admins)
		rep.Identity = "organisation administered by " + admins[0]
	}
	rep.Worst = "admin of the Anthropic organisation"
	if len(counts) > 0 {
		rep.Worst += " (" + strings.Join(counts, ", ") + ")"
	}
	rep.Worst += ": can invite members, change their roles, and disable or rename API keys"
	if active > 0 {
		rep.Worst += fmt.Sprintf(" (%d active)", active)
	}
	rep.Sort()
	return rep, nil
}

// organization reads the key's organisation as "name (id)".
func organization(ctx context.Context, c *verify.Client, req verify.Request, base verify.Call) (string, error) {
	call := base
	call.Path = "/v1/organizations/me"
	var org struct{ ID, Name string }
	if _, err := analyze.GetJSON(ctx, c, req, call, &org); err != nil {
		return "", err
	}
	if org.ID == "" && org.Name == "" {
		return "", errors.New("/v1/organizations/me: no organisation in the answer")
	}
	return verify.Scrub(named(org.Name, org.ID), req), nil
}

// cursorPages lists an endpoint answering {"data":[...],"has_more":b,
// "last_id":"..."}, asking for the next page with after_id=<last_id>, up to
// analyze.MaxPages pages.
func cursorPages(ctx context.Context, c *verify.Client, req verify.Request, base verify.Call, path string, each func(json.RawMessage)) (truncated bool, err error) {
	after := ""
	for page := 0; page < analyze.MaxPages; page++ {
		call := base
		call.Path = fmt.Sprintf("%s?limit=%d", path, pageLimit)
		if after != "" {
			call.Path += "&after_id=" + url.QueryEscape(after)
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

func named(name, id string) string {
	switch {
	case name == "":
		return id
	case id == "":
		return name
	}
	return name + " (" + id + ")"
}

func first(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
