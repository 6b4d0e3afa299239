package stripe

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

const (
	secretKey     = "sk_live_Q2x9LmP4vR7sT1uW3yZ5aB8cD6eF0g"
	restrictedKey = "rk_live_Q2x9LmP4vR7sT1uW3yZ5aB8cD6eF0g"
	acctBody      = `{"id":"acct_1032D82eZvKYlo2C","object":"account","business_type":"company","country":"US","email":"ops@example.com","settings":{"dashboard":{"display_name":"Acme"}}}`
)

// fakeStripe answers as Stripe's API: the key as the basic-auth user, 401
// for an unknown key, 403 with an invalid_request_error for a restricted
// key lacking a permission. allowed lists the paths the key may read.
func fakeStripe(t *testing.T, key string, allowed map[string]int, limitOnce *atomic.Bool) *vt.Server {
	return vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if u, p, ok := r.BasicAuth(); !ok || u != key || p != "" || r.Method != http.MethodGet {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":{"message":"Invalid API Key provided: sk_live_****","type":"invalid_request_error"}}`)
			return
		}
		if limitOnce != nil && limitOnce.CompareAndSwap(true, false) {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprint(w, `{"error":{"message":"Too many requests","type":"rate_limit_error"}}`)
			return
		}
		status, ok := allowed[r.URL.Path]
		switch {
		case !ok:
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprintf(w, `{"error":{"message":"The provided key 'rk_live_****eF0g' does not have the required permissions for this endpoint on account 'acct_1032D82eZvKYlo2C'. Having the 'rak_%s_read' permission would allow this request to continue.","type":"invalid_request_error"}}`, strings.TrimPrefix(r.URL.Path, "/v1/"))
		case status != http.StatusOK:
			w.WriteHeader(status)
			fmt.Fprint(w, `{"error":{"message":"An unknown error occurred","type":"api_error"}}`)
		case r.URL.Path == "/v1/account":
			fmt.Fprint(w, acctBody)
		case r.URL.Path == "/v1/balance":
			fmt.Fprint(w, `{"object":"balance","available":[{"amount":666670,"currency":"usd"}],"livemode":true,"pending":[]}`)
		default:
			if r.URL.Query().Get("limit") != "1" {
				t.Errorf("%s asked without limit=1", r.URL.Path)
			}
			fmt.Fprintf(w, `{"object":"list","url":"%s","has_more":true,"data":[{"id":"obj_1"}]}`, r.URL.Path)
		}
	})
}

func analyzeWith(s *vt.Server, key string) (*analyze.Report, error) {
	return Analyzer{}.Analyze(context.Background(), s.Client("stripe", 5*time.Second), verify.Request{Secret: key})
}

func TestAnalyzeSecretKey(t *testing.T) {
	s := fakeStripe(t, secretKey, map[string]int{"/v1/account": 200}, nil)
	rep, err := analyzeWith(s, secretKey)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Identity != "acct_1032D82eZvKYlo2C (Acme) <ops@example.com>" || rep.Kind != "live secret key" {
		t.Errorf("identity %q kind %q", rep.Identity, rep.Kind)
	}
	if rep.Worst != "full access to Stripe account acct_1032D82eZvKYlo2C in live mode" || rep.Severity != analyze.SeverityAdmin {
		t.Errorf("worst %q severity %s", rep.Worst, rep.Severity)
	}
	if s.Hits.Load() != 1 {
		t.Errorf("a secret key needs only the account: %d requests", s.Hits.Load())
	}
}

func TestAnalyzeRestrictedKey(t *testing.T) {
	s := fakeStripe(t, restrictedKey, map[string]int{"/v1/charges": 200, "/v1/customers": 200, "/v1/balance": 200}, nil)
	rep, err := analyzeWith(s, restrictedKey)
	if err != nil {
		t.Fatal(err)
	}
	// The account is not readable: its id comes from the refusal.
	if rep.Identity != "acct_1032D82eZvKYlo2C" || rep.Kind != "live restricted key" {
		t.Errorf("identity %q kind %q", rep.Identity, rep.Kind)
	}
	var names []string
	for _, r := range rep.Resources {
		names = append(names, r.Name+"="+strings.Join(r.Permissions, "+"))
	}
	if got := strings.Join(names, ","); got != "balance=read,charges=read,customers=read" {
		t.Errorf("resources %s", got)
	}
	if rep.Worst != "restricted key reads balance, charges, customers of Stripe account acct_1032D82eZvKYlo2C in live mode; write permissions are not probed" {
		t.Errorf("worst %q", rep.Worst)
	}
	if rep.Severity != analyze.SeverityRead || len(rep.Partial) != 1 || !strings.Contains(rep.Partial[0], "account") {
		t.Errorf("severity %s partial %v", rep.Severity, rep.Partial)
	}
}

func TestAnalyzePartialFailure(t *testing.T) {
	s := fakeStripe(t, restrictedKey, map[string]int{"/v1/account": 200, "/v1/charges": 200, "/v1/payouts": 500}, nil)
	rep, err := analyzeWith(s, restrictedKey)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Partial) != 1 || !strings.Contains(rep.Partial[0], "payouts") || !strings.Contains(rep.Partial[0], "500") {
		t.Errorf("partial %v", rep.Partial)
	}
	if rep.Count("account") != 1 || rep.Count("resource") != 1 {
		t.Errorf("resources %+v", rep.Resources)
	}
}

func TestAnalyzeRateLimited(t *testing.T) {
	var once atomic.Bool
	once.Store(true)
	s := fakeStripe(t, secretKey, map[string]int{"/v1/account": 200}, &once)
	rep, err := analyzeWith(s, secretKey)
	if err != nil {
		t.Fatal(err)
	}
	if once.Load() || s.Hits.Load() != 2 || rep.Severity != analyze.SeverityAdmin {
		t.Errorf("429 not retried: %d hits, %+v", s.Hits.Load(), rep)
	}
}

func TestAnalyzeInvalidKey(t *testing.T) {
	s := fakeStripe(t, secretKey, map[string]int{"/v1/account": 200}, nil)
	wrong := secretKey[:len(secretKey)-1] + "Q"
	rep, err := analyzeWith(s, wrong)
	if err == nil || rep != nil {
		t.Fatalf("got %+v, %v", rep, err)
	}
	if strings.Contains(err.Error(), wrong) || !strings.Contains(err.Error(), "401") {
		t.Errorf("error %q", err)
	}
}
