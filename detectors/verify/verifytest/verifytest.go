// Package verifytest runs verifiers against fake providers: TLS servers on
// loopback that answer as a provider's documented API does.
package verifytest

import (
	"context"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/achilles-sec/achilles/detectors/verify"
)

// Server is a fake provider.
type Server struct {
	*httptest.Server
	Hits atomic.Int64
}

// NewServer starts a TLS server whose handler is h.
func NewServer(t testing.TB, h http.HandlerFunc) *Server {
	s := &Server{}
	s.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.Hits.Add(1)
		h(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

// Client returns a verification client that trusts the server's
// certificate and sends verifier id's requests to it.
func (s *Server) Client(id string, timeout time.Duration) *verify.Client {
	pool := x509.NewCertPool()
	pool.AddCert(s.Certificate())
	return verify.NewClient(verify.Options{
		Timeout:      timeout,
		Endpoints:    map[string]string{id: s.URL},
		RootCAs:      pool,
		MaxRetryWait: 2 * time.Second,
	})
}

// Case describes one provider's documented API for the standard scenarios.
type Case struct {
	ID     string
	Secret string
	Parts  map[string]string
	// Method and Path the provider expects (Path may contain the secret;
	// "*" takes any path).
	Method, Path string
	// Authorized reports whether the request carries the secret the way
	// the provider expects.
	Authorized func(r *http.Request) bool
	// LiveBody is the documented success answer; Identity what the
	// verifier must read from it (empty: none).
	LiveBody    string
	LiveHeaders map[string]string
	Identity    string
	Scopes      []string
	// Expires (RFC 3339) and Kind, when set, must be read from a live
	// answer.
	Expires, Kind string
	DeadStatus    int
	DeadBody      string
	LiveStatus    int
	ContentTypes  string
	// SkipTimeout leaves out the timeout scenario, which waits out the
	// client's timeout: for suites of declared verifiers, which share the
	// one timeout path of the client.
	SkipTimeout bool
	// SkipWrongCredential leaves out the wrong-credential scenario, for a
	// fake that cannot tell a wrong credential (a signature it cannot
	// check).
	SkipWrongCredential bool
}

// Run drives the scenarios every verifier must handle: live (with identity),
// revoked, rate-limited then live, rate-limited past the retry budget, server
// error, timeout, malformed answer, and wrong credential, and checks no
// reason ever shows the secret.
func Run(t *testing.T, v verify.Verifier, c Case) {
	t.Helper()
	if c.LiveStatus == 0 {
		c.LiveStatus = http.StatusOK
	}
	type scenario struct {
		name    string
		handler func(n int64, w http.ResponseWriter, r *http.Request)
		want    verify.Status
		reason  string
	}
	reply := func(w http.ResponseWriter, status int, body string, headers map[string]string) {
		ct := c.ContentTypes
		if ct == "" {
			ct = "application/json"
		}
		w.Header().Set("Content-Type", ct)
		for k, v := range headers {
			w.Header().Set(k, v)
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}
	live := func(n int64, w http.ResponseWriter, r *http.Request) {
		reply(w, c.LiveStatus, c.LiveBody, c.LiveHeaders)
	}
	scenarios := []scenario{
		{"live", live, verify.Live, ""},
		{"revoked", func(n int64, w http.ResponseWriter, r *http.Request) {
			reply(w, c.DeadStatus, c.DeadBody, nil)
		}, verify.Dead, ""},
		{"rate-limited then live", func(n int64, w http.ResponseWriter, r *http.Request) {
			if n == 1 {
				w.Header().Set("Retry-After", "0")
				reply(w, http.StatusTooManyRequests, `{"message":"rate limited"}`, nil)
				return
			}
			live(n, w, r)
		}, verify.Live, ""},
		{"rate-limited", func(n int64, w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "3600")
			reply(w, http.StatusTooManyRequests, `{"message":"rate limited"}`, nil)
		}, verify.Unknown, "rate-limited"},
		{"server error", func(n int64, w http.ResponseWriter, r *http.Request) {
			reply(w, http.StatusInternalServerError, `{"message":"internal error"}`, nil)
		}, verify.Unknown, "500"},
		{"timeout", func(n int64, w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(3 * clientTimeout):
			}
			live(n, w, r)
		}, verify.Unknown, "timeout"},
		{"malformed", func(n int64, w http.ResponseWriter, r *http.Request) {
			reply(w, http.StatusOK, `<html>gateway`, nil)
		}, verify.Unknown, ""},
	}
	for _, sc := range scenarios {
		if c.SkipTimeout && sc.name == "timeout" {
			continue
		}
		t.Run(c.ID+"/"+sc.name, func(t *testing.T) {
			t.Parallel()
			var n atomic.Int64
			var badReq atomic.Value
			s := NewServer(t, func(w http.ResponseWriter, r *http.Request) {
				k := n.Add(1)
				method := c.Method
				if method == "" {
					method = http.MethodGet
				}
				if r.Method != method || (c.Path != "*" && r.URL.Path != c.Path) || !c.Authorized(r) {
					badReq.Store(r.Method + " " + r.URL.Path)
					reply(w, http.StatusUnauthorized, c.DeadBody, nil)
					return
				}
				sc.handler(k, w, r)
			})
			res := s.Client(c.ID, clientTimeout).Verify(context.Background(), v, verify.Request{RuleID: "test", Secret: c.Secret, Parts: c.Parts})
			if b := badReq.Load(); b != nil {
				t.Fatalf("request did not match the provider's API: %v (auth header or path wrong)", b)
			}
			if res.Status != sc.want {
				t.Fatalf("status %s (%s), want %s", res.Status, res.Reason, sc.want)
			}
			if sc.reason != "" && !strings.Contains(res.Reason, sc.reason) {
				t.Errorf("reason %q lacks %q", res.Reason, sc.reason)
			}
			if sc.want == verify.Live && c.Identity != "" && res.Identity != c.Identity {
				t.Errorf("identity %q, want %q", res.Identity, c.Identity)
			}
			if sc.want == verify.Live && c.Scopes != nil && strings.Join(res.Scopes, ",") != strings.Join(c.Scopes, ",") {
				t.Errorf("scopes %q, want %q", res.Scopes, c.Scopes)
			}
			if sc.want == verify.Live && c.Expires != "" {
				if want, _ := time.Parse(time.RFC3339, c.Expires); !res.ExpiresAt.Equal(want) {
					t.Errorf("expires %v, want %s", res.ExpiresAt, c.Expires)
				}
			}
			if sc.want == verify.Live && c.Kind != "" && res.Kind != c.Kind {
				t.Errorf("kind %q, want %q", res.Kind, c.Kind)
			}
			if strings.Contains(res.Reason+res.Identity, c.Secret) {
				t.Errorf("result shows the secret: %+v", res)
			}
		})
	}
	// A wrong credential is answered as revoked by the fake server.
	if c.SkipWrongCredential {
		return
	}
	t.Run(c.ID+"/wrong credential", func(t *testing.T) {
		t.Parallel()
		s := NewServer(t, func(w http.ResponseWriter, r *http.Request) {
			if c.Authorized(r) {
				reply(w, c.LiveStatus, c.LiveBody, c.LiveHeaders)
				return
			}
			reply(w, c.DeadStatus, c.DeadBody, nil)
		})
		wrong := c.Secret[:len(c.Secret)-1] + "Q"
		if strings.HasSuffix(c.Secret, "Q") {
			wrong = c.Secret[:len(c.Secret)-1] + "R"
		}
		res := s.Client(c.ID, clientTimeout).Verify(context.Background(), v, verify.Request{Secret: wrong, Parts: c.Parts})
		if res.Status == verify.Live {
			t.Fatalf("a wrong credential verified as live")
		}
	})
}

// clientTimeout bounds each scenario's verification. It is generous so a
// loaded CI machine (every package's tests at once on two cores) does not
// turn a plain answer into a timeout; the slow scenario waits past it.
const clientTimeout = 1500 * time.Millisecond

// Bearer checks an "Authorization: Bearer <secret>" header.
func Bearer(secret string) func(*http.Request) bool {
	return Header("Authorization", "Bearer "+secret)
}

// Header checks one header's exact value.
func Header(name, value string) func(*http.Request) bool {
	return func(r *http.Request) bool { return r.Header.Get(name) == value }
}

// Basic checks HTTP basic authentication.
func Basic(user, pass string) func(*http.Request) bool {
	return func(r *http.Request) bool {
		u, p, ok := r.BasicAuth()
		return ok && u == user && p == pass
	}
}
