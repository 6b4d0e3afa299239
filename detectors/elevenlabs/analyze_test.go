package elevenlabs

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/verify"
	vt "github.com/achilles-sec/achilles/detectors/verify/verifytest"
)

const key = "sk_3f9a1c7e5b2d8f4a6c0e9b1d3f5a7c9e1b3d5f7a9c1e3b5d"

const missing = `{"detail":{"status":"missing_permissions","message":"The API key you used is missing the permission speech_history_read to execute this operation."}}`

func fake(t *testing.T, override func(w http.ResponseWriter, r *http.Request) bool) *vt.Server {
	return vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Method != http.MethodGet {
			t.Errorf("%s %s: the analyzer must only read", r.Method, r.URL.Path)
		}
		if r.Header.Get("xi-api-key") != key {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"detail":{"status":"invalid_api_key","message":"Invalid API key"}}`)
			return
		}
		if override != nil && override(w, r) {
			return
		}
		switch r.URL.Path {
		case "/v1/user":
			fmt.Fprint(w, `{"user_id":"1234567890","first_name":"Ada","is_new_user":false,"subscription":{"tier":"creator","character_count":17231,"character_limit":100000,"can_extend_character_limit":true,"status":"active","currency":"usd"}}`)
		case "/v1/voices":
			fmt.Fprint(w, `{"voices":[{"voice_id":"21m00Tcm4TlvDq8ikWAM","name":"Rachel","category":"premade"},{"voice_id":"aBcD1234","name":"Ada's clone","category":"cloned"}]}`)
		case "/v1/history":
			if r.URL.Query().Get("page_size") != "1" {
				t.Errorf("history asked with %q", r.URL.RawQuery)
			}
			fmt.Fprint(w, `{"history":[{"history_item_id":"ja9xsmfGhxYcymxGcOGB","voice_id":"aBcD1234","text":"Quarterly numbers","date_unix":1714650306}],"last_history_item_id":"ja9xsmfGhxYcymxGcOGB","has_more":true}`)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	})
}

func run(t *testing.T, s *vt.Server, secret string) (*analyze.Report, error) {
	t.Helper()
	rep, err := Analyzer{}.Analyze(context.Background(), s.Client("elevenlabs", 5*time.Second), verify.Request{Secret: secret})
	if err != nil && strings.Contains(err.Error(), secret) {
		t.Fatalf("error shows the secret: %v", err)
	}
	return rep, err
}

func TestFullKey(t *testing.T) {
	rep, err := run(t, fake(t, nil), key)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Identity != "1234567890" || rep.Kind != "API key" || rep.Count("voice") != 1 || rep.Count("speech history") != 1 {
		t.Errorf("report %+v", rep)
	}
	if rep.Severity != analyze.SeverityRead || rep.Worst != "can spend the 82769 characters left on the creator subscription, use the account's 1 own voices, read its generated speech history" {
		t.Errorf("worst %q severity %s", rep.Worst, rep.Severity)
	}
}

func TestRestrictedPartialAndRateLimit(t *testing.T) {
	var n atomic.Int64
	s := fake(t, func(w http.ResponseWriter, r *http.Request) bool {
		switch r.URL.Path {
		case "/v1/user":
			if n.Add(1) == 1 {
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(http.StatusTooManyRequests)
				fmt.Fprint(w, `{"detail":{"status":"too_many_concurrent_requests","message":"Too many concurrent requests"}}`)
				return true
			}
		case "/v1/history":
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, missing)
			return true
		case "/v1/voices":
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprint(w, `{"detail":{"status":"internal_error","message":"Internal error"}}`)
			return true
		}
		return false
	})
	rep, err := run(t, s, key)
	if err != nil {
		t.Fatal(err)
	}
	if n.Load() != 2 || rep.Kind != "restricted API key (refused: speech history)" {
		t.Errorf("user asked %d times, kind %q", n.Load(), rep.Kind)
	}
	if len(rep.Partial) != 1 || rep.Partial[0] != "voices: /v1/voices answered HTTP 500" {
		t.Errorf("partial %q", rep.Partial)
	}
	if rep.Worst != "can spend the 82769 characters left on the creator subscription" {
		t.Errorf("worst %q", rep.Worst)
	}
}

func TestInvalidKey(t *testing.T) {
	rep, err := run(t, fake(t, nil), key[:len(key)-1]+"0")
	if err == nil || rep != nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("an invalid key gave %+v, %v", rep, err)
	}
}
