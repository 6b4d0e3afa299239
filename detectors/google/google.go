// Package google verifies Google API keys by listing Generative Language
// models, a read-only call that costs nothing.
package google

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/achilles-sec/achilles/detectors/verify"
)

// Verifier checks Google API keys (AIza...).
type Verifier struct{}

// ID implements verify.Verifier.
func (Verifier) ID() string { return "google-api" }

// Companions implements verify.Verifier.
func (Verifier) Companions() []string { return nil }

// Verify implements verify.Verifier. A key that is valid but not enabled
// for the Generative Language API is still live: Google says so with
// SERVICE_DISABLED or API_KEY_SERVICE_BLOCKED; an invalid key gets
// API_KEY_INVALID.
func (v Verifier) Verify(ctx context.Context, c *verify.Client, req verify.Request) verify.Result {
	base, err := c.BaseURL(v.ID(), "https://generativelanguage.googleapis.com")
	if err != nil {
		return verify.Result{Status: verify.Unknown, Reason: err.Error()}
	}
	resp, err := c.Do(ctx, v.ID(), func(ctx context.Context) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, http.MethodGet, base+"/v1beta/models?pageSize=1&key="+url.QueryEscape(req.Secret), nil)
	})
	if err != nil {
		return verify.ErrorResult(err, req)
	}
	body := string(resp.Body)
	switch {
	case resp.Status == http.StatusOK:
		var m struct {
			Models []json.RawMessage `json:"models"`
		}
		if json.Unmarshal(resp.Body, &m) != nil {
			return verify.Result{Status: verify.Unknown, Reason: "unexpected answer from Google"}
		}
		return verify.Result{Status: verify.Live, Kind: "API key (Generative Language API enabled)"}
	case strings.Contains(body, "API_KEY_INVALID") || strings.Contains(body, "API key not valid"):
		return verify.Result{Status: verify.Dead, Reason: "Google: API_KEY_INVALID"}
	case resp.Status == http.StatusForbidden && (strings.Contains(body, "SERVICE_DISABLED") || strings.Contains(body, "API_KEY_SERVICE_BLOCKED")):
		return verify.Result{Status: verify.Live, Kind: "API key (valid; Generative Language API not enabled for it)"}
	}
	return verify.StatusResult(resp, req)
}
