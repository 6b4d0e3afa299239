package mailchimp

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/verify"
)

// Analyzer maps what a Mailchimp API key reaches: the account and the
// key's user role (API root), and the audiences (lists) with their
// contact counts, paged with count and offset. A Marketing API key acts
// with its user's full access: it reads every contact, sends campaigns
// and, for an owner or admin, manages users and keys.
//
// Docs: https://mailchimp.com/developer/marketing/api/root/list-api-root-resources/,
// https://mailchimp.com/developer/marketing/api/lists/get-lists-info/
// (count up to 1000, offset, total_items),
// https://mailchimp.com/developer/marketing/docs/fundamentals/#connecting-to-the-api
// (basic auth with any user name, the data centre from the key's suffix).
type Analyzer struct{}

// ID implements analyze.Analyzer: the Mailchimp verifier's id.
func (Analyzer) ID() string { return "mailchimp" }

const listCount = 100

// Analyze implements analyze.Analyzer.
func (a Analyzer) Analyze(ctx context.Context, c *verify.Client, req verify.Request) (*analyze.Report, error) {
	m := dcSuffix.FindStringSubmatch(req.Secret)
	if m == nil {
		return nil, errors.New("the Mailchimp key has no data-centre suffix")
	}
	base := "https://" + m[1] + ".api.mailchimp.com"
	call := func(path string) verify.Call {
		return verify.Call{Verifier: a.ID(), Official: base, Path: path, BasicUser: "achilles", BasicPass: req.Secret}
	}
	var acct struct {
		AccountID        string `json:"account_id"`
		AccountName      string `json:"account_name"`
		Email            string `json:"email"`
		Role             string `json:"role"`
		TotalSubscribers int    `json:"total_subscribers"`
	}
	if _, err := analyze.GetJSON(ctx, c, req, call("/3.0/"), &acct); err != nil {
		if analyze.IsStatus(err, http.StatusUnauthorized) {
			return nil, errors.New("Mailchimp: the API key was rejected (401)")
		}
		return nil, errors.New(verify.Scrub("Mailchimp account: "+err.Error(), req))
	}
	rep := &analyze.Report{Analyzer: a.ID(), Kind: "Marketing API key"}
	rep.Identity = verify.Scrub(fmt.Sprintf("%s <%s> (%s, role %s)", acct.AccountName, acct.Email, acct.AccountID, acct.Role), req)
	rep.Severity = analyze.SeverityWrite
	if acct.Role == "owner" || acct.Role == "admin" {
		rep.Severity = analyze.SeverityAdmin
	}
	rep.Resources = append(rep.Resources, analyze.Resource{Kind: "account", Name: verify.Scrub(acct.AccountName+" ("+acct.AccountID+")", req), Permissions: []string{acct.Role}})

	lists, contacts := 0, 0
	for page := 0; ; page++ {
		if page == analyze.MaxPages {
			rep.Partial = append(rep.Partial, fmt.Sprintf("audiences: stopped after %d pages", analyze.MaxPages))
			break
		}
		var l struct {
			Lists []struct {
				ID    string `json:"id"`
				Name  string `json:"name"`
				Stats struct {
					MemberCount int `json:"member_count"`
				} `json:"stats"`
			} `json:"lists"`
			TotalItems int `json:"total_items"`
		}
		path := fmt.Sprintf("/3.0/lists?count=%d&offset=%d&fields=lists.id,lists.name,lists.stats.member_count,total_items", listCount, page*listCount)
		if _, err := analyze.GetJSON(ctx, c, req, call(path), &l); err != nil {
			rep.Partial = append(rep.Partial, verify.Scrub("audiences: "+err.Error(), req))
			break
		}
		for _, x := range l.Lists {
			lists++
			contacts += x.Stats.MemberCount
			rep.Resources = append(rep.Resources, analyze.Resource{Kind: "audience", Name: verify.Scrub(fmt.Sprintf("%s (%s, %d contacts)", x.Name, x.ID, x.Stats.MemberCount), req), Permissions: []string{"read contacts", "send campaigns"}})
		}
		if len(l.Lists) < listCount || (page+1)*listCount >= l.TotalItems {
			break
		}
	}
	rep.Worst = verify.Scrub(fmt.Sprintf("full access to Mailchimp account %s as %s: reads %d contacts in %d audiences and sends campaigns to them", acct.AccountName, acct.Role, contacts, lists), req)
	rep.Sort()
	return rep, nil
}
