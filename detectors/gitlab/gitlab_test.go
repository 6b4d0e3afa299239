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
		Identity: "ci-deploy", Scopes: []string{"api", "read_repository"}, Expires: "2027-01-01T00:00:00Z",
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
