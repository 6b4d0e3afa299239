// Package fly verifies Fly.io API tokens by asking the GraphQL API who the
// token is (a read-only viewer query). Macaroon tokens ("FlyV1 fm2_...")
// are sent in their own scheme, older tokens as bearer tokens.
package fly

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/achilles-sec/achilles/detectors/verify"
)

// Verifier checks Fly.io tokens.
type Verifier struct{}

// ID implements verify.Verifier.
func (Verifier) ID() string { return "fly" }

// Companions implements verify.Verifier.
func (Verifier) Companions() []string { return nil }

// Verify implements verify.Verifier.
func (v Verifier) Verify(ctx context.Context, c *verify.Client, req verify.Request) verify.Result {
	auth := "Bearer " + req.Secret
	switch {
	case strings.HasPrefix(req.Secret, "FlyV1 "):
		auth = req.Secret
	case strings.HasPrefix(req.Secret, "fm1") || strings.HasPrefix(req.Secret, "fm2_"):
		auth = "FlyV1 " + req.Secret
	}
	resp, fail := c.Send(ctx, req, verify.Call{
		Verifier: v.ID(), Official: "https://api.fly.io", Method: http.MethodPost, Path: "/graphql",
		Header: map[string]string{"Authorization": auth, "Content-Type": "application/json"},
		Body:   `{"query":"query { viewer { email } }"}`,
	})
	if fail != nil {
		return *fail
	}
	if resp.Status != http.StatusOK {
		return verify.StatusResult(resp, req)
	}
	var body struct {
		Data *struct {
			Viewer *struct {
				Email string `json:"email"`
			} `json:"viewer"`
		} `json:"data"`
		Errors []struct {
			Message    string `json:"message"`
			Extensions struct {
				Code string `json:"code"`
			} `json:"extensions"`
		} `json:"errors"`
	}
	if json.Unmarshal(resp.Body, &body) != nil {
		return verify.Unknownf(req, "unexpected answer from Fly.io")
	}
	if body.Data != nil && body.Data.Viewer != nil && body.Data.Viewer.Email != "" {
		return verify.Result{Status: verify.Live, Identity: body.Data.Viewer.Email, Kind: "API token"}
	}
	for _, e := range body.Errors {
		if e.Extensions.Code == "UNAUTHORIZED" || strings.Contains(strings.ToLower(e.Message), "not authorized") {
			return verify.Result{Status: verify.Dead, Reason: "Fly.io: unauthorized"}
		}
	}
	return verify.Unknownf(req, "unexpected answer from Fly.io")
}
