package verify_test

import (
	"regexp"
	"testing"

	"github.com/achilles-sec/achilles/detectors/verify"
)

func TestTenantBase(t *testing.T) {
	shop := regexp.MustCompile(`^[a-z0-9][a-z0-9-]*\.myshopify\.com$`)
	off := verify.NewClient(verify.Options{})
	on := verify.NewClient(verify.Options{AllowContentHosts: true})
	cases := []struct {
		host     string
		client   *verify.Client
		want     string
		wantFail bool
	}{
		{"acme.myshopify.com", off, "https://acme.myshopify.com", false},
		{"https://ACME.myshopify.com/admin", off, "https://acme.myshopify.com", false},
		{"acme.myshopify.com.evil.example", off, "", true},
		{"evil.example/acme.myshopify.com", off, "", true},
		{"https://user@acme.myshopify.com", off, "", true},
		{"acme.myshopify.com:8443", off, "", true},
		{"", off, "", true},
		{"shop.internal.example", on, "https://shop.internal.example", false},
		{"http://shop.internal.example", on, "", true},
	}
	for _, c := range cases {
		got, err := c.client.TenantBase("shopify", c.host, shop)
		if (err != nil) != c.wantFail || got != c.want {
			t.Errorf("%q (opt-in %v): %q, %v", c.host, c.client.AllowContentHosts, got, err)
		}
	}
	cfg := verify.NewClient(verify.Options{Endpoints: map[string]string{"shopify": "https://shop.example.test"}})
	if got, err := cfg.TenantBase("shopify", "evil.example", shop); err != nil || got != "https://shop.example.test" {
		t.Errorf("a configured endpoint: %q, %v", got, err)
	}
}
