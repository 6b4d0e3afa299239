package verify_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/achilles-sec/achilles/detectors/verify"
	vt "github.com/achilles-sec/achilles/detectors/verify/verifytest"
)

// rulesFile is a user's rules file with a custom rule and its declarative
// verifier: the worked example of the package documentation.
const rulesFile = `
[[rules]]
id = "acme-api-key"
regex = '''acme_[a-z0-9]{32}'''
verifier = "acme"

[verify.endpoints]
github = "https://ghe.example.com/api/v3"

[[verify.http]]
id = "acme"
description = "Who am I"
companions = ["acme-account-id"]
method = "POST"
url = "https://api.acme.example/v2/accounts/{{part \"acme-account-id\"}}/whoami"
headers = { Authorization = "Key {{secret}}", "Content-Type" = "application/json" }
body = '{"include":["scopes"]}'
live = { status = [200], body = '"active"\s*:\s*true' }
dead = { status = [401, 403] }
identity = "user.email"
scopes = "key.scopes"
expires = "header:Acme-Key-Expires"
kind = "API key"
extra = { plan = "account.plan" }
`

func TestDeclarativeFromARulesFile(t *testing.T) {
	var raw map[string]any
	if _, err := toml.Decode(rulesFile, &raw); err != nil {
		t.Fatal(err)
	}
	table := raw["verify"].(map[string]any) // what rules.Config.Verify holds
	eps, err := verify.Endpoints(table)
	if err != nil || eps["github"] != "https://ghe.example.com/api/v3" {
		t.Fatalf("endpoints %v %v", eps, err)
	}
	specs, err := verify.ParseHTTPSpecs(table)
	if err != nil || len(specs) != 1 {
		t.Fatalf("specs %+v %v", specs, err)
	}
	v, err := verify.CompileHTTP(specs[0])
	if err != nil {
		t.Fatal(err)
	}
	const key = "acme_0123456789abcdef0123456789abcdef"
	vt.Run(t, v, vt.Case{
		ID: "acme", Secret: key, Parts: map[string]string{"acme-account-id": "acct-42"},
		Method: "POST", Path: "/v2/accounts/acct-42/whoami", Authorized: vt.Header("Authorization", "Key "+key),
		LiveBody:    `{"active":true,"user":{"email":"ada@example.com"},"key":{"scopes":["read","write"]},"account":{"plan":"pro"}}`,
		LiveHeaders: map[string]string{"Acme-Key-Expires": "2027-03-01T00:00:00Z"},
		Identity:    "ada@example.com", Scopes: []string{"read", "write"},
		DeadStatus: 401, DeadBody: `{"error":"invalid key"}`,
	})

	// Expiry, kind and extra facts are read too.
	s := vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Acme-Key-Expires", "2027-03-01T00:00:00Z")
		w.Write([]byte(`{"active":true,"user":{"email":"ada@example.com"},"key":{"scopes":["read"]},"account":{"plan":"pro"}}`))
	})
	res := s.Client("acme", 2*time.Second).Verify(context.Background(), v, verify.Request{Secret: key, Parts: map[string]string{"acme-account-id": "acct-42"}})
	if res.Status != verify.Live || res.ExpiresAt.Year() != 2027 || res.Kind != "API key" || res.Extra["plan"] != "pro" {
		t.Fatalf("%+v", res)
	}
	// A missing companion is Unknown, and nothing is sent.
	before := s.Hits.Load()
	res = s.Client("acme", 2*time.Second).Verify(context.Background(), v, verify.Request{Secret: key})
	if res.Status != verify.Unknown || s.Hits.Load() != before {
		t.Fatalf("%+v", res)
	}
	// A live status without the live body is never live.
	s2 := vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"active":false,"user":{"email":"ada@example.com"}}`))
	})
	res = s2.Client("acme", 2*time.Second).Verify(context.Background(), v, verify.Request{Secret: key, Parts: map[string]string{"acme-account-id": "acct-42"}})
	if res.Status == verify.Live {
		t.Fatalf("%+v", res)
	}
}

func TestDeclarativeRejectsUnknownFields(t *testing.T) {
	if _, err := verify.DecodeHTTPSpecs([]byte("[[http]]\nid = \"x\"\nurl = \"https://a.example/\"\nidentiy = \"name\"\n")); err == nil {
		t.Fatal("a misspelt field was accepted")
	}
}

// TestSecretInQueryIsEscaped: a secret with characters a query gives a
// meaning to arrives intact.
func TestSecretInQueryIsEscaped(t *testing.T) {
	const key = "k+y&a=b;c/d e:f"
	v := verify.MustCompileHTTP(verify.HTTPSpec{ID: "q", URL: "https://api.q.example/check?key={{secret}}&v=1"})
	s := vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("key") != key || r.URL.Query().Get("v") != "1" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Write([]byte(`{}`))
	})
	if res := s.Client("q", 2*time.Second).Verify(context.Background(), v, verify.Request{Secret: key}); res.Status != verify.Live {
		t.Fatalf("%+v", res)
	}
}
