package slack

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

const revTok = "xoxb-2461234567-2469876543210-Q2x9LmP4vR7sT1uW3yZ5aB8c"

// revokeAPI fakes auth.revoke: the token in a Bearer header, revoked once;
// Slack answers 200 with ok false and invalid_auth to any other token (and
// to this one once revoked).
func revokeAPI(t *testing.T, first func(w http.ResponseWriter) bool) *vt.Server {
	var revoked atomic.Bool
	var n atomic.Int64
	return vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		if r.URL.Path != "/api/auth.revoke" {
			w.Write([]byte(`{"ok":false,"error":"unknown_method"}`))
			return
		}
		if n.Add(1) == 1 && first != nil && first(w) {
			return
		}
		if r.Header.Get("Authorization") != "Bearer "+revTok || revoked.Load() {
			w.Write([]byte(`{"ok":false,"error":"invalid_auth"}`))
			return
		}
		revoked.Store(true)
		w.Write([]byte(`{"ok":true,"revoked":true}`))
	})
}

func TestRevoke(t *testing.T) {
	s := revokeAPI(t, nil)
	c := s.Client("slack", 2*time.Second)
	o, err := Revoker{}.Revoke(context.Background(), c, verify.Request{Secret: revTok})
	if err != nil || o.Status != analyze.Revoked {
		t.Fatalf("%+v %v", o, err)
	}
	o, err = Revoker{}.Revoke(context.Background(), c, verify.Request{Secret: revTok})
	if err != nil || o.Status != analyze.AlreadyInvalid || o.Answer != "invalid_auth" {
		t.Fatalf("%+v %v", o, err)
	}
	if c.Requests() != 2 || s.Hits.Load() != 2 {
		t.Fatalf("%d requests, %d at the fake", c.Requests(), s.Hits.Load())
	}
}

func TestRevokeRateLimited(t *testing.T) {
	s := revokeAPI(t, func(w http.ResponseWriter) bool {
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
		return true
	})
	o, err := Revoker{}.Revoke(context.Background(), s.Client("slack", 3*time.Second), verify.Request{Secret: revTok})
	if err != nil || o.Status != analyze.Revoked || s.Hits.Load() != 2 {
		t.Fatalf("%+v %v %d", o, err, s.Hits.Load())
	}
	s = vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(http.StatusTooManyRequests)
	})
	o, err = Revoker{}.Revoke(context.Background(), s.Client("slack", 2*time.Second), verify.Request{Secret: revTok})
	if err != nil || o.Status != analyze.RevokeFailed || !strings.Contains(o.Answer, "3600") {
		t.Fatalf("%+v %v", o, err)
	}
}

func TestRevokeOtherError(t *testing.T) {
	s := revokeAPI(t, func(w http.ResponseWriter) bool {
		w.Write([]byte(`{"ok":false,"error":"not_bearer_token ` + revTok + `"}`))
		return true
	})
	o, err := Revoker{}.Revoke(context.Background(), s.Client("slack", 2*time.Second), verify.Request{Secret: revTok})
	if err != nil || o.Status != analyze.RevokeFailed || strings.Contains(o.Answer, revTok) || !strings.Contains(o.Answer, "not_bearer_token") {
		t.Fatalf("%+v %v", o, err)
	}
}
