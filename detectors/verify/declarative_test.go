package verify_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"sync/atomic"
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
	v := mustCompile(t, verify.HTTPSpec{ID: "q", URL: "https://api.q.example/check?key={{secret}}&v=1"})
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

func mustCompile(t testing.TB, s verify.HTTPSpec) verify.Verifier {
	t.Helper()
	v, err := verify.CompileHTTP(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func decodeOne(t *testing.T, doc string) verify.HTTPSpec {
	t.Helper()
	specs, err := verify.DecodeHTTPSpecs([]byte(doc))
	if err != nil || len(specs) != 1 {
		t.Fatalf("%v %v", specs, err)
	}
	return specs[0]
}

// TestSitesStopAtTheFirstThatKnowsTheKey: a provider with regional sites is
// asked site by site; a key is live at the site that accepts it, and dead
// only when every site rejects it.
func TestSitesStopAtTheFirstThatKnowsTheKey(t *testing.T) {
	var hits [3]atomic.Int64
	var urls [3]string
	for i := range 3 {
		s := vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
			hits[i].Add(1)
			if i == 1 && r.Header.Get("DD-API-KEY") == "eu-key-0123456789abcdef" {
				w.Write([]byte(`{"valid":true}`))
				return
			}
			w.WriteHeader(http.StatusForbidden)
			w.Write([]byte(`{"errors":["Forbidden"]}`))
		})
		urls[i] = s.URL
	}
	spec := verify.HTTPSpec{ID: "sites", URL: urls[0] + "/api/v1/validate", Sites: []string{urls[1], urls[2]},
		Headers: map[string]string{"DD-API-KEY": "{{secret}}"},
		Live:    verify.Outcomes{{Status: []int{200}, Body: `"valid"\s*:\s*true`}},
		Dead:    verify.Outcomes{{Status: []int{403}}}}
	v := mustCompile(t, spec)
	srv := vt.NewServer(t, func(http.ResponseWriter, *http.Request) {})
	c := srv.Client("other", 2*time.Second)
	delete(c.Endpoints, "other")
	res := c.Verify(context.Background(), v, verify.Request{Secret: "eu-key-0123456789abcdef"})
	if res.Status != verify.Live || res.Extra["site"] != strings.TrimPrefix(urls[1], "https://") {
		t.Fatalf("%+v", res)
	}
	if hits[0].Load() != 1 || hits[1].Load() != 1 || hits[2].Load() != 0 {
		t.Errorf("hits %d %d %d: want the first two sites once each and the third never", hits[0].Load(), hits[1].Load(), hits[2].Load())
	}
	res = c.Verify(context.Background(), v, verify.Request{Secret: "nowhere-key-0123456789"})
	if res.Status != verify.Dead || !strings.Contains(res.Reason, "every site") {
		t.Fatalf("%+v", res)
	}
	if hits[2].Load() != 1 {
		t.Errorf("the last site was not asked before calling the key dead")
	}
}

// TestTenantHostMustMatchThePattern: a tenant verifier sends the secret to
// the host found near it only when that host is the provider's documented
// form; anything else is unknown and nothing is sent.
func TestTenantHostMustMatchThePattern(t *testing.T) {
	spec := decodeOne(t, `
[[http]]
id = "tenant-test"
url = "https://{{tenant}}/api/v1/users/me"
tenant = { companion = "acme-domain", pattern = '[a-z0-9-]+\.acme\.example' }
headers = { Authorization = "SSWS {{secret}}" }
identity = "profile.login"
`)
	v := mustCompile(t, spec)
	if got := v.Companions(); len(got) != 1 || got[0] != "acme-domain" {
		t.Fatalf("companions %v", got)
	}
	var hits atomic.Int64
	s := vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write([]byte(`{"profile":{"login":"ada@acme.example"}}`))
	})
	c := s.Client("unrelated", 2*time.Second)
	res := c.Verify(context.Background(), v, verify.Request{Secret: "00abcdefghijklmnopqrstuvwxyz0123456789AB", Parts: map[string]string{"acme-domain": "attacker.example"}})
	if res.Status != verify.Unknown || hits.Load() != 0 {
		t.Fatalf("a host off the pattern was used: %+v, %d requests", res, hits.Load())
	}
	// The user's [verify.endpoints] entry names the tenant's host.
	c = s.Client("tenant-test", 2*time.Second)
	res = c.Verify(context.Background(), v, verify.Request{Secret: "00abcdefghijklmnopqrstuvwxyz0123456789AB", Parts: map[string]string{"acme-domain": "dev-1.acme.example"}})
	if res.Status != verify.Live || res.Identity != "ada@acme.example" {
		t.Fatalf("%+v", res)
	}
	if _, err := verify.CompileHTTP(verify.HTTPSpec{ID: "x", URL: "https://{{tenant}}.evil/me", Tenant: &verify.Tenant{Companion: "a", Pattern: "b"}}); err == nil {
		t.Error("a tenant url with more host after the tenant was accepted")
	}
}

