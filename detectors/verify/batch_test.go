package verify_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/achilles-sec/achilles/detectors/verify"
	vt "github.com/achilles-sec/achilles/detectors/verify/verifytest"
)

// TestRunOneRequestPerUniqueSecret: a batch of 1,000 findings of 200 unique
// secrets makes at most 200 requests at the fake provider.
func TestRunOneRequestPerUniqueSecret(t *testing.T) {
	s := vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer secret-") {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Write([]byte(`{"user":{"email":"a@example.com"}}`))
	})
	c := s.Client("acme", 2*time.Second)
	vs := map[string]verify.Verifier{"acme": bearerSpec(t)}
	rules := []verify.RuleVerifier{{Rule: "acme-token", Verifier: "acme"}}
	var reqs []verify.Request
	for i := 0; i < 1000; i++ {
		reqs = append(reqs, verify.Request{RuleID: "acme-token", Secret: fmt.Sprintf("secret-%03d", i%200)})
	}
	res := verify.Run(context.Background(), c, vs, rules, reqs, 32)
	if len(res) != 1000 {
		t.Fatalf("%d results", len(res))
	}
	for i, r := range res {
		if r.Status != verify.Live || r.Identity != "a@example.com" {
			t.Fatalf("result %d: %+v", i, r)
		}
	}
	if got := s.Hits.Load(); got > 200 {
		t.Fatalf("%d requests at the fake server for 200 unique secrets", got)
	}
	if c.Requests() > 200 {
		t.Fatalf("client counted %d requests", c.Requests())
	}
}

// TestRunSecretOfTwoProvidersGoesToOne: a secret matched by rules of two
// providers is sent to the verifier of the earlier rule only, whatever the
// order of the findings.
func TestRunSecretOfTwoProvidersGoesToOne(t *testing.T) {
	var hitA, hitB atomic.Int64
	a := vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		hitA.Add(1)
		w.Write([]byte(`{"user":{"email":"a@example.com"}}`))
	})
	b := vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		hitB.Add(1)
		w.Write([]byte(`{"user":{"email":"b@example.com"}}`))
	})
	vs := map[string]verify.Verifier{"prov-a": emailSpec(t, "prov-a"), "prov-b": emailSpec(t, "prov-b")}
	rules := []verify.RuleVerifier{{Rule: "rule-a", Verifier: "prov-a"}, {Rule: "rule-b", Verifier: "prov-b"}, {Rule: "rule-none"}, {Rule: "rule-typo", Verifier: "prov-c"}}
	c := twoProviders(a, b)
	reqs := []verify.Request{
		{RuleID: "rule-b", Secret: "shared-secret-1"},
		{RuleID: "rule-a", Secret: "shared-secret-1"},
		{RuleID: "rule-b", Secret: "only-b-secret"},
		{RuleID: "rule-none", Secret: "whatever-secret"},
		{RuleID: "rule-unlisted", Secret: "whatever-secret"},
		{RuleID: "rule-typo", Secret: "whatever-secret"},
	}
	res := verify.Run(context.Background(), c, vs, rules, reqs, 0)
	if hitA.Load() != 1 || hitB.Load() != 1 {
		t.Fatalf("requests: provider a %d, provider b %d; want 1 and 1 (the shared secret to a only)", hitA.Load(), hitB.Load())
	}
	if res[1].Identity != "a@example.com" || res[0].Identity != "a@example.com" || res[0].Extra["verified_by"] != "prov-a" {
		t.Fatalf("shared secret: %+v / %+v", res[0], res[1])
	}
	if res[2].Identity != "b@example.com" {
		t.Fatalf("b's own secret: %+v", res[2])
	}
	for _, r := range res[3:5] {
		if r.Status != "" {
			t.Fatalf("rule without verifier: %+v, want no answer", r)
		}
	}
	if r := res[5]; r.Status != verify.Unknown || !strings.Contains(r.Reason, "no verifier named prov-c") {
		t.Fatalf("rule naming a missing verifier: %+v", r)
	}
}

// TestRetriesAreBounded: a provider that keeps answering 429 gets
// MaxRetries+1 requests, then the answer is Unknown "rate-limited".
func TestRetriesAreBounded(t *testing.T) {
	s := vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "0")
		w.WriteHeader(http.StatusTooManyRequests)
	})
	c := s.Client("acme", 2*time.Second)
	res := c.Verify(context.Background(), bearerSpec(t), verify.Request{Secret: "tok_abcdef123456"})
	if res.Status != verify.Unknown || !strings.Contains(res.Reason, "rate-limited") {
		t.Fatalf("%+v", res)
	}
	if got := s.Hits.Load(); got != 3 {
		t.Fatalf("%d requests, want 3 (one and two retries)", got)
	}
}

