package shopify

import (
	"context"
	"testing"
	"time"

	"github.com/achilles-sec/achilles/detectors/verify"
	vt "github.com/achilles-sec/achilles/detectors/verify/verifytest"
)

const tok = "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"

func TestVerifier(t *testing.T) {
	vt.Run(t, Verifier{}, vt.Case{
		ID: "shopify", Secret: tok, Parts: map[string]string{DomainRule: "acme-store.myshopify.com"},
		Path: "/admin/oauth/access_scopes.json", Authorized: vt.Header("X-Shopify-Access-Token", tok),
		LiveBody: `{"access_scopes":[{"handle":"read_products"},{"handle":"write_orders"}]}`,
		Scopes:   []string{"read_products", "write_orders"},
		// The identity is the configured endpoint's host in tests.
		DeadStatus: 401, DeadBody: `{"errors":"[API] Invalid API key or access token (unrecognized login or wrong password)"}`,
	})
}

// TestShopHostComesFromTheDocumentedDomainOnly: a shop domain found in the
// content is used only when it is a myshopify.com host.
func TestShopHostComesFromTheDocumentedDomainOnly(t *testing.T) {
	c := verify.NewClient(verify.Options{Timeout: time.Second})
	for _, domain := range []string{"", "evil.example.com", "acme.myshopify.com.evil.example", "https://acme.myshopify.com:8443"} {
		res := c.Verify(context.Background(), Verifier{}, verify.Request{Secret: tok, Parts: map[string]string{DomainRule: domain}})
		if res.Status != verify.Unknown || c.Requests() != 0 {
			t.Fatalf("%q: %+v (%d requests)", domain, res, c.Requests())
		}
	}
	res := c.Verify(context.Background(), Verifier{}, verify.Request{Secret: "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", Parts: map[string]string{DomainRule: "acme.myshopify.com"}})
	if res.Status != verify.Unknown || c.Requests() != 0 {
		t.Fatalf("shared secret: %+v", res)
	}
}
