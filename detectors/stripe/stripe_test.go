package stripe

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/achilles-sec/achilles/detectors/verify"

	vt "github.com/achilles-sec/achilles/detectors/verify/verifytest"
)

func TestVerifier(t *testing.T) {
	const key = "sk_live_Q2x9LmP4vR7sT1uW3yZ5aB8cD6eF0g"
	vt.Run(t, Verifier{}, vt.Case{
		ID: "stripe", Secret: key, Path: "/v1/account", Authorized: vt.Basic(key, ""),
		LiveBody: `{"id":"acct_1032D82eZvKYlo2C","object":"account","email":"ops@example.com","settings":{"dashboard":{"display_name":"Acme"}}}`,
		Identity: "acct_1032D82eZvKYlo2C (Acme)", Kind: "live secret key",
		DeadStatus: 401, DeadBody: `{"error":{"message":"Invalid API Key provided: sk_live_****","type":"invalid_request_error"}}`,
	})
	if kind("rk_test_abc") != "test restricted key" || kind("sk_live_abc") != "live secret key" {
		t.Error("key kind")
	}
}

// TestRestrictedKeyWithoutAccountPermission: Stripe answers 403 to a
// restricted key that may not read the account: the key authenticated, so
// it is live, of a restricted kind.
func TestRestrictedKeyWithoutAccountPermission(t *testing.T) {
	const key = "rk_live_Q2x9LmP4vR7sT1uW3yZ5aB8cD6eF0g"
	s := vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		if u, _, _ := r.BasicAuth(); u != key {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte(`{"error":{"message":"The provided key 'rk_live_****eF0g' does not have the required permissions for this endpoint on account 'acct_1032D82eZvKYlo2C'.","type":"invalid_request_error"}}`))
	})
	res := s.Client("stripe", 2*time.Second).Verify(context.Background(), Verifier{}, verify.Request{Secret: key})
	if res.Status != verify.Live || !strings.HasPrefix(res.Kind, "live restricted key") {
		t.Fatalf("%+v", res)
	}
}
