package datadog

import (
	"context"
	"crypto/x509"
	"net/http"
	"testing"
	"time"

	"github.com/achilles-sec/achilles/detectors/verify"
	vt "github.com/achilles-sec/achilles/detectors/verify/verifytest"
)

const (
	apiKey = "3f2c1b0a9e8d7c6b5a4f3e2d1c0b9a8f"
	appKey = "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b"
)

func TestAPIKey(t *testing.T) {
	vt.Run(t, Verifier{}, vt.Case{
		ID: "datadog", Secret: apiKey, Path: "/api/v1/validate", Authorized: vt.Header("DD-API-KEY", apiKey),
		LiveBody: `{"valid":true}`, DeadStatus: 403, DeadBody: `{"errors":["Forbidden"]}`,
	})
}

func TestAppKey(t *testing.T) {
	both := func(r *http.Request) bool {
		return r.Header.Get("DD-API-KEY") == apiKey && r.Header.Get("DD-APPLICATION-KEY") == appKey
	}
	vt.Run(t, appKeyVerifier{}, vt.Case{
		ID: "datadog", Secret: appKey, Parts: map[string]string{APIKeyRule: apiKey},
		Path: "/api/v2/current_user", Authorized: both,
		LiveBody:   `{"data":{"type":"users","id":"3a1b2c3d-0000-4e5f-8a9b-0c1d2e3f4a5b","attributes":{"email":"ada@example.com","handle":"ada@example.com","status":"Active"}}}`,
		Identity:   "ada@example.com",
		DeadStatus: 403, DeadBody: `{"errors":["Forbidden"]}`,
	})
}

// appKeyVerifier marks requests as coming from the application-key rule
// (vt.Run sends no rule id).
type appKeyVerifier struct{ Verifier }

func (a appKeyVerifier) Verify(ctx context.Context, c *verify.Client, req verify.Request) verify.Result {
	req.RuleID = AppKeyRule
	return a.Verifier.Verify(ctx, c, req)
}

// TestEverySiteIsAskedBeforeDead: without a configured site, a key one
// site rejects is tried on the next; it is dead only when all reject, and
// live on the site that accepts it.
func TestEverySiteIsAskedBeforeDead(t *testing.T) {
	reject := func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte(`{"errors":["Forbidden"]}`))
	}
	us := vt.NewServer(t, reject)
	eu := vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("DD-API-KEY") != apiKey {
			reject(w, r)
			return
		}
		w.Write([]byte(`{"valid":true}`))
	})
	pool := x509.NewCertPool()
	pool.AddCert(us.Certificate())
	pool.AddCert(eu.Certificate())
	c := verify.NewClient(verify.Options{Timeout: 2 * time.Second, RootCAs: pool})
	v := Verifier{Sites: []string{us.URL, eu.URL}}
	res := c.Verify(context.Background(), v, verify.Request{Secret: apiKey})
	if res.Status != verify.Live || res.Extra["site"] != eu.URL || us.Hits.Load() != 1 || eu.Hits.Load() != 1 {
		t.Fatalf("%+v (us %d, eu %d)", res, us.Hits.Load(), eu.Hits.Load())
	}
	res = c.Verify(context.Background(), v, verify.Request{Secret: "00000000000000000000000000000000"})
	if res.Status != verify.Dead || us.Hits.Load() != 2 || eu.Hits.Load() != 2 {
		t.Fatalf("%+v (us %d, eu %d)", res, us.Hits.Load(), eu.Hits.Load())
	}
	for _, s := range Sites {
		if u, err := c.BaseURL("x", s); err != nil || u != s {
			t.Fatalf("site %s is not an https base URL", s)
		}
	}
}
