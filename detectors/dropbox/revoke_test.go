package dropbox

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/verify"
	vt "github.com/achilles-sec/achilles/detectors/verify/verifytest"
)

var tok = "sl." + strings.Repeat("Q2x9LmP4vR7sT1uW3yZ5", 7)

// revokeAPI fakes POST /2/auth/token/revoke: Bearer, no body, 200 "null"
// once; then (and for any other token) 401 invalid_access_token.
func revokeAPI(t *testing.T, first func(w http.ResponseWriter) bool) *vt.Server {
	var revoked atomic.Bool
	var n atomic.Int64
	return vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 && first != nil && first(w) {
			return
		}
		body, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || r.URL.Path != "/2/auth/token/revoke" || len(body) != 0 {
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte("Error in call to API function \"auth/token/revoke\""))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("Authorization") != "Bearer "+tok || revoked.Load() {
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"error_summary":"invalid_access_token/","error":{".tag":"invalid_access_token"}}`))
			return
		}
		revoked.Store(true)
		w.Write([]byte("null"))
	})
}

func TestRevoke(t *testing.T) {
	s := revokeAPI(t, nil)
	c := s.Client("dropbox", 2*time.Second)
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

func TestRevokeRateLimitedAndServerError(t *testing.T) {
	s := revokeAPI(t, func(w http.ResponseWriter) bool {
		w.Header().Set("Retry-After", "1")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTooManyRequests)
		w.Write([]byte(`{"error_summary":"too_many_requests/","error":{"reason":{".tag":"too_many_requests"},"retry_after":1}}`))
		return true
	})
	o, err := Revoker{}.Revoke(context.Background(), s.Client("dropbox", 3*time.Second), verify.Request{Secret: tok})
	if err != nil || o.Status != analyze.Revoked || s.Hits.Load() != 2 {
		t.Fatalf("%+v %v %d", o, err, s.Hits.Load())
	}
	s = vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		w.Write([]byte("internal error for " + tok))
	})
	o, err = Revoker{}.Revoke(context.Background(), s.Client("dropbox", 2*time.Second), verify.Request{Secret: tok})
	if err != nil || o.Status != analyze.RevokeFailed || !strings.Contains(o.Answer, "HTTP 500") || strings.Contains(o.Answer, tok) {
		t.Fatalf("%+v %v", o, err)
	}
}
