// Package gitlab verifies GitLab credentials, each kind at the endpoint
// GitLab documents for it:
//
//   - personal, project and group access tokens (glpat-, and 20-character
//     legacy tokens): GET /api/v4/personal_access_tokens/self with
//     PRIVATE-TOKEN, which tells the token's name, user, scopes and expiry;
//   - OAuth access tokens: GET /oauth/token/info with a Bearer header
//     (scopes, expiry, the resource owner);
//   - runner authentication tokens (glrt-, glrtr-): POST /api/v4/runners/verify,
//     GitLab's documented check of a runner's token (200 valid, 403 not);
//   - session cookies (_gitlab_session): GET /api/v4/user with the cookie.
//
// A token with a self-managed instance's custom prefix (acme-glpat-) is
// never sent to gitlab.com: without [verify.endpoints] gitlab it is
// unknown. A 401 from gitlab.com itself is unknown too (see rejected).
package gitlab

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/achilles-sec/achilles/detectors/verify"
)

const official = "https://gitlab.com"

// Rule ids of the credentials checked otherwise than as an access token.
const (
	SessionRule        = "gitlab-session-cookie"
	OAuthRule          = "gitlab-oauth-access-token"
	RunnerRule         = "gitlab-runner-token-registered"
	InstancePrefixRule = "gitlab-instance-prefixed-token"
)

// Verifier checks GitLab credentials. Configure [verify.endpoints]
// gitlab = "https://gitlab.example.com" for a self-managed instance.
type Verifier struct{}

// ID implements verify.Verifier.
func (Verifier) ID() string { return "gitlab" }

// Companions implements verify.Verifier.
func (Verifier) Companions() []string { return nil }

// Verify implements verify.Verifier.
func (v Verifier) Verify(ctx context.Context, c *verify.Client, req verify.Request) verify.Result {
	secret := req.Secret
	if req.RuleID == InstancePrefixRule {
		if _, ok := c.Endpoints[v.ID()]; !ok {
			return verify.Result{Status: verify.Unknown, Reason: "a self-managed GitLab instance's token (custom prefix): not sent to gitlab.com; set [verify.endpoints] gitlab to the instance"}
		}
		// The instance prefix is part of the token as the instance issued it.
	}
	switch {
	case req.RuleID == SessionRule:
		return v.session(ctx, c, req)
	case req.RuleID == OAuthRule:
		return v.oauth(ctx, c, req)
	case req.RuleID == RunnerRule || hasKind(secret, "glrt-") || hasKind(secret, "glrtr-"):
		return v.runner(ctx, c, req)
	}
	return v.accessToken(ctx, c, req)
}

// hasKind reports whether a token is of the kind prefix, with or without
// an instance prefix before it.
func hasKind(tok, prefix string) bool {
	return strings.HasPrefix(tok, prefix) || strings.Contains(tok, "-"+prefix)
}

func (v Verifier) accessToken(ctx context.Context, c *verify.Client, req verify.Request) verify.Result {
	resp, fail := c.Send(ctx, req, verify.Call{
		Verifier: v.ID(), Official: official, Path: "/api/v4/personal_access_tokens/self",
		Header: map[string]string{"PRIVATE-TOKEN": req.Secret},
	})
	if fail != nil {
		return *fail
	}
	if resp.Status != http.StatusOK {
		return v.rejected(c, resp, req)
	}
	var t struct {
		Name      string   `json:"name"`
		Scopes    []string `json:"scopes"`
		Revoked   bool     `json:"revoked"`
		Active    *bool    `json:"active"`
		ExpiresAt string   `json:"expires_at"`
		UserID    int      `json:"user_id"`
	}
	if err := json.Unmarshal(resp.Body, &t); err != nil || t.Active == nil {
		return verify.Result{Status: verify.Unknown, Reason: "unexpected answer from GitLab"}
	}
	if t.Revoked || !*t.Active {
		return verify.Result{Status: verify.Dead, Reason: "GitLab: token revoked or inactive"}
	}
	identity := fmt.Sprintf("user %d", t.UserID)
	if t.Name != "" {
		identity += " (token " + t.Name + ")"
	}
	res := verify.Result{Status: verify.Live, Identity: identity, Scopes: t.Scopes, Kind: "access token",
		Extra: map[string]string{"user_id": fmt.Sprint(t.UserID), "token_name": t.Name}}
	if t.ExpiresAt != "" {
		res.ExpiresAt = verify.ParseTime(t.ExpiresAt)
	}
	return res
}

