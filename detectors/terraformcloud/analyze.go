// Package terraformcloud analyzes HCP Terraform (Terraform Cloud) API
// tokens: their account and the organisations they reach, with the
// organisation permissions the API reports for each.
package terraformcloud

import (
	"context"
	"fmt"
	"net/http"
	"sort"

	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/verify"
)

const official = "https://app.terraform.io"

// Analyzer maps an HCP Terraform token's reach through read-only calls:
//
//   - GET /api/v2/account/details (https://developer.hashicorp.com/terraform/cloud-docs/api-docs/account#get-your-account-details);
//   - GET /api/v2/organizations with page[number]/page[size] pagination
//     and each organisation's permissions object
//     (https://developer.hashicorp.com/terraform/cloud-docs/api-docs/organizations#list-organizations,
//     https://developer.hashicorp.com/terraform/cloud-docs/api-docs#pagination).
type Analyzer struct{}

// ID implements analyze.Analyzer: the verifier's id.
func (Analyzer) ID() string { return "terraform-cloud" }

func (a Analyzer) call(path, secret string) verify.Call {
	return verify.Call{Verifier: a.ID(), Official: official, Path: path,
		Header: map[string]string{"Authorization": "Bearer " + secret, "Content-Type": "application/vnd.api+json"}}
}

// Permissions that make a token an organisation's administrator.
var adminPerms = map[string]bool{"can-update": true, "can-destroy": true, "can-manage-users": true, "can-manage-subscription": true, "can-manage-sso": true, "can-update-oauth": true, "can-create-team": true}

// Analyze implements analyze.Analyzer.
func (a Analyzer) Analyze(ctx context.Context, c *verify.Client, req verify.Request) (*analyze.Report, error) {
	var acct struct {
		Data struct {
			ID         string `json:"id"`
			Attributes struct {
				Username         string `json:"username"`
				Email            string `json:"email"`
				IsServiceAccount bool   `json:"is-service-account"`
			} `json:"attributes"`
		} `json:"data"`
	}
	rep := &analyze.Report{Analyzer: a.ID(), Kind: "user token"}
	_, err := analyze.GetJSON(ctx, c, req, a.call("/api/v2/account/details", req.Secret), &acct)
	switch {
	case analyze.IsStatus(err, http.StatusUnauthorized):
		return nil, fmt.Errorf("HCP Terraform rejected the token (401 unauthorized)")
	case analyze.IsStatus(err, http.StatusNotFound):
		// Organization tokens have no account.
		rep.Kind = "organization token"
	case err != nil:
		return nil, fmt.Errorf("HCP Terraform: %s", verify.Scrub(err.Error(), req))
	default:
		at := acct.Data.Attributes
		rep.Identity = verify.Scrub(at.Username, req)
		if at.Email != "" {
			rep.Identity += " <" + verify.Scrub(at.Email, req) + ">"
		}
		if at.IsServiceAccount {
			rep.Kind = "team or organization token (service account)"
		}
	}

	admin, write := 0, 0
	page := 1
	for ; page <= analyze.MaxPages; page++ {
		var list struct {
			Data []struct {
				ID         string `json:"id"`
				Attributes struct {
					Name        string          `json:"name"`
					Permissions map[string]bool `json:"permissions"`
				} `json:"attributes"`
			} `json:"data"`
			Meta struct {
				Pagination struct {
					NextPage *int `json:"next-page"`
				} `json:"pagination"`
			} `json:"meta"`
		}
		path := fmt.Sprintf("/api/v2/organizations?page%%5Bnumber%%5D=%d&page%%5Bsize%%5D=100", page)
		if _, err := analyze.GetJSON(ctx, c, req, a.call(path, req.Secret), &list); err != nil {
			rep.Partial = append(rep.Partial, verify.Scrub("organizations: "+err.Error(), req))
			break
		}
		for _, o := range list.Data {
			var perms []string
			isAdmin, canWrite := false, false
			for p, ok := range o.Attributes.Permissions {
				if !ok {
					continue
				}
				perms = append(perms, p)
				if adminPerms[p] {
					isAdmin = true
				}
				if p == "can-create-workspace" || p == "can-create-module" || p == "can-create-project" {
					canWrite = true
				}
			}
			sort.Strings(perms)
			switch {
			case isAdmin:
				admin++
			case canWrite:
				write++
			}
			name := o.Attributes.Name
			if name == "" {
				name = o.ID
			}
			rep.Resources = append(rep.Resources, analyze.Resource{Kind: "organization", Name: verify.Scrub(name, req), Permissions: perms})
		}
		if list.Meta.Pagination.NextPage == nil || len(list.Data) == 0 {
			break
		}
		if page == analyze.MaxPages {
			rep.Partial = append(rep.Partial, fmt.Sprintf("organizations: stopped after %d pages", analyze.MaxPages))
		}
	}
	if rep.Identity == "" && rep.Count("organization") == 1 {
		rep.Identity = "organization " + rep.Resources[0].Name
	}
	n := rep.Count("organization")
	switch {
	case admin > 0:
		rep.Worst = fmt.Sprintf("administers %d of %d HCP Terraform organizations (settings, teams, workspaces and their state and variables)", admin, n)
		rep.Severity = analyze.SeverityAdmin
	case write > 0:
		rep.Worst = fmt.Sprintf("creates workspaces and runs in %d of %d organizations", write, n)
		rep.Severity = analyze.SeverityWrite
	case n > 0:
		rep.Worst = fmt.Sprintf("reads %d organizations", n)
		rep.Severity = analyze.SeverityRead
	default:
		rep.Worst = "reaches no organization"
	}
	rep.Sort()
	return rep, nil
}
