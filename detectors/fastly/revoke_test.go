package fastly

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

const tok = "Q2x9LmP4vR7sT1uW3yZ5aB8cD6eF0g1h"

// revokeAPI fakes DELETE /tokens/self: the token in Fastly-Key, 204 once;
// then (and for any other token) 401 with Fastly's error body.
func revokeAPI(t *testing.T, first func(w http.ResponseWriter) bool) *vt.Server {
	var revoked atomic.Bool
	var n atomic.Int64
	return vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 && first != nil && first(w) {
			return
		}
		if r.Method != http.MethodDelete || r.URL.Path != "/tokens/self" {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		if r.Header.Get("Fastly-Key") != tok || revoked.Load() {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"msg":"Provided credentials are missing or invalid"}`))
			return
		}
		revoked.Store(true)
		w.WriteHeader(http.StatusNoContent)
	})
}

func TestRevoke(t *testing.T) {
	s := revokeAPI(t, nil)
	c := s.Client("fastly", 2*time.Second)
	o, err := Revoker{}.Revoke(context.Background(), c, verify.Request{Secret: tok})
	if err != nil || o.Status != analyze.Revoked {
		t.Fatalf("%+v %v", o, err)
	}
	o, err = Revoker{}.Revoke(context.Background(), c, verify.Request{Secret: tok})
	if err != nil || o.Status != analyze.AlreadyInvalid {
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
	o, err := Revoker{}.Revoke(context.Background(), s.Client("fastly", 3*time.Second), verify.Request{Secret: tok})
	if err != nil || o.Status != analyze.Revoked || s.Hits.Load() != 2 {
		t.Fatalf("%+v %v %d", o, err, s.Hits.Load())
	}
	s = vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(http.StatusTooManyRequests)
	})
	o, _ = Revoker{}.Revoke(context.Background(), s.Client("fastly", 2*time.Second), verify.Request{Secret: tok})
	if o.Status != analyze.RevokeFailed || !strings.Contains(o.Answer, "3600") {
		t.Fatalf("%+v", o)
	}
}
