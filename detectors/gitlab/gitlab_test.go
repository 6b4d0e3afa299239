package gitlab

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/achilles-sec/achilles/detectors/verify"
	vt "github.com/achilles-sec/achilles/detectors/verify/verifytest"
)

const tok = "glpat-Q2x9LmP4vR7sT1uW3yZ5"

func TestVerifier(t *testing.T) {
	vt.Run(t, Verifier{}, vt.Case{
		ID: "gitlab", Secret: tok, Path: "/api/v4/personal_access_tokens/self", Authorized: vt.Header("PRIVATE-TOKEN", tok),
		LiveBody: `{"id":42,"name":"ci-deploy","revoked":false,"created_at":"2024-01-01T00:00:00.000Z","scopes":["api","read_repository"],"user_id":7,"active":true,"expires_at":"2027-01-01"}`,
		Identity: "user 7 (token ci-deploy)", Scopes: []string{"api", "read_repository"}, Expires: "2027-01-01T00:00:00Z",
		DeadStatus: 401, DeadBody: `{"message":"401 Unauthorized"}`,
	})
}

func TestRevokedAndExpiry(t *testing.T) {
	revoked := false
	s := vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		if revoked {
			w.Write([]byte(`{"id":1,"name":"old","revoked":true,"active":false,"scopes":["api"],"expires_at":null}`))
			return
		}
		w.Write([]byte(`{"id":1,"name":"ok","revoked":false,"active":true,"scopes":["api"],"expires_at":"2027-01-01"}`))
	})
	res := s.Client("gitlab", time.Second).Verify(context.Background(), Verifier{}, verify.Request{Secret: tok})
	if !res.ExpiresAt.Equal(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("expires %v", res.ExpiresAt)
	}
	revoked = true
	res = s.Client("gitlab", time.Second).Verify(context.Background(), Verifier{}, verify.Request{Secret: tok})
	if res.Status != verify.Dead {
		t.Errorf("revoked token: %+v", res)
	}
}

// TestEachKindAtItsEndpoint: OAuth tokens, runner tokens and session
// cookies are each checked the way GitLab documents for them, not as
// access tokens; a self-managed instance's prefixed token is not sent to
// gitlab.com.
func TestEachKindAtItsEndpoint(t *testing.T) {
	const oauthTok = "3f6c2b1a0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b"
	const runnerTok = "glrt-t1_Zx8Qm2Lp7Rt4Vw9Yb3Nc"
	const cookie = "0123456789abcdef0123456789abcdef"
	s := vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/oauth/token/info" && r.Header.Get("Authorization") == "Bearer "+oauthTok:
			w.Write([]byte(`{"resource_owner_id":7,"scope":["api"],"expires_in":7200,"application":{"uid":"1cb4be2f"},"created_at":1762000000}`))
		case r.URL.Path == "/api/v4/runners/verify" && r.Method == http.MethodPost:
			r.ParseForm()
			if r.PostForm.Get("token") != runnerTok {
				w.WriteHeader(http.StatusForbidden)
				w.Write([]byte(`{"message":"403 Forbidden"}`))
				return
			}
			w.Write([]byte(`{"id":12,"token":"` + runnerTok + `","token_expires_at":"2027-03-01T00:00:00.000Z"}`))
		case r.URL.Path == "/api/v4/user" && r.Header.Get("Cookie") == "_gitlab_session="+cookie:
			w.Write([]byte(`{"id":7,"username":"ada"}`))
		default:
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"message":"401 Unauthorized"}`))
		}
	})
	c := s.Client("gitlab", 2*time.Second)
	for _, tc := range []struct {
		req      verify.Request
		status   verify.Status
		identity string
	}{
		{verify.Request{RuleID: OAuthRule, Secret: oauthTok}, verify.Live, "user 7"},
		{verify.Request{RuleID: OAuthRule, Secret: oauthTok[1:] + "0"}, verify.Dead, ""},
		{verify.Request{RuleID: "gitlab-runner-token", Secret: runnerTok}, verify.Live, "runner 12"},
		{verify.Request{RuleID: RunnerRule, Secret: "glrtr-Zx8Qm2Lp7Rt4Vw9Yb3NcQQ"}, verify.Dead, ""},
		{verify.Request{RuleID: SessionRule, Secret: cookie}, verify.Live, "ada"},
	} {
		res := c.Verify(context.Background(), Verifier{}, tc.req)
		if res.Status != tc.status || res.Identity != tc.identity {
			t.Errorf("%s %.12s: %+v", tc.req.RuleID, tc.req.Secret, res)
		}
	}
	// The instance's own token, no endpoint configured: nothing is sent.
	before := s.Hits.Load()
	c = s.Client("unrelated", 2*time.Second)
	res := c.Verify(context.Background(), Verifier{}, verify.Request{RuleID: InstancePrefixRule, Secret: "acme-glpat-WRBi_01b4lppPLFI_-8X"})
	if res.Status != verify.Unknown || s.Hits.Load() != before {
		t.Errorf("instance token: %+v, %d requests", res, s.Hits.Load()-before)
	}
}