// TestCancellation: cancelling the context ends a slow verification at
// once, as Unknown.
func TestCancellation(t *testing.T) {
	s := vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
		// Never an answer: returning would send an empty 200, which a
		// client not yet done cancelling could read (seen under load).
		panic(http.ErrAbortHandler)
	})
	c := s.Client("acme", 10*time.Second)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	res := verify.Run(ctx, c, map[string]verify.Verifier{"acme": bearerSpec(t)}, []verify.RuleVerifier{{Rule: "r", Verifier: "acme"}},
		[]verify.Request{{RuleID: "r", Secret: "tok_abcdef123456"}, {RuleID: "r", Secret: "tok_abcdef654321"}}, 1)
	if time.Since(start) > 2*time.Second {
		t.Fatalf("cancellation took %s", time.Since(start))
	}
	for _, r := range res {
		if r.Status != verify.Unknown || !strings.Contains(r.Reason, "cancel") {
			t.Fatalf("%+v", r)
		}
	}
}

// TestScrubRemovesEscapedForms: reasons lose the secret in every form a
// URL or an error may quote it.
func TestScrubRemovesEscapedForms(t *testing.T) {
	req := verify.Request{Secret: "123456:AAE/x+y z", Parts: map[string]string{"id": "AKIAZ3MSJV4WQPTHKR7N"}}
	text := "Get https://h/bot123456:AAE%2Fx+y%20z/getMe?k=123456%3AAAE%2Fx%2By+z key AKIAZ3MSJV4WQPTHKR7N raw 123456:AAE/x+y z"
	got := verify.Scrub(text, req)
	for _, bad := range []string{"AAE", "AKIAZ3MSJV4WQPTHKR7N"} {
		if strings.Contains(got, bad) {
			t.Fatalf("scrubbed text still shows %q: %s", bad, got)
		}
	}
	if r := verify.Unknownf(req, "provider said %s", req.Secret); strings.Contains(r.Reason, req.Secret) {
		t.Fatal(r.Reason)
	}
}

// TestPerVerifierLimit: at most PerVerifier requests are in flight at one
// provider, however many workers the batch has.
func TestPerVerifierLimit(t *testing.T) {
	var inFlight, peak atomic.Int64
	s := vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
		w.Write([]byte(`{"user":{"email":"a@example.com"}}`))
	})
	pool := s.Client("acme", time.Second).RootCAs
	c := verify.NewClient(verify.Options{Timeout: 2 * time.Second, PerVerifier: 3, RootCAs: pool, Endpoints: map[string]string{"acme": s.URL}})
	var reqs []verify.Request
	for i := 0; i < 30; i++ {
		reqs = append(reqs, verify.Request{RuleID: "r", Secret: fmt.Sprintf("secret-%02d", i)})
	}
	verify.Run(context.Background(), c, map[string]verify.Verifier{"acme": bearerSpec(t)}, []verify.RuleVerifier{{Rule: "r", Verifier: "acme"}}, reqs, 30)
	if peak.Load() > 3 || s.Hits.Load() != 30 {
		t.Fatalf("peak %d in flight (limit 3), %d requests", peak.Load(), s.Hits.Load())
	}
}

