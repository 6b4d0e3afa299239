// Package github verifies GitHub tokens: who they belong to, their scopes
// and when they expire, from GET /user (or /installation/repositories for
// app installation tokens).
package github

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/achilles-sec/achilles/detectors/verify"
)

const official = "https://api.github.com"

// Verifier checks GitHub classic, fine-grained, OAuth and app tokens.
// Configure [verify.endpoints] github = "https://ghe.example.com/api/v3"
// for GitHub Enterprise Server.
type Verifier struct{}

// ID implements verify.Verifier.
func (Verifier) ID() string { return "github" }

// Companions implements verify.Verifier.
func (Verifier) Companions() []string { return nil }

// Verify implements verify.Verifier.
func (v Verifier) Verify(ctx context.Context, c *verify.Client, req verify.Request) verify.Result {
	path := "/user"
	if strings.HasPrefix(req.Secret, "ghs_") {
		path = "/installation/repositories?per_page=1"
	}
	resp, fail := c.Send(ctx, req, verify.Call{
		Verifier: v.ID(), Official: official, Path: path,
		Header: map[string]string{
			"Authorization":        "Bearer " + req.Secret,
			"Accept":               "application/vnd.github+json",
			"X-GitHub-Api-Version": "2022-11-28",
		},
	})
	if fail != nil {
		return *fail
	}
	if resp.Status != http.StatusOK {
		res := verify.StatusResult(resp, req)
		if _, configured := c.Endpoints[v.ID()]; res.Status == verify.Dead && !configured {
			// A GitHub Enterprise Server token has the same form: github.com
			// not knowing it says nothing of the instance it came from.
			res = verify.Result{Status: verify.Unknown, Reason: "unknown to github.com (401): revoked there, or a GitHub Enterprise Server token (set [verify.endpoints] github for the instance)"}
		}
		return res
	}
	res := verify.Result{Status: verify.Live, Kind: kind(req.Secret)}
	if s := resp.Header.Get("X-OAuth-Scopes"); s != "" {
		for _, sc := range strings.Split(s, ",") {
			res.Scopes = append(res.Scopes, strings.TrimSpace(sc))
		}
	}
	if e := resp.Header.Get("GitHub-Authentication-Token-Expiration"); e != "" {
		res.ExpiresAt = verify.ParseTime(e)
	}
	var u struct {
		Login      string `json:"login"`
		TotalCount *int   `json:"total_count"`
	}
	if err := json.Unmarshal(resp.Body, &u); err != nil {
		return verify.Result{Status: verify.Unknown, Reason: "unexpected answer from GitHub"}
	}
	switch {
	case u.Login != "":
		res.Identity = u.Login
	case u.TotalCount != nil:
		res.Identity = "app installation"
	default:
		return verify.Result{Status: verify.Unknown, Reason: "unexpected answer from GitHub"}
	}
	return res
}

func kind(tok string) string {
	switch {
	case strings.HasPrefix(tok, "ghp_"):
		return "personal access token (classic)"
	case strings.HasPrefix(tok, "github_pat_"):
		return "fine-grained personal access token"
	case strings.HasPrefix(tok, "gho_"):
		return "OAuth token"
	case strings.HasPrefix(tok, "ghu_"):
		return "app user token"
	case strings.HasPrefix(tok, "ghs_"):
		return "app installation token"
	}
	return "token"
}
