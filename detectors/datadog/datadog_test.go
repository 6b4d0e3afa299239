package datadog

import (
	"context"
	"crypto/x509"
	"net/http"
	"strings"
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

// TestAppKey: an application key is checked with its API key, on the site
// where the API key works: its user is the identity; a 401 there is dead,
// a 403 unknown (a scoped key may lack access to its user), and an API key
// no site knows makes the pairing unknown, not the application key dead.
func TestAppKey(t *testing.T) {
	answer := map[string]func(w http.ResponseWriter){}
	s := vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/api/v1/validate" && r.Header.Get("DD-API-KEY") == apiKey:
			w.Write([]byte(`{"valid":true}`))
		case r.URL.Path == "/api/v1/validate":
			w.WriteHeader(http.StatusForbidden)
			w.Write([]byte(`{"errors":["Forbidden"]}`))
		case r.URL.Path == "/api/v2/current_user" && r.Header.Get("DD-API-KEY") == apiKey:
			answer[r.Header.Get("DD-APPLICATION-KEY")](w)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	})
	answer[appKey] = func(w http.ResponseWriter) {
		w.Write([]byte(`{"data":{"type":"users","id":"3a1b2c3d-0000-4e5f-8a9b-0c1d2e3f4a5b","attributes":{"email":"ada@example.com","handle":"ada@example.com","status":"Active"}}}`))
	}
	answer["revoked-0000000000000000000000000000000000"] = func(w http.ResponseWriter) {
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte(`{"errors":["Unauthorized"]}`))
	}
	answer["scoped-00000000000000000000000000000000000"] = func(w http.ResponseWriter) {
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte(`{"errors":["Forbidden"]}`))
	}
	c := s.Client("datadog", 2*time.Second)
	ask := func(app, api string) verify.Result {
		return c.Verify(context.Background(), Verifier{}, verify.Request{RuleID: AppKeyRule, Secret: app, Parts: map[string]string{APIKeyRule: api}})
	}
	if res := ask(appKey, apiKey); res.Status != verify.Live || res.Identity != "ada@example.com" || res.Kind != "application key" {
		t.Errorf("live: %+v", res)
	}
	if res := ask("revoked-0000000000000000000000000000000000", apiKey); res.Status != verify.Dead {
		t.Errorf("revoked: %+v", res)
	}
	if res := ask("scoped-00000000000000000000000000000000000", apiKey); res.Status != verify.Unknown {
		t.Errorf("403: %+v", res)
	}
	if res := ask(appKey, "00000000000000000000000000000000"); res.Status != verify.Unknown || !strings.Contains(res.Reason, "pairing") {
		t.Errorf("unknown API key: %+v", res)
	}
	if res := ask(appKey, ""); res.Status != verify.Unknown {
		t.Errorf("no API key: %+v", res)
	}
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
