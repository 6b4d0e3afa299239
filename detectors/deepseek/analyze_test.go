package deepseek

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

const key = "sk-5229cbdfcb984c52b18447b202c464cf"

func fake(t *testing.T, override func(w http.ResponseWriter, r *http.Request) bool) *vt.Server {
	return vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Method != http.MethodGet {
			t.Errorf("%s %s: the analyzer must only read", r.Method, r.URL.Path)
		}
		if r.Header.Get("Authorization") != "Bearer "+key {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":{"message":"Authentication Fails, Your api key: ****64cf is invalid","type":"authentication_error","param":null,"code":"invalid_request_error"}}`)
			return
		}
		if override != nil && override(w, r) {
			return
		}
		switch r.URL.Path {
		case "/user/balance":
			fmt.Fprint(w, `{"is_available":true,"balance_infos":[{"currency":"CNY","total_balance":"110.00","granted_balance":"10.00","topped_up_balance":"100.00"}]}`)
		case "/models":
			fmt.Fprint(w, `{"object":"list","data":[{"id":"deepseek-chat","object":"model","owned_by":"deepseek"},{"id":"deepseek-reasoner","object":"model","owned_by":"deepseek"}]}`)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	})
}

func run(t *testing.T, s *vt.Server, secret string) (*analyze.Report, error) {
	t.Helper()
	rep, err := Analyzer{}.Analyze(context.Background(), s.Client("deepseek", 5*time.Second), verify.Request{Secret: secret})
	if err != nil && strings.Contains(err.Error(), secret) {
		t.Fatalf("error shows the secret: %v", err)
	}
	return rep, err
}

func TestBalance(t *testing.T) {
	rep, err := run(t, fake(t, nil), key)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Count("model") != 2 || rep.Resources[0].Name != "110.00 CNY (granted 10.00, topped up 100.00)" {
		t.Errorf("resources %+v", rep.Resources)
	}
	if rep.Severity != analyze.SeverityRead || rep.Worst != "can spend the DeepSeek account's balance of 110.00 CNY" {
		t.Errorf("worst %q severity %s", rep.Worst, rep.Severity)
	}
}

func TestPartialAndRateLimit(t *testing.T) {
	var n atomic.Int64
	s := fake(t, func(w http.ResponseWriter, r *http.Request) bool {
		switch r.URL.Path {
		case "/user/balance":
			if n.Add(1) == 1 {
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(http.StatusTooManyRequests)
				fmt.Fprint(w, `{"error":{"message":"Rate limit reached","type":"rate_limit_error"}}`)
				return true
			}
		case "/models":
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprint(w, `{"error":{"message":"Internal server error","type":"server_error"}}`)
			return true
		}
		return false
	})
	rep, err := run(t, s, key)
	if err != nil {
		t.Fatal(err)
	}
	if n.Load() != 2 || rep.Count("balance") != 1 || len(rep.Partial) != 1 || !strings.HasPrefix(rep.Partial[0], "models: /models answered HTTP 500") {
		t.Errorf("balance asked %d times, report %+v", n.Load(), rep)
	}
}

func TestInvalidKey(t *testing.T) {
	rep, err := run(t, fake(t, nil), key[:len(key)-1]+"0")
	if err == nil || rep != nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("an invalid key gave %+v, %v", rep, err)
	}
}
