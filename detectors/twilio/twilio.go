// Package twilio verifies a Twilio auth token with its account SID by
// reading the account (GET /2010-04-01/Accounts/{SID}.json).
package twilio

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"sync"

	"github.com/achilles-sec/achilles/detectors/verify"
)

// SIDRule is the companion rule: the account SID found near the token.
const SIDRule = "twilio-account-sid"

// sidPattern is compiled on first use, not at every start.
var sidPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^AC[0-9a-fA-F]{32}$`) })

// Verifier checks Twilio auth tokens.
type Verifier struct{}

// ID implements verify.Verifier.
func (Verifier) ID() string { return "twilio" }

// Companions implements verify.Verifier.
func (Verifier) Companions() []string { return []string{SIDRule} }

// Verify implements verify.Verifier.
func (v Verifier) Verify(ctx context.Context, c *verify.Client, req verify.Request) verify.Result {
	sid := req.Parts[SIDRule]
	if sid == "" {
		return verify.Result{Status: verify.Unknown, Reason: "no account SID found near the auth token"}
	}
	if !sidPattern().MatchString(sid) {
		return verify.Result{Status: verify.Unknown, Reason: "the account SID found near the token is not one (AC + 32 hex)"}
	}
	resp, fail := c.Send(ctx, req, verify.Call{
		Verifier: v.ID(), Official: "https://api.twilio.com", Path: "/2010-04-01/Accounts/" + sid + ".json",
		BasicUser: sid, BasicPass: req.Secret,
	})
	if fail != nil {
		return *fail
	}
	if resp.Status != http.StatusOK {
		return verify.StatusResult(resp, req)
	}
	var a struct {
		FriendlyName string `json:"friendly_name"`
		Status       string `json:"status"`
		Type         string `json:"type"`
	}
	if err := json.Unmarshal(resp.Body, &a); err != nil || a.Status == "" {
		return verify.Result{Status: verify.Unknown, Reason: "unexpected answer from Twilio"}
	}
	return verify.Result{Status: verify.Live, Identity: a.FriendlyName + " (" + sid + ", " + a.Status + ")", Kind: a.Type}
}
