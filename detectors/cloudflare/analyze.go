// Package cloudflare maps what a Cloudflare API token reaches.
package cloudflare

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/verify"
)

const official = "https://api.cloudflare.com"

// Analyzer verifies the token (GET /client/v4/user/tokens/verify), reads
// its policies when it may read tokens (GET /client/v4/user/tokens/{id}),
// and lists the zones and accounts it reaches (GET /client/v4/zones and
// /client/v4/accounts, page by page up to analyze.MaxPages).
//
// Docs: https://developers.cloudflare.com/api/resources/user/subresources/tokens/methods/verify/
// https://developers.cloudflare.com/api/resources/user/subresources/tokens/methods/get/
// https://developers.cloudflare.com/api/resources/zones/methods/list/
// https://developers.cloudflare.com/api/resources/accounts/methods/list/
type Analyzer struct{}

// ID implements analyze.Analyzer: the verifier's id.
func (Analyzer) ID() string { return "cloudflare" }

type envelope struct {
	Success bool `json:"success"`
	Errors  []struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"errors"`
	ResultInfo struct {
		Page       int `json:"page"`
		TotalPages int `json:"total_pages"`
	} `json:"result_info"`
}

// Analyze implements analyze.Analyzer.
func (a Analyzer) Analyze(ctx context.Context, c *verify.Client, req verify.Request) (*analyze.Report, error) {
	auth := map[string]string{"Authorization": "Bearer " + req.Secret}
	call := func(path string) verify.Call {
		return verify.Call{Verifier: a.ID(), Official: official, Path: path, Header: auth}
	}
	var verified struct {
		envelope
		Result struct {
			ID        string `json:"id"`
			Status    string `json:"status"`
			ExpiresOn string `json:"expires_on"`
		} `json:"result"`
	}
	if _, err := analyze.GetJSON(ctx, c, req, call("/client/v4/user/tokens/verify"), &verified); err != nil {
		if analyze.IsStatus(err, http.StatusUnauthorized, http.StatusBadRequest) {
			return nil, errors.New("Cloudflare rejected the token")
		}
		return nil, errors.New(verify.Scrub("Cloudflare tokens/verify: "+err.Error(), req))
	}
	if verified.Result.Status != "active" {
		return nil, fmt.Errorf("the Cloudflare token is %s", verified.Result.Status)
	}
	rep := &analyze.Report{Analyzer: a.ID(), Identity: "token " + verified.Result.ID, Kind: "API token"}
	if verified.Result.ExpiresOn != "" {
		rep.Kind += " expiring " + verified.Result.ExpiresOn
	}

	// The token's policies, readable only with "API Tokens Read".
	var tok struct {
		envelope
		Result struct {
			Name     string `json:"name"`
			Policies []struct {
				Effect           string            `json:"effect"`
				Resources        map[string]string `json:"resources"`
				PermissionGroups []struct {
					Name string `json:"name"`
				} `json:"permission_groups"`
			} `json:"policies"`
		} `json:"result"`
	}
	var granted []string
	if _, err := analyze.GetJSON(ctx, c, req, call("/client/v4/user/tokens/"+url.PathEscape(verified.Result.ID)), &tok); err != nil {
		rep.Partial = append(rep.Partial, "the token's policies: "+verify.Scrub(err.Error(), req))
	} else {
		if tok.Result.Name != "" {
			rep.Identity += " (" + tok.Result.Name + ")"
		}
		for _, p := range tok.Result.Policies {
			if p.Effect != "allow" {
				continue
			}
			var perms []string
			for _, g := range p.PermissionGroups {
				perms = append(perms, g.Name)
				granted = append(granted, g.Name)
			}
			res := make([]string, 0, len(p.Resources))
			for r := range p.Resources {
				res = append(res, r)
			}
			sort.Strings(res)
			rep.Resources = append(rep.Resources, analyze.Resource{Kind: "policy", Name: strings.Join(res, ", "), Permissions: perms})
		}
	}

	zones := a.list(ctx, c, req, call, "/client/v4/zones", "zone", rep)
	accounts := a.list(ctx, c, req, call, "/client/v4/accounts", "account", rep)
	reach := fmt.Sprintf("%d %s in %d %s", zones, plural(zones, "zone"), accounts, plural(accounts, "account"))

	rep.Severity, rep.Worst = analyze.SeverityInfo, "verifies, but reaches no zone or account"
	if zones+accounts > 0 {
		rep.Severity, rep.Worst = analyze.SeverityRead, "can read "+reach
	}
	var admin, write []string
	for _, g := range dedupe(granted) {
		switch {
		case strings.HasPrefix(g, "API Tokens") && strings.HasSuffix(g, "Edit"), strings.HasPrefix(g, "Account Settings") && strings.HasSuffix(g, "Edit"), strings.HasPrefix(g, "Memberships") && strings.HasSuffix(g, "Edit"):
			admin = append(admin, g)
		case strings.HasSuffix(g, "Edit") || strings.HasSuffix(g, "Write"):
			write = append(write, g)
		}
	}
	switch {
	case len(admin) > 0:
		rep.Severity, rep.Worst = analyze.SeverityAdmin, strings.Join(admin, ", ")+" on "+reach
	case len(write) > 0:
		rep.Severity, rep.Worst = analyze.SeverityWrite, strings.Join(write, ", ")+" on "+reach
	}
	rep.Sort()
	return rep, nil
}

// list follows a page-numbered listing up to analyze.MaxPages pages and
// adds each item as a resource; it returns how many it found.
func (a Analyzer) list(ctx context.Context, c *verify.Client, req verify.Request, call func(string) verify.Call, path, kind string, rep *analyze.Report) int {
	n := 0
	for page := 1; ; page++ {
		if page > analyze.MaxPages {
			rep.Partial = append(rep.Partial, fmt.Sprintf("%s: stopped after %d pages", path, analyze.MaxPages))
			return n
		}
		var body struct {
			envelope
			Result []struct {
				Name    string `json:"name"`
				Account struct {
					Name string `json:"name"`
				} `json:"account"`
			} `json:"result"`
		}
		if _, err := analyze.GetJSON(ctx, c, req, call(fmt.Sprintf("%s?per_page=50&page=%d", path, page)), &body); err != nil {
			rep.Partial = append(rep.Partial, verify.Scrub(err.Error(), req))
			return n
		}
		for _, r := range body.Result {
			name := r.Name
			if r.Account.Name != "" {
				name = r.Account.Name + "/" + r.Name
			}
			rep.Resources = append(rep.Resources, analyze.Resource{Kind: kind, Name: name, Permissions: []string{"listed"}})
			n++
		}
		if len(body.Result) == 0 || page >= body.ResultInfo.TotalPages {
			return n
		}
	}
}

func dedupe(xs []string) []string {
	sort.Strings(xs)
	out := xs[:0]
	for i, x := range xs {
		if i == 0 || x != xs[i-1] {
			out = append(out, x)
		}
	}
	return out
}

func plural(n int, kind string) string {
	if n == 1 {
		return kind
	}
	return kind + "s"
}
