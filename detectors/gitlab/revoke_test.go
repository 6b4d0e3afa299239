package gitlab

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/verify"
	vt "github.com/achilles-sec/achilles/detectors/verify/verifytest"
)

const revTok = "glpat-Q2x9LmP4vR7sT1uW3yZ5"

// selfRevokeAPI fakes DELETE /api/v4/personal_access_tokens/self: 204 for
// the live token once (then 401, as it is revoked), 401 for any other.
func selfRevokeAPI(t *testing.T, first func(w http.ResponseWriter) bool) *vt.Server {
	var revoked atomic.Bool
	var n atomic.Int64
	return vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodDelete || r.URL.Path != "/api/v4/personal_access_tokens/self" {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		if n.Add(1) == 1 && first != nil && first(w) {
			return
		}
		if r.Header.Get("PRIVATE-TOKEN") != revTok || revoked.Load() {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"message":"401 Unauthorized"}`))
			return
		}
		revoked.Store(true)
		w.WriteHeader(http.StatusNoContent)
	})
}

func TestRevoke(t *testing.T) {
	s := selfRevokeAPI(t, nil)
	c := s.Client("gitlab", 2*time.Second)
	o, err := Revoker{}.Revoke(context.Background(), c, verify.Request{Secret: revTok})
	if err != nil || o.Status != analyze.Revoked {
		t.Fatalf("%+v %v", o, err)
	}
	// Revoked now: a second attempt is told the token is already invalid.
	o, err = Revoker{}.Revoke(context.Background(), c, verify.Request{Secret: revTok})
	if err != nil || o.Status != analyze.AlreadyInvalid {
		t.Fatalf("%+v %v", o, err)
	}
	// A token sent another way than PRIVATE-TOKEN would be refused too.
	o, _ = Revoker{}.Revoke(context.Background(), c, verify.Request{Secret: "glpat-" + strings.Repeat("x", 20)})
	if o.Status != analyze.AlreadyInvalid {
		t.Fatalf("%+v", o)
	}
	if c.Requests() != s.Hits.Load() || s.Hits.Load() != 3 {
		t.Fatalf("%d requests, %d at the fake", c.Requests(), s.Hits.Load())
	}
}

func TestRevokeRateLimitedThenRevoked(t *testing.T) {
	s := selfRevokeAPI(t, func(w http.ResponseWriter) bool {
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
		return true
	})
	o, err := Revoker{}.Revoke(context.Background(), s.Client("gitlab", 3*time.Second), verify.Request{Secret: revTok})
	if err != nil || o.Status != analyze.Revoked || s.Hits.Load() != 2 {
		t.Fatalf("%+v %v %d", o, err, s.Hits.Load())
	}
}

func TestRevokeRefusedAndNotSent(t *testing.T) {
	s := selfRevokeAPI(t, func(w http.ResponseWriter) bool {
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte(`{"error":"insufficient_scope"}`))
		return true
	})
	c := s.Client("gitlab", 2*time.Second)
	o, err := Revoker{}.Revoke(context.Background(), c, verify.Request{Secret: revTok})
	if err != nil || o.Status != analyze.RevokeFailed || !strings.Contains(o.Answer, "403") {
		t.Fatalf("%+v %v", o, err)
	}
	for _, req := range []verify.Request{
		{RuleID: RunnerRule, Secret: "glrt-abcdefghijklmnopqrst"},
		{RuleID: OAuthRule, Secret: strings.Repeat("a", 64)},
	} {
		if o, _ := (Revoker{}).Revoke(context.Background(), c, req); o.Status != analyze.RevokeFailed || !strings.Contains(o.Answer, "not sent") {
			t.Fatalf("%+v", o)
		}
	}
	// An instance's token is not sent to gitlab.com (no endpoint configured).
	bare := verify.NewClient(verify.Options{})
	if o, _ := (Revoker{}).Revoke(context.Background(), bare, verify.Request{RuleID: InstancePrefixRule, Secret: "acme-glpat-abcdefghijklmnopqrst"}); o.Status != analyze.RevokeFailed || bare.Requests() != 0 {
		t.Fatalf("%+v", o)
	}
	if s.Hits.Load() != 1 {
		t.Fatalf("%d requests", s.Hits.Load())
	}
}
