package stripe

import (
	"testing"

	vt "github.com/achilles-sec/achilles/detectors/verify/verifytest"
)

func TestVerifier(t *testing.T) {
	const key = "sk_live_Q2x9LmP4vR7sT1uW3yZ5aB8cD6eF0g"
	vt.Run(t, Verifier{}, vt.Case{
		ID: "stripe", Secret: key, Path: "/v1/account", Authorized: vt.Basic(key, ""),
		LiveBody:   `{"id":"acct_1032D82eZvKYlo2C","object":"account","email":"ops@example.com","settings":{"dashboard":{"display_name":"Acme"}}}`,
		Identity:   "acct_1032D82eZvKYlo2C (Acme)",
		DeadStatus: 401, DeadBody: `{"error":{"message":"Invalid API Key provided: sk_live_****","type":"invalid_request_error"}}`,
	})
	if kind("rk_test_abc") != "test restricted key" || kind("sk_live_abc") != "live secret key" {
		t.Error("key kind")
	}
}
