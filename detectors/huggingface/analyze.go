// Package huggingface maps what a leaked Hugging Face token can reach: its
// user, the organisations with the user's role in each, the token's role
// (read, write or fine-grained with its scoped permissions), and the
// models, datasets and Spaces under every namespace it can read or write.
package huggingface

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

// official is the Hub host the "huggingface" verifier uses.
const official = "https://huggingface.co"

// maxNamespaces bounds how many namespaces (the user and its
// organisations) have their repositories listed.
const maxNamespaces = 10

// repoKinds are the Hub's repository listings, by the resource kind they
// report.
var repoKinds = []struct{ kind, path string }{
	{"model", "/api/models"},
	{"dataset", "/api/datasets"},
	{"space", "/api/spaces"},
}

// Analyzer maps a user access token (hf_).
//
// Docs: https://huggingface.co/docs/hub/api (GET /api/whoami-v2; GET
// /api/models, /api/datasets, /api/spaces with author=, paginated through
// the Link header), https://huggingface.co/docs/hub/security-tokens (read,
// write and fine-grained tokens), https://huggingface.co/docs/hub/organizations-security
// (roles read, contributor, write, admin).
type Analyzer struct{}

// ID implements analyze.Analyzer.
func (Analyzer) ID() string { return "huggingface" }

type whoami struct {
	Type string `json:"type"`
	Name string `json:"name"`
	Orgs []struct {
		Name      string `json:"name"`
		RoleInOrg string `json:"roleInOrg"`
	} `json:"orgs"`
	Auth struct {
		AccessToken struct {
			DisplayName string `json:"displayName"`
			Role        string `json:"role"`
			FineGrained *struct {
				Global            []string `json:"global"`
				CanReadGatedRepos bool     `json:"canReadGatedRepos"`
				Scoped            []struct {
					Entity struct {
						Type string `json:"type"`
						Name string `json:"name"`
					} `json:"entity"`
					Permissions []string `json:"permissions"`
				} `json:"scoped"`
			} `json:"fineGrained"`
		} `json:"accessToken"`
	} `json:"auth"`
}

