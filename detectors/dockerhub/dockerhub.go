// Package dockerhub verifies Docker Hub personal and organisation access
// tokens (dckr_pat_, dckr_oat_) by exchanging them, with their username or
// organisation name, for a short-lived (10 minute) access token at
// POST https://hub.docker.com/v2/auth/token. The short-lived token is
// discarded; nothing at Docker Hub changes. A PAT only works with its
// owner's name, which is the companion "dockerhub-username".
package dockerhub

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/achilles-sec/achilles/detectors/verify"
)

// UserRule is the companion: the username (or organisation) of the token.
const UserRule = "dockerhub-username"

// Verifier checks Docker Hub access tokens.
type Verifier struct{}

// ID implements verify.Verifier.
func (Verifier) ID() string { return "dockerhub" }

// Companions implements verify.Verifier: the username.
func (Verifier) Companions() []string { return []string{UserRule} }

// Verify implements verify.Verifier.
func (v Verifier) Verify(ctx context.Context, c *verify.Client, req verify.Request) verify.Result {
	user := req.Parts[UserRule]
	if user == "" {
		return verify.Result{Status: verify.Unknown, Reason: "a Docker Hub token needs its username; none found nearby"}
	}
	body, _ := json.Marshal(map[string]string{"identifier": user, "secret": req.Secret})
	resp, fail := c.Send(ctx, req, verify.Call{
		Verifier: v.ID(), Official: "https://hub.docker.com", Method: http.MethodPost, Path: "/v2/auth/token",
		Header: map[string]string{"Content-Type": "application/json", "Accept": "application/json"},
		Body:   string(body),
	})
	if fail != nil {
		return *fail
	}
	if resp.Status != http.StatusOK {
		return verify.StatusResult(resp, req)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if json.Unmarshal(resp.Body, &tok) != nil || tok.AccessToken == "" {
		return verify.Unknownf(req, "unexpected answer from Docker Hub")
	}
	kind := "personal access token"
	if strings.HasPrefix(req.Secret, "dckr_oat_") {
		kind = "organization access token"
	}
	res := verify.Result{Status: verify.Live, Identity: user, Kind: kind}
	// The short-lived token is a JWT whose claims name the account and the
	// access it was granted: read, not checked (it is never used).
	claims := jwtClaims(tok.AccessToken)
	if name := claimString(claims, "username"); name != "" {
		res.Identity = name
	}
	if sc := claimString(claims, "scope"); sc != "" {
		res.Scopes = strings.Fields(sc)
	}
	return res
}

// jwtClaims decodes a JWT's payload, or nil.
func jwtClaims(tok string) map[string]any {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return nil
	}
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return nil
	}
	return m
}

// claimString finds a string claim by name at the top level or one level
// down (Docker Hub nests its own claims under "https://hub.docker.com").
func claimString(m map[string]any, name string) string {
	if s, ok := m[name].(string); ok {
		return s
	}
	for _, v := range m {
		if sub, ok := v.(map[string]any); ok {
			if s, ok := sub[name].(string); ok {
				return s
			}
		}
	}
	return ""
}