// TestRunPairings: a secret found with two different companions is tried
// with the second when the first pairing is rejected; the live pairing's
// result reaches the finding of its key id, and a rejected pairing says
// nothing of the key id it was tried with.
func TestRunPairings(t *testing.T) {
	var hits atomic.Int64
	s := vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.Header.Get("X-Id") == "ID-GOOD-0001" && r.Header.Get("X-Secret") == "pair-secret-1" {
			w.Write([]byte(`{"account":"acme"}`))
			return
		}
		w.WriteHeader(http.StatusUnauthorized)
	})
	v := mustCompile(t, verify.HTTPSpec{ID: "pair", URL: "https://api.pair.example/check", Companions: []string{"pair-id"},
		Headers: map[string]string{"X-Id": `{{part "pair-id"}}`, "X-Secret": "{{secret}}"}, Identity: "account"})
	vs := map[string]verify.Verifier{"pair": v}
	rules := []verify.RuleVerifier{{Rule: "pair-secret", Verifier: "pair"}, {Rule: "pair-id"}}
	reqs := []verify.Request{
		{RuleID: "pair-secret", Secret: "pair-secret-1", Parts: map[string]string{"pair-id": "ID-WRONG-0002"}},
		{RuleID: "pair-secret", Secret: "pair-secret-1", Parts: map[string]string{"pair-id": "ID-GOOD-0001"}},
		{RuleID: "pair-id", Secret: "ID-GOOD-0001"},
		{RuleID: "pair-id", Secret: "ID-WRONG-0002"},
		{RuleID: "pair-secret", Secret: "pair-secret-2", Parts: map[string]string{"pair-id": "ID-WRONG-0002"}},
	}
	res := verify.Run(context.Background(), s.Client("pair", 2*time.Second), vs, rules, reqs, 0)
	if res[0].Status != verify.Live || res[1].Status != verify.Live || res[0].Identity != "acme" {
		t.Fatalf("secret 1: %+v / %+v", res[0], res[1])
	}
	if res[2].Status != verify.Live || res[2].Extra["verified_by"] != "pair" {
		t.Errorf("the good key id: %+v", res[2])
	}
	if res[3].Status != "" {
		t.Errorf("the wrong key id took a verdict: %+v", res[3])
	}
	if res[4].Status != verify.Dead {
		t.Errorf("secret 2, rejected with its only key id: %+v", res[4])
	}
	if hits.Load() != 3 {
		t.Errorf("%d requests, want 3 (two pairings of secret 1, one of secret 2)", hits.Load())
	}
}

// TestRunSharedFormatTriesTheNextProvider: a secret two providers' rules
// match (an sk_live_ key of Stripe's form and of another provider's) that
// the first provider rejects is asked of the second, which knows it: live,
// for both findings; dead only when both reject it.
func TestRunSharedFormatTriesTheNextProvider(t *testing.T) {
	var hitA, hitB atomic.Int64
	a := vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		hitA.Add(1)
		w.WriteHeader(http.StatusUnauthorized)
	})
	b := vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		hitB.Add(1)
		if r.Header.Get("Authorization") != "Bearer sk_live_other_provider_key_0001" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Write([]byte(`{"user":{"email":"b@example.com"}}`))
	})
	vs := map[string]verify.Verifier{"prov-a": emailSpec(t, "prov-a"), "prov-b": emailSpec(t, "prov-b")}
	rules := []verify.RuleVerifier{{Rule: "rule-a", Verifier: "prov-a"}, {Rule: "rule-b", Verifier: "prov-b"}}
	c := twoProviders(a, b)
	reqs := []verify.Request{
		{RuleID: "rule-a", Secret: "sk_live_other_provider_key_0001"},
		{RuleID: "rule-b", Secret: "sk_live_other_provider_key_0001"},
		{RuleID: "rule-a", Secret: "sk_live_revoked_everywhere_0002"},
		{RuleID: "rule-b", Secret: "sk_live_revoked_everywhere_0002"},
	}
	res := verify.Run(context.Background(), c, vs, rules, reqs, 0)
	if res[0].Status != verify.Live || res[1].Status != verify.Live || res[0].Identity != "b@example.com" {
		t.Fatalf("the second provider's key: %+v / %+v", res[0], res[1])
	}
	if res[0].Extra["verified_by"] != "prov-b" || res[1].Extra["verified_by"] != "" {
		t.Errorf("verified_by: %q / %q", res[0].Extra["verified_by"], res[1].Extra["verified_by"])
	}
	if res[2].Status != verify.Dead || res[3].Status != verify.Dead {
		t.Errorf("a key both reject: %+v / %+v", res[2], res[3])
	}
	if hitA.Load() != 2 || hitB.Load() != 2 {
		t.Errorf("requests: a %d, b %d; want 2 and 2", hitA.Load(), hitB.Load())
	}
}

// emailSpec declares a provider whose "who am I" answer names a user's
// email.
func emailSpec(t *testing.T, id string) verify.Verifier {
	return mustCompile(t, verify.HTTPSpec{ID: id, URL: "https://api." + id + ".example/me",
		Headers: map[string]string{"Authorization": "Bearer {{secret}}"}, Identity: "user.email"})
}

// twoProviders is a client sending prov-a's requests to a and prov-b's to b.
func twoProviders(a, b *vt.Server) *verify.Client {
	c := a.Client("prov-a", 2*time.Second)
	c.Endpoints["prov-b"] = b.URL
	c.RootCAs.AddCert(b.Certificate())
	return c
}
