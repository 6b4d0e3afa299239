package mailgun

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/verify"
)

// Analyzer maps what a Mailgun private API key reaches: every sending
// domain of the account (GET /v3/domains, paged with limit and skip). The
// private key is the account's full-access key (it sends from, and
// manages, every domain, and manages keys and webhooks), so the report is
// admin.
//
// Docs: https://documentation.mailgun.com/docs/mailgun/api-reference/authentication
// (basic auth, user "api"),
// https://documentation.mailgun.com/docs/mailgun/api-reference/openapi-final/tag/Domains/
// (limit up to 1000, skip, total_count).
type Analyzer struct{}

// ID implements analyze.Analyzer: the Mailgun verifier's id.
func (Analyzer) ID() string { return "mailgun" }

const domainLimit = 100

// Analyze implements analyze.Analyzer.
func (a Analyzer) Analyze(ctx context.Context, c *verify.Client, req verify.Request) (*analyze.Report, error) {
	rep := &analyze.Report{Analyzer: a.ID(), Kind: "private API key", Severity: analyze.SeverityAdmin}
	total, active := 0, 0
	first := ""
	for page := 0; ; page++ {
		if page == analyze.MaxPages {
			rep.Partial = append(rep.Partial, fmt.Sprintf("domains: stopped after %d pages", analyze.MaxPages))
			break
		}
		var d struct {
			TotalCount int `json:"total_count"`
			Items      []struct {
				Name       string `json:"name"`
				State      string `json:"state"`
				Type       string `json:"type"`
				IsDisabled bool   `json:"is_disabled"`
			} `json:"items"`
		}
		_, err := analyze.GetJSON(ctx, c, req, verify.Call{
			Verifier: a.ID(), Official: "https://api.mailgun.net", Path: fmt.Sprintf("/v3/domains?limit=%d&skip=%d", domainLimit, page*domainLimit),
			BasicUser: "api", BasicPass: req.Secret,
		}, &d)
		if err != nil {
			if page == 0 {
				if analyze.IsStatus(err, http.StatusUnauthorized, http.StatusForbidden) {
					return nil, errors.New("Mailgun: the key was rejected (or is a sending key, which cannot list domains)")
				}
				return nil, errors.New(verify.Scrub("Mailgun domains: "+err.Error(), req))
			}
			rep.Partial = append(rep.Partial, verify.Scrub("domains: "+err.Error(), req))
			break
		}
		total = d.TotalCount
		for _, it := range d.Items {
			if first == "" {
				first = it.Name
			}
			perms := []string{"send", "manage"}
			if it.IsDisabled {
				perms = []string{"manage (domain disabled)"}
			} else if it.State == "active" {
				active++
			}
			rep.Resources = append(rep.Resources, analyze.Resource{Kind: "domain", Name: verify.Scrub(it.Name+" ("+it.State+", "+it.Type+")", req), Permissions: perms})
		}
		if len(d.Items) < domainLimit || (page+1)*domainLimit >= d.TotalCount {
			break
		}
	}
	rep.Identity = verify.Scrub(fmt.Sprintf("the Mailgun account of %s", first), req)
	if first == "" {
		rep.Identity = "a Mailgun account without domains"
	}
	rep.Worst = fmt.Sprintf("full access to the Mailgun account: sends mail from %d active of its %d domains and manages keys and webhooks", active, total)
	rep.Sort()
	return rep, nil
}
