package twilio

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/verify"
)

// Analyzer maps what a Twilio auth token reaches. The auth token is the
// account's master credential: whoever holds it can send messages and
// place calls from its numbers, create API keys and subaccounts, so the
// report is always admin; what it lists is the account (status, type),
// its subaccounts and its phone numbers with their capabilities.
//
// Docs: https://www.twilio.com/docs/iam/api/account (fetch and list
// accounts; the list holds the account and its subaccounts),
// https://www.twilio.com/docs/phone-numbers/api/incomingphonenumber-resource,
// https://www.twilio.com/docs/usage/twilios-response#response-formats-list-paging-information
// (next_page_uri paging, PageSize up to 1000),
// https://www.twilio.com/docs/usage/api/usage-errors (429 with 20429).
type Analyzer struct{}

// ID implements analyze.Analyzer: the Twilio verifier's id.
func (Analyzer) ID() string { return "twilio" }

const (
	officialAPI = "https://api.twilio.com"
	pageSize    = 200
)

// Analyze implements analyze.Analyzer.
func (a Analyzer) Analyze(ctx context.Context, c *verify.Client, req verify.Request) (*analyze.Report, error) {
	sid := req.Parts[SIDRule]
	if !sidPattern().MatchString(sid) {
		return nil, errors.New("no Twilio account SID (AC + 32 hex) found near the auth token")
	}
	var acct struct {
		SID          string `json:"sid"`
		FriendlyName string `json:"friendly_name"`
		Status       string `json:"status"`
		Type         string `json:"type"`
		Owner        string `json:"owner_account_sid"`
	}
	if _, err := analyze.GetJSON(ctx, c, req, a.call(req, sid, "/2010-04-01/Accounts/"+sid+".json"), &acct); err != nil {
		if analyze.IsStatus(err, http.StatusUnauthorized) {
			return nil, errors.New("Twilio: the auth token was rejected (401)")
		}
		return nil, errors.New(verify.Scrub("Twilio account: "+err.Error(), req))
	}
	// The SID is a companion part but names the account: report text is
	// scrubbed of the token only.
	own := verify.Request{Secret: req.Secret}
	rep := &analyze.Report{Analyzer: a.ID(), Kind: "auth token", Severity: analyze.SeverityAdmin}
	rep.Identity = verify.Scrub(fmt.Sprintf("%s (%s, %s %s)", acct.FriendlyName, sid, strings.ToLower(acct.Type), acct.Status), own)
	if acct.Owner != "" && acct.Owner != sid {
		rep.Kind = "auth token of a subaccount"
	}
	rep.Resources = append(rep.Resources, analyze.Resource{Kind: "account", Name: verify.Scrub(acct.FriendlyName+" ("+sid+")", own), Permissions: []string{"full access"}})

	subaccounts := 0
	cut, err := a.pages(ctx, c, req, sid, fmt.Sprintf("/2010-04-01/Accounts.json?PageSize=%d", pageSize), func(body []byte) error {
		var page struct {
			Accounts []struct {
				SID          string `json:"sid"`
				FriendlyName string `json:"friendly_name"`
				Status       string `json:"status"`
			} `json:"accounts"`
		}
		if err := json.Unmarshal(body, &page); err != nil {
			return err
		}
		for _, s := range page.Accounts {
			if s.SID == sid {
				continue // the list holds the account itself
			}
			subaccounts++
			rep.Resources = append(rep.Resources, analyze.Resource{Kind: "subaccount", Name: verify.Scrub(s.FriendlyName+" ("+s.SID+", "+s.Status+")", own), Permissions: []string{"full access"}})
		}
		return nil
	})
	rep.Partial = append(rep.Partial, partial("subaccounts", cut, err, req)...)

	numbers, sms, voice := 0, 0, 0
	cut, err = a.pages(ctx, c, req, sid, fmt.Sprintf("/2010-04-01/Accounts/%s/IncomingPhoneNumbers.json?PageSize=%d", sid, pageSize), func(body []byte) error {
		var page struct {
			Numbers []struct {
				PhoneNumber  string          `json:"phone_number"`
				FriendlyName string          `json:"friendly_name"`
				Capabilities map[string]bool `json:"capabilities"`
			} `json:"incoming_phone_numbers"`
		}
		if err := json.Unmarshal(body, &page); err != nil {
			return err
		}
		for _, n := range page.Numbers {
			numbers++
			var caps []string
			for k, on := range n.Capabilities {
				if on {
					caps = append(caps, k)
				}
			}
			if n.Capabilities["sms"] {
				sms++
			}
			if n.Capabilities["voice"] {
				voice++
			}
			rep.Resources = append(rep.Resources, analyze.Resource{Kind: "phone number", Name: verify.Scrub(n.PhoneNumber, own), Permissions: caps})
		}
		return nil
	})
	rep.Partial = append(rep.Partial, partial("incoming phone numbers", cut, err, req)...)

	rep.Worst = verify.Scrub(fmt.Sprintf("full access to Twilio account %s (%s, %s): sends SMS from %d and calls from %d of its %d numbers, %d subaccounts",
		acct.FriendlyName, sid, acct.Status, sms, voice, numbers, subaccounts), own)
	rep.Sort()
	return rep, nil
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

// pages follows a Twilio list's next_page_uri, a path on the same host, up
// to analyze.MaxPages pages.
func (a Analyzer) pages(ctx context.Context, c *verify.Client, req verify.Request, sid, path string, each func([]byte) error) (bool, error) {
	for page := 0; path != ""; page++ {
		if page == analyze.MaxPages {
			return true, nil
		}
		if err := ctx.Err(); err != nil {
			return false, err
		}
		var head struct {
			Next string `json:"next_page_uri"`
		}
		resp, err := analyze.GetJSON(ctx, c, req, a.call(req, sid, path), &head)
		if err != nil {
			return false, err
		}
		if err := each(resp.Body); err != nil {
			return false, err
		}
		path = head.Next
		if path != "" && !strings.HasPrefix(path, "/2010-04-01/") {
			return false, errors.New("next_page_uri is not a path of the API")
		}
	}
	return false, nil
}

func (a Analyzer) call(req verify.Request, sid, path string) verify.Call {
	return verify.Call{Verifier: a.ID(), Official: officialAPI, Path: path, BasicUser: sid, BasicPass: req.Secret}
}
