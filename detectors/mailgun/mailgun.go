// Package mailgun verifies Mailgun private API keys by listing domains.
package mailgun

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/achilles-sec/achilles/detectors/verify"
)

// Verifier checks Mailgun keys against the US API host; configure
// [verify.endpoints] mailgun = "https://api.eu.mailgun.net" for the EU
// region.
type Verifier struct{}

// ID implements verify.Verifier.
func (Verifier) ID() string { return "mailgun" }

// Companions implements verify.Verifier.
func (Verifier) Companions() []string { return nil }

// Verify implements verify.Verifier.
func (v Verifier) Verify(ctx context.Context, c *verify.Client, req verify.Request) verify.Result {
	resp, fail := c.Send(ctx, req, verify.Call{
		Verifier: v.ID(), Official: "https://api.mailgun.net", Path: "/v3/domains?limit=1",
		BasicUser: "api", BasicPass: req.Secret,
	})
	if fail != nil {
		return *fail
	}
	if resp.Status != http.StatusOK {
		return verify.StatusResult(resp, req)
	}
	var d struct {
		TotalCount *int `json:"total_count"`
		Items      []struct {
			Name string `json:"name"`
		} `json:"items"`
	}
	if err := json.Unmarshal(resp.Body, &d); err != nil || d.TotalCount == nil {
		return verify.Result{Status: verify.Unknown, Reason: "unexpected answer from Mailgun"}
	}
	res := verify.Result{Status: verify.Live, Kind: "private API key"}
	if len(d.Items) > 0 {
		res.Identity = d.Items[0].Name
	}
	return res
}
