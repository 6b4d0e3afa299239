// Package digitalocean maps what a DigitalOcean API token reaches.
package digitalocean

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/verify"
)

const official = "https://api.digitalocean.com"

// Analyzer reads the token's account (GET /v2/account), then the first
// page of each of its droplets, volumes, Kubernetes clusters and managed
// databases listings, with each listing's meta.total for the count.
// DigitalOcean does not tell a token its own scopes, so the report shows
// what it proved it can read.
//
// Docs: https://docs.digitalocean.com/reference/api/digitalocean/#tag/Account
// https://docs.digitalocean.com/reference/api/digitalocean/#tag/Droplets/operation/droplets_list
// https://docs.digitalocean.com/reference/api/digitalocean/#section/Introduction/Links-and-Pagination
type Analyzer struct{}

// ID implements analyze.Analyzer: the verifier's id.
func (Analyzer) ID() string { return "digitalocean" }

// listings are the resources read: API path, the answer's array field,
// the resource kind, and the page size asked (the API's maximum is 200).
var listings = []struct{ path, field, kind string }{
	{"/v2/droplets?per_page=200", "droplets", "droplet"},
	{"/v2/volumes?per_page=200", "volumes", "volume"},
	{"/v2/kubernetes/clusters?per_page=200", "kubernetes_clusters", "kubernetes cluster"},
	{"/v2/databases", "databases", "database cluster"},
}

// Analyze implements analyze.Analyzer.
func (a Analyzer) Analyze(ctx context.Context, c *verify.Client, req verify.Request) (*analyze.Report, error) {
	auth := map[string]string{"Authorization": "Bearer " + req.Secret}
	var acct struct {
		Account struct {
			Email  string `json:"email"`
			UUID   string `json:"uuid"`
			Status string `json:"status"`
			Team   *struct {
				Name string `json:"name"`
			} `json:"team"`
		} `json:"account"`
	}
	if _, err := analyze.GetJSON(ctx, c, req, verify.Call{Verifier: a.ID(), Official: official, Path: "/v2/account", Header: auth}, &acct); err != nil {
		if analyze.IsStatus(err, http.StatusUnauthorized) {
			return nil, errors.New("DigitalOcean rejected the token (401)")
		}
		return nil, errors.New(verify.Scrub("DigitalOcean /v2/account: "+err.Error(), req))
	}
	rep := &analyze.Report{Analyzer: a.ID(), Identity: acct.Account.Email, Kind: "API token"}
	where := "account " + acct.Account.Email
	if acct.Account.Team != nil && acct.Account.Team.Name != "" {
		rep.Identity += " (team " + acct.Account.Team.Name + ")"
		where = "team " + acct.Account.Team.Name
	}
	var counts []string
	for _, l := range listings {
		var page map[string]any
		if _, err := analyze.GetJSON(ctx, c, req, verify.Call{Verifier: a.ID(), Official: official, Path: l.path, Header: auth}, &page); err != nil {
			rep.Partial = append(rep.Partial, verify.Scrub(err.Error(), req))
			continue
		}
		items, _ := page[l.field].([]any)
		for _, it := range items {
			m, _ := it.(map[string]any)
			name, _ := m["name"].(string)
			if name == "" {
				name = fmt.Sprint(m["id"])
			}
			rep.Resources = append(rep.Resources, analyze.Resource{Kind: l.kind, Name: name, Permissions: []string{"read"}})
		}
		total := len(items)
		if meta, ok := page["meta"].(map[string]any); ok {
			if t, ok := meta["total"].(float64); ok && int(t) > total {
				rep.Partial = append(rep.Partial, fmt.Sprintf("%s: only the first %d of %d listed", pathOnly(l.path), len(items), int(t)))
				total = int(t)
			}
		}
		if total > 0 {
			counts = append(counts, fmt.Sprintf("%d %s", total, plural(total, l.kind)))
		}
	}
	rep.Severity = analyze.SeverityInfo
	rep.Worst = "reads " + where + " (no resources listed)"
	if len(counts) > 0 {
		rep.Severity = analyze.SeverityRead
		rep.Worst = "reads " + joinAnd(counts) + " of " + where + "; DigitalOcean does not say whether the token may also write"
	}
	rep.Sort()
	return rep, nil
}

func pathOnly(p string) string {
	for i := 0; i < len(p); i++ {
		if p[i] == '?' {
			return p[:i]
		}
	}
	return p
}

func plural(n int, kind string) string {
	if n == 1 {
		return kind
	}
	return kind + "s"
}

func joinAnd(xs []string) string {
	switch len(xs) {
	case 0:
		return ""
	case 1:
		return xs[0]
	}
	out := xs[0]
	for _, x := range xs[1 : len(xs)-1] {
		out += ", " + x
	}
	return out + " and " + xs[len(xs)-1]
}
