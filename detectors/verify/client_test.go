package verify_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/achilles-sec/achilles/detectors/verify"
	vt "github.com/achilles-sec/achilles/detectors/verify/verifytest"
)

func bearerSpec(t *testing.T) verify.Verifier {
	v, err := verify.CompileHTTP(verify.HTTPSpec{
		ID: "acme", URL: "https://api.acme.example/v1/me",
		Headers:  map[string]string{"Authorization": "Bearer {{secret}}"},
		Identity: "user.email",
		Dead:     verify.Outcomes{{Status: []int{401}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestOneRequestPerUniqueSecret: 1,000 verifications of 200 unique secrets
// make 200 requests.
func TestOneRequestPerUniqueSecret(t *testing.T) {
	s := vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"user":{"email":"a@example.com"}}`))
	})
	c := s.Client("acme", 2*time.Second)
	v := bearerSpec(t)
	var wg sync.WaitGroup
	for i := 0; i < 1000; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			res := c.Verify(context.Background(), v, verify.Request{Secret: fmt.Sprintf("secret-%03d", i%200)})
			if res.Status != verify.Live {
				t.Errorf("%+v", res)
			}
		}(i)
	}
	wg.Wait()
	if got := s.Hits.Load(); got != 200 {
		t.Fatalf("%d requests for 200 unique secrets", got)
	}
	if c.Requests() != 200 {
		t.Fatalf("client counted %d", c.Requests())
	}
}

func TestRedirectToAnotherHostRefused(t *testing.T) {
	other := vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		t.Error("the secret followed a redirect to another host")
	})
	s := vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, strings.Replace(other.URL, "127.0.0.1", "localhost", 1)+"/steal", http.StatusFound)
	})
	res := s.Client("acme", 2*time.Second).Verify(context.Background(), bearerSpec(t), verify.Request{Secret: "tok_abcdef123456"})
	if res.Status != verify.Unknown || !strings.Contains(res.Reason, "redirect") {
		t.Fatalf("%+v", res)
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	n := 0
	s := vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		n++
		if n == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.Write([]byte(`{"user":{"email":"a@example.com"}}`))
	})
	start := time.Now()
	res := s.Client("acme", 5*time.Second).Verify(context.Background(), bearerSpec(t), verify.Request{Secret: "tok_abcdef123456"})
	if res.Status != verify.Live || res.Identity != "a@example.com" {
		t.Fatalf("%+v", res)
	}
	if time.Since(start) < time.Second {
		t.Fatal("Retry-After was not waited for")
	}
}

func TestEndpointsMustBeHTTPS(t *testing.T) {
	c := verify.NewClient(verify.Options{Endpoints: map[string]string{"acme": "http://127.0.0.1:1"}})
	res := c.Verify(context.Background(), bearerSpec(t), verify.Request{Secret: "tok_abcdef123456"})
	if res.Status != verify.Unknown || !strings.Contains(res.Reason, "https") {
		t.Fatalf("%+v", res)
	}
	if _, err := verify.Endpoints(map[string]any{"endpoints": map[string]any{"github": "http://ghe.local"}}); err == nil {
		t.Fatal("an http endpoint was accepted")
	}
}

func TestUntrustedCertificateIsNeverLive(t *testing.T) {
	s := vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"user":{"email":"a@example.com"}}`))
	})
	// No RootCAs: the test server's certificate is not trusted.
	c := verify.NewClient(verify.Options{Endpoints: map[string]string{"acme": s.URL}, Timeout: 2 * time.Second})
	res := c.Verify(context.Background(), bearerSpec(t), verify.Request{Secret: "tok_abcdef123456"})
	if res.Status != verify.Unknown || s.Hits.Load() != 0 {
		t.Fatalf("%+v (hits %d)", res, s.Hits.Load())
	}
}

func TestDeclarativeSpecChecks(t *testing.T) {
	bad := []verify.HTTPSpec{
		{ID: "x", URL: "http://api.example.com/"},
		{ID: "x", URL: "https://{{secret}}.example.com/"},
		{ID: "x", URL: "https://api.example.com/", Method: "DELETE"},
		{ID: "", URL: "https://api.example.com/"},
		{ID: "x", URL: "https://api.example.com/", Live: verify.Outcomes{{Body: "("}}},
	}
	for _, s := range bad {
		if _, err := verify.CompileHTTP(s); err == nil {
			t.Errorf("accepted %+v", s)
		}
	}
	specs, err := verify.ParseHTTPSpecs(map[string]any{"http": []map[string]any{{
		"id": "acme", "url": "https://api.acme.example/v1/me", "headers": map[string]any{"Authorization": "Bearer {{secret}}"},
	}}})
	if err != nil || len(specs) != 1 || specs[0].Headers["Authorization"] != "Bearer {{secret}}" {
		t.Fatalf("%v %+v", err, specs)
	}
}

func TestReasonsNeverShowTheSecret(t *testing.T) {
	secret := "tok_Z9y8X7w6V5u4T3s2R1q0"
	v, err := verify.CompileHTTP(verify.HTTPSpec{ID: "acme", URL: "https://api.acme.example/check/{{secret}}"})
	if err != nil {
		t.Fatal(err)
	}
	// Nothing listens on this port: the transport error names the URL,
	// which holds the secret.
	c := verify.NewClient(verify.Options{Endpoints: map[string]string{"acme": "https://127.0.0.1:1"}, Timeout: time.Second})
	res := c.Verify(context.Background(), v, verify.Request{Secret: secret})
	if res.Status != verify.Unknown || strings.Contains(res.Reason, secret) || res.Reason == "" {
		t.Fatalf("%+v", res)
	}
}