func (v Verifier) oauth(ctx context.Context, c *verify.Client, req verify.Request) verify.Result {
	resp, fail := c.Send(ctx, req, verify.Call{
		Verifier: v.ID(), Official: official, Path: "/oauth/token/info",
		Header: map[string]string{"Authorization": "Bearer " + req.Secret},
	})
	if fail != nil {
		return *fail
	}
	if resp.Status != http.StatusOK {
		return v.rejected(c, resp, req)
	}
	var t struct {
		Owner     *int     `json:"resource_owner_id"`
		Scope     []string `json:"scope"`
		ExpiresIn *int     `json:"expires_in"`
	}
	if err := json.Unmarshal(resp.Body, &t); err != nil || t.Owner == nil {
		return verify.Result{Status: verify.Unknown, Reason: "unexpected answer from GitLab"}
	}
	return verify.Result{Status: verify.Live, Identity: fmt.Sprintf("user %d", *t.Owner), Scopes: t.Scope, Kind: "OAuth access token"}
}

func (v Verifier) runner(ctx context.Context, c *verify.Client, req verify.Request) verify.Result {
	resp, fail := c.Send(ctx, req, verify.Call{
		Verifier: v.ID(), Official: official, Path: "/api/v4/runners/verify", Method: http.MethodPost,
		Header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
		Body:   url.Values{"token": {req.Secret}}.Encode(),
	})
	if fail != nil {
		return *fail
	}
	switch resp.Status {
	case http.StatusOK:
		var r struct {
			ID      *int   `json:"id"`
			Expires string `json:"token_expires_at"`
		}
		if json.Unmarshal(resp.Body, &r) != nil || r.ID == nil {
			return verify.Result{Status: verify.Unknown, Reason: "unexpected answer from GitLab"}
		}
		res := verify.Result{Status: verify.Live, Identity: fmt.Sprintf("runner %d", *r.ID), Kind: "runner authentication token"}
		res.ExpiresAt = verify.ParseTime(r.Expires)
		return res
	case http.StatusForbidden:
		// The documented answer to a token that is not a runner's.
		resp.Status = http.StatusUnauthorized
	}
	return v.rejected(c, resp, req)
}

func (v Verifier) session(ctx context.Context, c *verify.Client, req verify.Request) verify.Result {
	resp, fail := c.Send(ctx, req, verify.Call{
		Verifier: v.ID(), Official: official, Path: "/api/v4/user",
		Header: map[string]string{"Cookie": "_gitlab_session=" + req.Secret},
	})
	if fail != nil {
		return *fail
	}
	if resp.Status != http.StatusOK {
		return v.rejected(c, resp, req)
	}
	var u struct {
		Username string `json:"username"`
	}
	if json.Unmarshal(resp.Body, &u) != nil || u.Username == "" {
		return verify.Result{Status: verify.Unknown, Reason: "unexpected answer from GitLab"}
	}
	return verify.Result{Status: verify.Live, Identity: u.Username, Kind: "session cookie"}
}

// rejected maps a refusal. A 401 is dead where the instance is configured;
// from gitlab.com it is unknown: a self-managed instance's token has the
// same form, and gitlab.com not knowing it says nothing of its instance.
func (v Verifier) rejected(c *verify.Client, resp *verify.Response, req verify.Request) verify.Result {
	res := verify.StatusResult(resp, req)
	if res.Status == verify.Dead {
		if _, configured := c.Endpoints[v.ID()]; !configured {
			res = verify.Result{Status: verify.Unknown, Reason: "unknown to gitlab.com (401): revoked there, or a self-managed instance's token (set [verify.endpoints] gitlab for the instance)"}
		}
	}
	return res
}