// Analyze implements analyze.Analyzer.
func (a Analyzer) Analyze(ctx context.Context, c *verify.Client, req verify.Request) (*analyze.Report, error) {
	hdr := map[string]string{"Authorization": "Bearer " + req.Secret}
	var me whoami
	_, err := analyze.GetJSON(ctx, c, req, verify.Call{Verifier: a.ID(), Official: official, Path: "/api/whoami-v2", Header: hdr}, &me)
	switch {
	case err == nil:
	case analyze.IsStatus(err, http.StatusUnauthorized):
		return nil, errors.New("huggingface: the token is not valid (401 from /api/whoami-v2)")
	default:
		return nil, fmt.Errorf("huggingface: %s", verify.Scrub(err.Error(), req))
	}
	if me.Name == "" {
		return nil, errors.New("huggingface: /api/whoami-v2 named no one")
	}
	scrub := func(s string) string { return verify.Scrub(s, req) }
	tok := me.Auth.AccessToken
	rep := &analyze.Report{Analyzer: a.ID(), Identity: scrub(me.Name)}
	role := tok.Role
	switch role {
	case "fineGrained":
		rep.Kind = "fine-grained access token"
	case "":
		rep.Kind = "access token"
	default:
		rep.Kind = role + " access token"
	}
	if tok.DisplayName != "" {
		rep.Kind += " " + fmt.Sprintf("%q", scrub(tok.DisplayName))
	}

	// access is what the token may do in each namespace: "write", "read"
	// or "" (nothing).
	access := map[string]string{}
	orgAdmin := false
	for _, o := range me.Orgs {
		rep.Resources = append(rep.Resources, analyze.Resource{Kind: "organization", Name: scrub(o.Name), Permissions: nonEmpty(o.RoleInOrg)})
	}
	switch {
	case tok.FineGrained != nil:
		fg := tok.FineGrained
		if len(fg.Global) > 0 {
			rep.Resources = append(rep.Resources, analyze.Resource{Kind: "global", Name: "account", Permissions: append([]string(nil), fg.Global...)})
		}
		if fg.CanReadGatedRepos {
			rep.Resources = append(rep.Resources, analyze.Resource{Kind: "global", Name: "gated repositories", Permissions: []string{"read"}})
		}
		for _, s := range fg.Scoped {
			name := scrub(s.Entity.Name)
			switch s.Entity.Type {
			case "user", "org":
				access[name] = level(s.Permissions)
				// The scope's permissions are the token's on the namespace.
				rep.Resources = append(rep.Resources, analyze.Resource{Kind: "scope (" + s.Entity.Type + ")", Name: name, Permissions: append([]string(nil), s.Permissions...)})
			default:
				rep.Resources = append(rep.Resources, analyze.Resource{Kind: s.Entity.Type, Name: name, Permissions: append([]string(nil), s.Permissions...)})
			}
		}
	case role == "write":
		access[rep.Identity] = "write"
		for _, o := range me.Orgs {
			switch o.RoleInOrg {
			case "admin", "write":
				access[scrub(o.Name)] = "write"
				orgAdmin = orgAdmin || o.RoleInOrg == "admin"
			default:
				access[scrub(o.Name)] = "read"
			}
		}
	default:
		access[rep.Identity] = "read"
		for _, o := range me.Orgs {
			access[scrub(o.Name)] = "read"
		}
	}

	// List the repositories of every namespace the token reaches.
	namespaces := make([]string, 0, len(access))
	for ns, lvl := range access {
		if lvl != "" {
			namespaces = append(namespaces, ns)
		}
	}
	sort.Strings(namespaces)
	if len(namespaces) > maxNamespaces {
		rep.Partial = append(rep.Partial, fmt.Sprintf("repositories listed for the first %d of %d namespaces", maxNamespaces, len(namespaces)))
		namespaces = namespaces[:maxNamespaces]
	}
	writable, private, privateWritable := 0, 0, 0
	for _, ns := range namespaces {
		for _, k := range repoKinds {
			call := verify.Call{Verifier: a.ID(), Official: official, Header: hdr, Path: k.path + "?author=" + url.QueryEscape(ns)}
			truncated, err := analyze.Pages(ctx, c, req, call, func(resp *verify.Response) error {
				var repos []struct {
					ID      string `json:"id"`
					Private bool   `json:"private"`
				}
				if err := json.Unmarshal(resp.Body, &repos); err != nil {
					return fmt.Errorf("%s: the answer is not the documented JSON", k.path)
				}
				for _, r := range repos {
					perms := []string{access[ns]}
					if r.Private {
						perms = append(perms, "private")
						private++
					}
					if access[ns] == "write" {
						writable++
						if r.Private {
							privateWritable++
						}
					}
					rep.Resources = append(rep.Resources, analyze.Resource{Kind: k.kind, Name: scrub(r.ID), Permissions: perms})
				}
				return nil
			})
			if err != nil {
				rep.Partial = append(rep.Partial, k.kind+"s of "+ns+": "+scrub(err.Error()))
			}
			if truncated {
				rep.Partial = append(rep.Partial, fmt.Sprintf("%ss of %s: stopped after %d pages", k.kind, ns, analyze.MaxPages))
			}
		}
	}

	writeNS := 0
	for _, ns := range namespaces {
		if access[ns] == "write" {
			writeNS++
		}
	}
	switch {
	case writeNS > 0:
		rep.Severity = analyze.SeverityWrite
		if orgAdmin {
			rep.Severity = analyze.SeverityAdmin
		}
		rep.Worst = fmt.Sprintf("can push to %d repositories (%d private) in %d namespaces", writable, privateWritable, writeNS)
		if orgAdmin {
			rep.Worst += ", as an admin of an organisation"
		}
	case tok.FineGrained != nil && hasWrite(rep.Resources):
		rep.Severity = analyze.SeverityWrite
		rep.Worst = "fine-grained token with write permissions on the repositories or features it is scoped to"
	case private > 0:
		rep.Severity = analyze.SeverityRead
		rep.Worst = fmt.Sprintf("can read %d private repositories of %s", private, rep.Identity)
	default:
		rep.Severity = analyze.SeverityRead
		rep.Worst = fmt.Sprintf("can read the repositories of %d namespaces (none private found)", len(namespaces))
	}
	rep.Sort()
	return rep, nil
}

// level reads a fine-grained scope's permissions as the access it gives a
// namespace's repositories.
func level(perms []string) string {
	out := ""
	for _, p := range perms {
		switch p {
		case "repo.write":
			return "write"
		case "repo.content.read":
			out = "read"
		}
	}
	return out
}

func hasWrite(rs []analyze.Resource) bool {
	for _, r := range rs {
		for _, p := range r.Permissions {
			if strings.HasSuffix(p, ".write") {
				return true
			}
		}
	}
	return false
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}