// TestOutcomeLists: several documented answers, a 200 that says the key is
// disabled is dead, a live kind from the answer, and an undocumented 403 is
// unknown, never dead.
func TestOutcomeLists(t *testing.T) {
	spec := decodeOne(t, `
[[http]]
id = "outcomes"
url = "https://api.outcomes.example/verify"
headers = { Authorization = "Bearer {{secret}}" }
live = [ { status = [200], body = '"status":"active"', kind = "full" }, { status = [200], body = '"status":"restricted"', kind = "restricted" } ]
dead = [ { status = [401] }, { status = [200], body = '"status":"(disabled|expired)"', reason = "the token is disabled or expired" } ]
`)
	v := mustCompile(t, spec)
	answers := map[string]string{
		"a1": `{"status":"active"}`, "r1": `{"status":"restricted"}`, "d1": `{"status":"disabled"}`, "x1": "403",
	}
	s := vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		a := answers[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
		if a == "403" {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		w.Write([]byte(a))
	})
	c := s.Client("outcomes", 2*time.Second)
	for secret, want := range map[string]verify.Result{
		"a1": {Status: verify.Live, Kind: "full"}, "r1": {Status: verify.Live, Kind: "restricted"},
		"d1": {Status: verify.Dead}, "x1": {Status: verify.Unknown},
	} {
		res := c.Verify(context.Background(), v, verify.Request{Secret: secret})
		if res.Status != want.Status || res.Kind != want.Kind {
			t.Errorf("%s: %+v, want %+v", secret, res, want)
		}
	}
	if _, err := verify.DecodeHTTPSpecs([]byte("[[http]]\nid = \"x\"\nurl = \"https://a.example/\"\nlive = { statuz = [200] }\n")); err == nil {
		t.Error("a misspelt outcome field was accepted")
	}
}

// TestSignedRequest: HMAC signing declared in templates, with one time for
// every template of a request.
func TestSignedRequest(t *testing.T) {
	spec := decodeOne(t, `
[[http]]
id = "signed"
companions = ["signed-key-id"]
url = 'https://api.signed.example/api/v3/account?timestamp={{nowMilli}}&signature={{hmacSHA256 secret (printf "timestamp=%s" nowMilli)}}'
headers = { "X-KEY" = '{{part "signed-key-id"}}' }
identity = "accountType"
`)
	v := mustCompile(t, spec)
	const secret, id = "s3cr3tS3cr3tS3cr3tS3cr3t", "keyid-0123456789"
	s := vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		ts := r.URL.Query().Get("timestamp")
		m := hmac.New(sha256.New, []byte(secret))
		m.Write([]byte("timestamp=" + ts))
		if r.Header.Get("X-KEY") != id || r.URL.Query().Get("signature") != hex.EncodeToString(m.Sum(nil)) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Write([]byte(`{"accountType":"SPOT"}`))
	})
	res := s.Client("signed", 2*time.Second).Verify(context.Background(), v, verify.Request{Secret: secret, Parts: map[string]string{"signed-key-id": id}})
	if res.Status != verify.Live || res.Identity != "SPOT" {
		t.Fatalf("%+v", res)
	}
}
