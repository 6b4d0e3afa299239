package openrouter

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

const key = "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"

const limited = `{"data":{"label":"sk-or-v1-0e6...c96","limit":100,"limit_remaining":74.5,"limit_reset":"monthly","usage":25.5,"usage_daily":1.5,"is_free_tier":false,"is_management_key":false,"is_provisioning_key":false,"creator_user_id":"user_2dHFtVWx2n56w6HkM0000000000","include_byok_in_limit":false}}`

const management = `{"data":{"label":"mgmt","limit":null,"limit_remaining":null,"usage":0,"is_free_tier":false,"is_management_key":true,"is_provisioning_key":true,"creator_user_id":"user_2dHFtVWx2n56w6HkM0000000000"}}`

func fake(t *testing.T, keyBody string, override func(w http.ResponseWriter, r *http.Request) bool) *vt.Server {
	return vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Method != http.MethodGet {
			t.Errorf("%s %s: the analyzer must only read", r.Method, r.URL.Path)
		}
		if r.Header.Get("Authorization") != "Bearer "+key {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":{"message":"User not found.","code":401}}`)
			return
		}
		if override != nil && override(w, r) {
			return
		}
		switch r.URL.Path {
		case "/api/v1/key":
			fmt.Fprint(w, keyBody)
		case "/api/v1/keys":
			switch r.URL.Query().Get("offset") {
			case "0":
				fmt.Fprint(w, `{"data":[{"hash":"f01d5260","name":"Production","label":"sk-or-v1-0e6...c96","disabled":false,"limit":100,"usage":25.5,"created_at":"2025-08-24T10:30:00Z"},{"hash":"a1b2c3","name":"Old","label":"sk-or-v1-111...222","disabled":true,"limit":null,"usage":0}]}`)
			case "2":
				fmt.Fprint(w, `{"data":[{"hash":"d4e5f6","name":"CI","label":"sk-or-v1-333...444","disabled":false}]}`)
			default:
				fmt.Fprint(w, `{"data":[]}`)
			}
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	})
}

func run(t *testing.T, s *vt.Server, secret string) (*analyze.Report, error) {
	t.Helper()
	rep, err := Analyzer{}.Analyze(context.Background(), s.Client("openrouter", 5*time.Second), verify.Request{Secret: secret})
	if err != nil && strings.Contains(err.Error(), secret) {
		t.Fatalf("error shows the secret: %v", err)
	}
	return rep, err
}

func TestLimitedKey(t *testing.T) {
	rep, err := run(t, fake(t, limited, nil), key)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Identity != "user_2dHFtVWx2n56w6HkM0000000000" || rep.Kind != "API key" || rep.Severity != analyze.SeverityRead {
		t.Errorf("identity %q kind %q severity %s", rep.Identity, rep.Kind, rep.Severity)
	}
	if len(rep.Resources) != 1 || rep.Resources[0].Name != "limit 100.00 USD, 74.50 remaining, resets monthly (25.50 USD used)" {
		t.Errorf("resources %+v", rep.Resources)
	}
	if rep.Worst != "can spend the OpenRouter account's credits on any model (limit 100.00 USD, 74.50 remaining, resets monthly)" {
		t.Errorf("worst %q", rep.Worst)
	}
}

func TestManagementKey(t *testing.T) {
	rep, err := run(t, fake(t, management, nil), key)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Kind != "management key" || rep.Severity != analyze.SeverityAdmin || rep.Count("api key") != 3 {
		t.Errorf("kind %q severity %s resources %+v", rep.Kind, rep.Severity, rep.Resources)
	}
	if rep.Worst != "management key: can create, change and delete the account's API keys (3 listed)" {
		t.Errorf("worst %q", rep.Worst)
	}
}

func TestManagementBoundPartialAndRateLimit(t *testing.T) {
	var pages, keyCalls atomic.Int64
	s := fake(t, management, func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path == "/api/v1/key" && keyCalls.Add(1) == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprint(w, `{"error":{"message":"Rate limit exceeded","code":429}}`)
			return true
		}
		if r.URL.Path == "/api/v1/keys" {
			n := pages.Add(1)
			fmt.Fprintf(w, `{"data":[{"hash":"h%d","name":"k%d","label":"l%d"}]}`, n, n, n)
			return true
		}
		return false
	})
	rep, err := run(t, s, key)
	if err != nil {
		t.Fatal(err)
	}
	if keyCalls.Load() != 2 || pages.Load() != analyze.MaxPages || len(rep.Partial) != 1 || rep.Partial[0] != "keys: stopped after 20 pages" {
		t.Errorf("key asked %d times, %d pages, partial %q", keyCalls.Load(), pages.Load(), rep.Partial)
	}

	s = fake(t, management, func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path == "/api/v1/keys" {
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprint(w, `{"error":{"message":"Internal Server Error","code":500}}`)
			return true
		}
		return false
	})
	rep, err = run(t, s, key)
	if err != nil || rep.Severity != analyze.SeverityAdmin || len(rep.Partial) != 1 || rep.Partial[0] != "keys: /api/v1/keys answered HTTP 500" {
		t.Errorf("partial failure: %+v, %v", rep, err)
	}
}

func TestInvalidKey(t *testing.T) {
	rep, err := run(t, fake(t, limited, nil), key[:len(key)-1]+"7")
	if err == nil || rep != nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("an invalid key gave %+v, %v", rep, err)
	}
}
