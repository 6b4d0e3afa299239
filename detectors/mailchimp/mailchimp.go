// Package mailchimp verifies Mailchimp API keys against the data centre the
// key names in its suffix (key-usN → https://usN.api.mailchimp.com).
package mailchimp

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"

	"github.com/achilles-sec/achilles/detectors/verify"
)

var dcSuffix = regexp.MustCompile(`-(us[0-9]{1,2})$`)

// Verifier checks Mailchimp keys with GET /3.0/ (the API root: account).
type Verifier struct{}

// ID implements verify.Verifier.
func (Verifier) ID() string { return "mailchimp" }

// Companions implements verify.Verifier.
func (Verifier) Companions() []string { return nil }

// Verify implements verify.Verifier.
func (v Verifier) Verify(ctx context.Context, c *verify.Client, req verify.Request) verify.Result {
	m := dcSuffix.FindStringSubmatch(req.Secret)
	if m == nil {
		return verify.Result{Status: verify.Unknown, Reason: "key has no data-centre suffix"}
	}
	resp, fail := c.Send(ctx, req, verify.Call{
		Verifier: v.ID(), Official: "https://" + m[1] + ".api.mailchimp.com", Path: "/3.0/",
		BasicUser: "achilles", BasicPass: req.Secret,
	})
	if fail != nil {
		return *fail
	}
	if resp.Status != http.StatusOK {
		return verify.StatusResult(resp, req)
	}
	var a struct {
		AccountName string `json:"account_name"`
		Email       string `json:"email"`
	}
	if err := json.Unmarshal(resp.Body, &a); err != nil || a.AccountName == "" {
		return verify.Result{Status: verify.Unknown, Reason: "unexpected answer from Mailchimp"}
	}
	return verify.Result{Status: verify.Live, Identity: a.AccountName + " <" + a.Email + ">"}
}
