package github

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/achilles-sec/achilles/detectors/verify"
	vt "github.com/achilles-sec/achilles/detectors/verify/verifytest"
)

const tok = "ghp_Q2x9LmP4vR7sT1uW3yZ5aB8cD6eF0g1h2i3j"

func TestVerifier(t *testing.T) {
	vt.Run(t, Verifier{}, vt.Case{
		ID: "github", Secret: tok, Path: "/user", Authorized: vt.Bearer(tok),
		LiveBody:    `{"login":"octocat","id":1,"type":"User"}`,
		LiveHeaders: map[string]string{"X-OAuth-Scopes": "repo, read:org", "GitHub-Authentication-Token-Expiration": "2027-03-01 12:00:00 +0000"},
		Identity:    "octocat", Scopes: []string{"repo", "read:org"},
		Expires: "2027-03-01T12:00:00Z", Kind: "personal access token (classic)",
		DeadStatus: 401, DeadBody: `{"message":"Bad credentials","documentation_url":"https://docs.github.com/rest"}`,
	})
}

func TestExpiryAndInstallationToken(t *testing.T) {
	s := vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/user":
			w.Header().Set("GitHub-Authentication-Token-Expiration", "2027-03-01 12:00:00 +0000")
			w.Write([]byte(`{"login":"octocat"}`))
		case r.URL.Path == "/installation/repositories" && r.Header.Get("Authorization") == "Bearer ghs_abc":
			w.Write([]byte(`{"total_count":3,"repositories":[]}`))
		default:
			w.WriteHeader(404)
		}
	})
	c := s.Client("github", time.Second)
	res := c.Verify(context.Background(), Verifier{}, verify.Request{Secret: tok})
	if want := time.Date(2027, 3, 1, 12, 0, 0, 0, time.UTC); !res.ExpiresAt.Equal(want) {
		t.Errorf("expires %v, want %v", res.ExpiresAt, want)
	}
	if res.Kind != "personal access token (classic)" {
		t.Errorf("kind %q", res.Kind)
	}
	res = c.Verify(context.Background(), Verifier{}, verify.Request{Secret: "ghs_abc"})
	if res.Status != verify.Live || res.Identity != "app installation" {
		t.Errorf("installation token: %+v", res)
	}
}
