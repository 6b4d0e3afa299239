// Package grafana verifies Grafana service-account tokens (glsa_) by
// reading the token's organisation (GET /api/org). A Grafana instance has
// no one official host: the instance is [verify.endpoints] grafana, or a
// Grafana Cloud stack (<stack>.grafana.net) named by the companion
// "grafana-url"; another host found in the content is used only with the
// opt-in for content hosts.
package grafana

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"sync"

	"github.com/achilles-sec/achilles/detectors/verify"
)

// URLRule is the companion: the instance URL matched near the token.
const URLRule = "grafana-url"

// cloudHost is compiled on first use (its counted repeat makes it costly
// to compile, and most runs verify nothing).
var cloudHost = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}\.grafana\.net$`) })

// Verifier checks Grafana service-account tokens.
type Verifier struct{}

// ID implements verify.Verifier.
func (Verifier) ID() string { return "grafana" }

// Companions implements verify.Verifier: the instance URL.
func (Verifier) Companions() []string { return []string{URLRule} }

// Verify implements verify.Verifier.
func (v Verifier) Verify(ctx context.Context, c *verify.Client, req verify.Request) verify.Result {
	base, err := c.TenantBase(v.ID(), req.Parts[URLRule], cloudHost())
	if err != nil {
		return verify.Unknownf(req, "%v (or set [verify.endpoints] grafana)", err)
	}
	resp, fail := c.Send(ctx, req, verify.Call{
		Verifier: v.ID(), Official: base, Path: "/api/org",
		Header: map[string]string{"Authorization": "Bearer " + req.Secret, "Accept": "application/json"},
	})
	if fail != nil {
		return *fail
	}
	if resp.Status != http.StatusOK {
		return verify.StatusResult(resp, req)
	}
	var org struct {
		ID   *int   `json:"id"`
		Name string `json:"name"`
	}
	if json.Unmarshal(resp.Body, &org) != nil || org.ID == nil {
		return verify.Unknownf(req, "unexpected answer from Grafana")
	}
	return verify.Result{Status: verify.Live, Identity: org.Name + " on " + base, Kind: "service account token"}
}
