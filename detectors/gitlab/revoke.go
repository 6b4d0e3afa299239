package gitlab

import (
	"context"
	"fmt"
	"net/http"

	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/verify"
)

// Revoker has a personal, project or group access token revoke itself:
// DELETE /api/v4/personal_access_tokens/self with the token in
// PRIVATE-TOKEN, 204 No Content when revoked, 401 when the token does not
// work, 403 when it lacks the scope to. OAuth tokens, runner tokens and
// session cookies are not revoked this way and are not sent.
//
// Docs: https://docs.gitlab.com/api/personal_access_tokens/#revoke-a-personal-access-token
//
// A self-managed instance is used when [verify.endpoints] gitlab names it;
// a token with an instance's custom prefix is never sent to gitlab.com.
type Revoker struct{}

// ID implements analyze.Revoker.
func (Revoker) ID() string { return "gitlab" }

// Revoke implements analyze.Revoker.
func (r Revoker) Revoke(ctx context.Context, c *verify.Client, req verify.Request) (analyze.Outcome, error) {
	_, configured := c.Endpoints[r.ID()]
	switch {
	case req.RuleID == SessionRule || req.RuleID == OAuthRule || req.RuleID == RunnerRule ||
		hasKind(req.Secret, "glrt-") || hasKind(req.Secret, "glrtr-"):
		return analyze.Outcome{Status: analyze.RevokeFailed, Answer: "not sent: only access tokens revoke themselves through the GitLab API"}, nil
	case req.RuleID == InstancePrefixRule && !configured:
		return analyze.Outcome{Status: analyze.RevokeFailed, Answer: "not sent: a self-managed instance's token; set [verify.endpoints] gitlab to the instance"}, nil
	}
	resp, fail := c.Send(ctx, req, verify.Call{
		Verifier: r.ID(), Official: official, Method: http.MethodDelete, Path: "/api/v4/personal_access_tokens/self",
		Header: map[string]string{"PRIVATE-TOKEN": req.Secret},
	})
	if fail != nil {
		return analyze.Outcome{}, fmt.Errorf("GitLab token revocation: %s", fail.Reason)
	}
	switch resp.Status {
	case http.StatusNoContent, http.StatusOK:
		return analyze.Outcome{Status: analyze.Revoked, Answer: fmt.Sprintf("%d: GitLab revoked the token", resp.Status)}, nil
	case http.StatusUnauthorized:
		if !configured {
			return analyze.Outcome{Status: analyze.AlreadyInvalid, Answer: "401: gitlab.com does not accept the token (revoked there, or a self-managed instance's token: set [verify.endpoints] gitlab)"}, nil
		}
		return analyze.Outcome{Status: analyze.AlreadyInvalid, Answer: "401: the instance does not accept the token"}, nil
	case http.StatusForbidden:
		return analyze.Outcome{Status: analyze.RevokeFailed, Answer: "403: the token may not revoke itself (scope); revoke it in the user's or project's access token settings"}, nil
	case http.StatusTooManyRequests:
		return analyze.Outcome{Status: analyze.RevokeFailed, Answer: "rate-limited (429): retry after " + retryAfter(resp)}, nil
	}
	return analyze.Outcome{Status: analyze.RevokeFailed, Answer: verify.Scrub(fmt.Sprintf("HTTP %d: %.200s", resp.Status, resp.Body), req)}, nil
}

func retryAfter(resp *verify.Response) string {
	if s := resp.Header.Get("Retry-After"); s != "" {
		return s + " s"
	}
	return "a while"
}
