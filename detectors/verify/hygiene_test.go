package verify_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/achilles-sec/achilles/detectors/verify"
	vt "github.com/achilles-sec/achilles/detectors/verify/verifytest"
)

// echoRequest quotes a request back whole, as a careless provider's error
// page or a proxy in front of it might: method, URL, headers and body.
func echoRequest(r *http.Request) string {
	body, _ := io.ReadAll(r.Body)
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", r.Method, r.URL.String())
	for name, vs := range r.Header {
		fmt.Fprintf(&b, " %s: %s", name, strings.Join(vs, ","))
	}
	fmt.Fprintf(&b, " body: %s", body)
	return b.String()
}

// quotingVerifier is a verifier written in Go that, like several real
// ones, copies the provider's words into its result without scrubbing
// them itself: the client must.
type quotingVerifier struct{ path string }

func (quotingVerifier) ID() string           { return "acme" }
func (quotingVerifier) Companions() []string { return []string{"acme-account"} }

func (q quotingVerifier) Verify(ctx context.Context, c *verify.Client, req verify.Request) verify.Result {
	path := q.path
	if path == "" {
		path = "/v1/me"
	}
	resp, fail := c.Send(ctx, req, verify.Call{Verifier: "acme", Official: "https://api.acme.example", Path: path,
		Header: map[string]string{"Authorization": "Bearer " + req.Secret, "X-Account": req.Parts["acme-account"]}})
	if fail != nil {
		return *fail
	}
	var a struct {
		Error, User, Plan, Kind string
		Scopes                  []string
	}
	_ = json.Unmarshal(resp.Body, &a)
	if resp.Status != http.StatusOK {
		return verify.Result{Status: verify.Dead, Reason: "Acme: " + a.Error + " " + resp.Header.Get("WWW-Authenticate")}
	}
	return verify.Result{Status: verify.Live, Identity: a.User, Kind: a.Kind, Scopes: a.Scopes, Extra: map[string]string{"plan": a.Plan}}
}

// TestProviderEchoIsScrubbed: a provider that quotes the request (secret,
// companion, URL) in its error, its identity, its scopes and its headers
// never gets the secret into a result, whichever verifier read it.
func TestProviderEchoIsScrubbed(t *testing.T) {
	const secret, account = "tok_Ech0Ech0Z9y8X7w6V5u4", "acct-5512093"
	// A webhook URL is the secret; the request line quotes only its path.
	const hook = "https://api.acme.example/hooks/T0123ABC/B0456DEF/q8Zr2Nv5Lk0Xp7Tm3Wd9"
	for _, live := range []bool{false, true} {
		s := vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
			echo := echoRequest(r)
			q, _ := json.Marshal(echo)
			w.Header().Set("WWW-Authenticate", "Bearer error_description="+strings.ReplaceAll(echo, "\n", " "))
			if !live {
				w.WriteHeader(http.StatusUnauthorized)
				fmt.Fprintf(w, `{"error":%s}`, q)
				return
			}
			fmt.Fprintf(w, `{"user":{"email":%s},"User":%s,"Plan":%s,"Kind":%s,"Scopes":[%s],"scopes":%s}`, q, q, q, q, q, q)
		})
		declared, err := verify.CompileHTTP(verify.HTTPSpec{
			ID: "acme", URL: "https://api.acme.example/v1/me?key={{secret}}",
			Headers:  map[string]string{"Authorization": "Bearer {{secret}}"},
			Identity: "user.email", Scopes: "scopes", Kind: "token",
			Extra: map[string]string{"echo": "header:WWW-Authenticate"},
			Live:  verify.Outcomes{{Status: []int{200}}},
			Dead:  verify.Outcomes{{Status: []int{418}}}, // so 401 falls through to StatusResult
		})
		if err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name string
			v    verify.Verifier
			req  verify.Request
		}{
			{"go verifier", quotingVerifier{}, verify.Request{Secret: secret, Parts: map[string]string{"acme-account": account}}},
			{"declared", declared, verify.Request{Secret: secret}},
			{"webhook", quotingVerifier{path: strings.TrimPrefix(hook, "https://api.acme.example")}, verify.Request{Secret: hook, Parts: map[string]string{"acme-account": account}}},
		}
		for _, c := range cases {
			res := s.Client("acme", 2*time.Second).Verify(context.Background(), c.v, c.req)
			all := fmt.Sprintf("%s %s %s %q %v", res.Reason, res.Identity, res.Kind, res.Scopes, res.Extra)
			if live && res.Identity == "" || !live && res.Reason == "" {
				t.Fatalf("%s (live %v): the fake's answer was not read: %+v", c.name, live, res)
			}
			for _, bad := range []string{secret, "q8Zr2Nv5Lk0Xp7Tm3Wd9"} {
				if strings.Contains(all, bad) {
					t.Errorf("%s (live %v): the result shows %q: %s", c.name, live, bad, all)
				}
			}
			// A companion may be named by the identity (an e-mail, an
			// account), never by a reason or an extra.
			if s := fmt.Sprint(res.Reason, res.Extra); strings.Contains(s, account) {
				t.Errorf("%s (live %v): the reason or extras show the companion: %s", c.name, live, s)
			}
		}
	}
}

// TestScrubWebhookPath: a secret that is a URL is hidden where only its
// path is quoted (a request line, an access log, an echo).
func TestScrubWebhookPath(t *testing.T) {
	req := verify.Request{Secret: "https://hooks.slack.com/services/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"}
	got := verify.Scrub(`{"error":"POST /services/TWSXJJRDHQR/BW4N02012KH/tHZfX7UydPm9WWZwyVhahKkY: no_text"}`, req)
	if strings.Contains(got, "tHZfX7UydPm9WWZwyVhahKkY") || !strings.Contains(got, "no_text") {
		t.Fatal(got)
	}
}

// TestHostThatHangsOrResets: a provider host that accepts and never
// answers ends as unknown "timeout" within the client's timeout; one that
// resets the connection as unknown "network error" at once. Neither reason
// shows the secret, which is in the URL.
func TestHostThatHangsOrResets(t *testing.T) {
	const secret = "tok_H4ngR3s3tZ9y8X7w6V5u"
	v, err := verify.CompileHTTP(verify.HTTPSpec{ID: "acme", URL: "https://api.acme.example/check/{{secret}}"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, base, reason string }{
		{"hang", vt.HangingHost(t), "timeout"},
		{"reset", vt.ResettingHost(t), "network error"},
	} {
		t.Run(c.name, func(t *testing.T) {
			client := verify.NewClient(verify.Options{Timeout: 300 * time.Millisecond, Endpoints: map[string]string{"acme": c.base}})
			start := time.Now()
			res := client.Verify(context.Background(), v, verify.Request{Secret: secret})
			// A generous bound: it proves nothing waits on the host past the
			// timeout; it is not a speed claim.
			if d := time.Since(start); d > 10*time.Second {
				t.Fatalf("verification took %s with a 300ms timeout", d)
			}
			if res.Status != verify.Unknown || !strings.Contains(res.Reason, c.reason) || strings.Contains(res.Reason, secret) {
				t.Fatalf("%+v, want unknown (%s) without the secret", res, c.reason)
			}
		})
	}
}
