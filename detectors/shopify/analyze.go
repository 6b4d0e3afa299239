package shopify

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/verify"
)

// Analyzer maps what a Shopify Admin API token reaches on its shop: the
// token's access scopes, the shop itself (name, owner, plan) and, for each
// of customers, orders and products the scopes let it read, how many
// there are.
//
// Docs: https://shopify.dev/docs/api/admin-rest/2024-10/resources/accessscope,
// https://shopify.dev/docs/api/admin-rest/2024-10/resources/shop,
// https://shopify.dev/docs/api/admin-rest/2024-10/resources/customer#get-customers-count,
// https://shopify.dev/docs/api/admin-rest/2024-10/resources/order#get-orders-count,
// https://shopify.dev/docs/api/admin-rest/2024-10/resources/product#get-products-count,
// https://shopify.dev/docs/api/usage/access-scopes,
// https://shopify.dev/docs/api/usage/rate-limits (429 with Retry-After).
type Analyzer struct{}

// ID implements analyze.Analyzer: the Shopify verifier's id.
func (Analyzer) ID() string { return "shopify" }

// apiVersion is the Admin REST API version the analyzer reads; the access
// scopes endpoint is unversioned.
const apiVersion = "2024-10"

// counted are the listings whose size is worth reporting, with the scope
// resource that reads them.
var counted = []struct{ resource, path, query string }{
	{"customers", "customers/count.json", ""},
	{"orders", "orders/count.json", "?status=any"},
	{"products", "products/count.json", ""},
}

// adminScopes administer the shop rather than its data: its staff
// accounts (Shopify Plus).
var adminScopes = map[string]bool{"write_users": true}

// Analyze implements analyze.Analyzer.
func (a Analyzer) Analyze(ctx context.Context, c *verify.Client, req verify.Request) (*analyze.Report, error) {
	if strings.HasPrefix(req.Secret, "shpss_") {
		return nil, errors.New("a Shopify shared secret signs webhooks; it cannot be analyzed with a request")
	}
	base, err := c.TenantBase(a.ID(), req.Parts[DomainRule], shopHost())
	if err != nil {
		return nil, errors.New(verify.Scrub(err.Error(), req))
	}
	call := func(path string) verify.Call {
		return verify.Call{Verifier: a.ID(), Official: base, Path: path,
			Header: map[string]string{"X-Shopify-Access-Token": req.Secret, "Accept": "application/json"}}
	}
	var granted struct {
		AccessScopes []struct {
			Handle string `json:"handle"`
		} `json:"access_scopes"`
	}
	if _, err := analyze.GetJSON(ctx, c, req, call("/admin/oauth/access_scopes.json"), &granted); err != nil {
		if analyze.IsStatus(err, http.StatusUnauthorized) {
			return nil, errors.New("Shopify: invalid access token (401)")
		}
		return nil, errors.New(verify.Scrub("Shopify access scopes: "+err.Error(), req))
	}
	// The shop host is a companion, not a secret: text is scrubbed of the
	// token only.
	own := verify.Request{Secret: req.Secret}
	host := strings.TrimPrefix(base, "https://")
	rep := &analyze.Report{Analyzer: a.ID(), Kind: kind(req.Secret), Identity: host}
	has := map[string]bool{}
	for _, s := range granted.AccessScopes {
		h := verify.Scrub(s.Handle, own)
		rep.Scopes = append(rep.Scopes, h)
		has[h] = true
	}
	sort.Strings(rep.Scopes)

	var shop struct {
		Shop struct {
			ID              int64  `json:"id"`
			Name            string `json:"name"`
			ShopOwner       string `json:"shop_owner"`
			PlanName        string `json:"plan_name"`
			MyshopifyDomain string `json:"myshopify_domain"`
		} `json:"shop"`
	}
	shopName := host
	if _, err := analyze.GetJSON(ctx, c, req, call("/admin/api/"+apiVersion+"/shop.json"), &shop); err != nil {
		rep.Partial = append(rep.Partial, verify.Scrub("shop: "+err.Error(), req))
	} else {
		s := shop.Shop
		if s.Name != "" {
			shopName = s.Name
		}
		id := fmt.Sprintf("%s (%s", shopName, host)
		if s.PlanName != "" {
			id += ", plan " + s.PlanName
		}
		if s.ShopOwner != "" {
			id += ", owner " + s.ShopOwner
		}
		rep.Identity = verify.Scrub(id+")", own)
	}
	rep.Resources = append(rep.Resources, analyze.Resource{Kind: "shop", Name: verify.Scrub(host, own), Permissions: rep.Scopes})

	counts := map[string]int{}
	for _, l := range counted {
		if !has["read_"+l.resource] && !has["write_"+l.resource] {
			continue
		}
		var n struct {
			Count *int `json:"count"`
		}
		if _, err := analyze.GetJSON(ctx, c, req, call("/admin/api/"+apiVersion+"/"+l.path+l.query), &n); err != nil || n.Count == nil {
			if err == nil {
				err = errors.New("no count in the answer")
			}
			rep.Partial = append(rep.Partial, verify.Scrub(l.resource+" count: "+err.Error(), req))
			continue
		}
		counts[l.resource] = *n.Count
		perms := []string{}
		for _, p := range []string{"read_", "write_"} {
			if has[p+l.resource] {
				perms = append(perms, p+l.resource)
			}
		}
		rep.Resources = append(rep.Resources, analyze.Resource{Kind: l.resource, Name: fmt.Sprintf("%d %s of %s", *n.Count, l.resource, verify.Scrub(host, own)), Permissions: perms})
	}

	rep.Severity, rep.Worst = shopWorst(rep.Scopes, counts, verify.Scrub(shopName, own), host)
	rep.Sort()
	return rep, nil
}

// shopWorst ranks the scopes: write_ scopes change the shop's data, a few
// administer it; read_ scopes read it.
func shopWorst(scopes []string, counts map[string]int, name, host string) (analyze.Severity, string) {
	sev := analyze.SeverityInfo
	var writes, admin []string
	for _, s := range scopes {
		switch {
		case adminScopes[s]:
			admin = append(admin, s)
			sev = analyze.SeverityAdmin
		case strings.HasPrefix(s, "write_"):
			writes = append(writes, strings.TrimPrefix(s, "write_"))
			if sev < analyze.SeverityWrite {
				sev = analyze.SeverityWrite
			}
		case strings.HasPrefix(s, "read_") || strings.HasPrefix(s, "unauthenticated_read_"):
			if sev < analyze.SeverityRead {
				sev = analyze.SeverityRead
			}
		}
	}
	var reach []string
	for _, l := range counted {
		if n, ok := counts[l.resource]; ok {
			reach = append(reach, fmt.Sprintf("%d %s", n, l.resource))
		}
	}
	where := fmt.Sprintf("the Shopify shop %s (%s)", name, host)
	if len(reach) > 0 {
		where += " with " + strings.Join(reach, ", ")
	}
	switch sev {
	case analyze.SeverityAdmin:
		return sev, fmt.Sprintf("administers %s (%s)", where, strings.Join(admin, ", "))
	case analyze.SeverityWrite:
		return sev, fmt.Sprintf("can change %s of %s", strings.Join(writes, ", "), where)
	case analyze.SeverityRead:
		return sev, "reads " + where
	}
	return sev, "no access scopes on " + where
}
