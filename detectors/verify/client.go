package verify

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Options configure a Client.
type Options struct {
	// Timeout bounds one verification (connect, TLS, request and body),
	// retries included. Default 10 s.
	Timeout time.Duration
	// Endpoints maps a verifier id to the base URL to use instead of the
	// provider's official one: a self-hosted GitHub Enterprise or GitLab.
	// Tests point it at httptest servers. It must be https.
	Endpoints map[string]string
	// RootCAs, when set, replaces the system roots (tests use the httptest
	// server's certificate). Verification is never done without TLS checks.
	RootCAs *x509.CertPool
	// PerVerifier bounds concurrent requests to one provider. Default 4.
	PerVerifier int
	// MaxRetries on 429 and 503. Default 2.
	MaxRetries int
	// MaxRetryWait caps how long a Retry-After is honoured. Default 30 s.
	MaxRetryWait time.Duration
	// AllowContentHosts lets verifiers send a secret to a host taken from
	// the scanned content (a connection string's host). Off by default.
	AllowContentHosts bool
}

// Client is the one HTTP client every verifier goes through: timeouts,
// verified TLS, no redirect to another host, proxy from the environment,
// a concurrency limit per provider, Retry-After on 429, and a cache so a
// secret is asked about once per run.
//
// The options are embedded: c.Endpoints and c.AllowContentHosts are the
// configured base URLs and the opt-in for hosts found in scanned content.
// Set them before the first verification; a Client is then safe for
// concurrent use.
type Client struct {
	Options
	http     *http.Client
	requests atomic.Int64

	mu     sync.Mutex
	limits map[string]chan struct{}
	cache  map[string]*cacheEntry
}

type cacheEntry struct {
	done chan struct{}
	res  Result
}

// NewClient builds a client.
func NewClient(opts Options) *Client {
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	if opts.PerVerifier <= 0 {
		opts.PerVerifier = 4
	}
	if opts.MaxRetries < 0 {
		opts.MaxRetries = 0
	} else if opts.MaxRetries == 0 {
		opts.MaxRetries = 2
	}
	if opts.MaxRetryWait <= 0 {
		opts.MaxRetryWait = 30 * time.Second
	}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: opts.Timeout}).DialContext,
		TLSHandshakeTimeout:   opts.Timeout,
		ResponseHeaderTimeout: opts.Timeout,
		TLSClientConfig:       &tls.Config{RootCAs: opts.RootCAs, MinVersion: tls.VersionTLS12},
		MaxIdleConnsPerHost:   opts.PerVerifier,
	}
	c := &Client{Options: opts, limits: map[string]chan struct{}{}, cache: map[string]*cacheEntry{}}
	c.http = &http.Client{
		Transport: tr,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 3 {
				return errors.New("too many redirects")
			}
			if req.URL.Host != via[0].URL.Host || req.URL.Scheme != "https" {
				return fmt.Errorf("refusing a redirect to another host (%s)", req.URL.Host)
			}
			return nil
		},
	}
	return c
}

// Requests is the number of HTTP requests sent so far.
func (c *Client) Requests() int64 { return c.requests.Load() }

// BaseURL returns the base URL for a verifier: the configured endpoint, or
// the official one.
func (c *Client) BaseURL(verifierID, official string) (string, error) {
	base := official
	if e, ok := c.Endpoints[verifierID]; ok && e != "" {
		base = e
	}
	u, err := url.Parse(base)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return "", fmt.Errorf("endpoint for %s must be an https URL", verifierID)
	}
	return strings.TrimSuffix(base, "/"), nil
}

// Response is a provider's answer with its body read (up to 1 MiB).
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

const maxBody = 1 << 20

// Do sends a request for a verifier: within the verifier's concurrency
// limit, retrying 429 and 503 answers after their Retry-After (bounded).
// newReq is called for each attempt.
func (c *Client) Do(ctx context.Context, verifierID string, newReq func(ctx context.Context) (*http.Request, error)) (*Response, error) {
	sem := c.limit(verifierID)
	select {
	case sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-sem }()
	for attempt := 0; ; attempt++ {
		req, err := newReq(ctx)
		if err != nil {
			return nil, err
		}
		if req.URL.Scheme != "https" {
			return nil, errors.New("refusing to send a secret without TLS")
		}
		if req.Header.Get("User-Agent") == "" {
			req.Header.Set("User-Agent", "achilles-secret-scanner")
		}
		c.requests.Add(1)
		resp, err := c.http.Do(req)
		if err != nil {
			return nil, err
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		r := &Response{Status: resp.StatusCode, Header: resp.Header, Body: body}
		if (r.Status == http.StatusTooManyRequests || r.Status == http.StatusServiceUnavailable) && attempt < c.MaxRetries {
			wait := retryAfter(r.Header.Get("Retry-After"), attempt)
			if wait > c.MaxRetryWait {
				return r, nil
			}
			t := time.NewTimer(wait)
			select {
			case <-t.C:
				continue
			case <-ctx.Done():
				t.Stop()
				return nil, ctx.Err()
			}
		}
		return r, nil
	}
}

// retryAfter reads a Retry-After header (seconds or an HTTP date); without
// one it backs off exponentially from 1 s.
func retryAfter(h string, attempt int) time.Duration {
	if h != "" {
		if s, err := strconv.Atoi(strings.TrimSpace(h)); err == nil && s >= 0 {
			return time.Duration(s) * time.Second
		}
		if t, err := http.ParseTime(h); err == nil {
			if d := time.Until(t); d > 0 {
				return d
			}
			return 0
		}
	}
	return time.Second << attempt
}

func (c *Client) limit(id string) chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	sem, ok := c.limits[id]
	if !ok {
		sem = make(chan struct{}, c.PerVerifier)
		c.limits[id] = sem
	}
	return sem
}

// Verify runs a verifier once per unique (verifier, secret, parts) per
// client: concurrent callers with the same key wait for the first. The
// whole verification is bounded by the client's timeout.
func (c *Client) Verify(ctx context.Context, v Verifier, req Request) Result {
	if cv, ok := v.(Canonicalizer); ok {
		req = cv.Canonical(req)
	}
	key := cacheKey(v.ID(), req)
	c.mu.Lock()
	if e, ok := c.cache[key]; ok {
		c.mu.Unlock()
		select {
		case <-e.done:
			return e.res
		case <-ctx.Done():
			return Result{Status: Unknown, Reason: "cancelled"}
		}
	}
	e := &cacheEntry{done: make(chan struct{})}
	c.cache[key] = e
	c.mu.Unlock()

	vctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	res := v.Verify(vctx, c, req)
	if res.Status == "" {
		res.Status = Unknown
	}
	if res.Status != Live {
		res.Identity, res.Scopes, res.ExpiresAt = "", nil, time.Time{}
	}
	// Everything here may quote the provider's answer, and a provider (or
	// a proxy in front of it) can echo the request, secret included. The
	// identity may name a companion (an e-mail, a shop, an account id):
	// only the secret itself is taken out of it.
	res.Reason = Scrub(res.Reason, req)
	own := Request{Secret: req.Secret}
	res.Identity = Scrub(res.Identity, own)
	res.Kind = Scrub(res.Kind, own)
	for i, s := range res.Scopes {
		res.Scopes[i] = Scrub(s, own)
	}
	for k, x := range res.Extra {
		res.Extra[k] = Scrub(x, req)
	}
	e.res = res
	close(e.done)
	return res
}

func cacheKey(id string, req Request) string {
	keys := make([]string, 0, len(req.Parts))
	for k := range req.Parts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(id)
	b.WriteByte(0)
	b.WriteString(req.Secret)
	for _, k := range keys {
		b.WriteByte(0)
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(req.Parts[k])
	}
	return b.String()
}

// ErrorResult turns a transport error into an Unknown result with a reason
// that never holds the secret (URLs can carry it, e.g. Telegram's).
func ErrorResult(err error, req Request) Result {
	reason := "network error"
	var ue *url.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		reason = "timeout"
	case errors.Is(err, context.Canceled):
		reason = "cancelled"
	case errors.As(err, &ue) && ue.Timeout():
		reason = "timeout"
	case errors.As(err, &ue):
		reason = "network error: " + ue.Err.Error()
	default:
		reason = "error: " + err.Error()
	}
	return unknown(req, reason)
}

// StatusResult maps an answer a verifier did not recognise: 401 dead, 429
// rate-limited, anything else (a success without the expected content
// included) unknown. It never says live: a verifier decides that from the
// content it expects. Providers whose 403 means "revoked" say so themselves.
func StatusResult(r *Response, req Request) Result {
	switch {
	case r.Status >= 200 && r.Status < 300:
		return unknown(req, fmt.Sprintf("unexpected answer (%d)", r.Status))
	case r.Status == http.StatusUnauthorized:
		return Result{Status: Dead, Reason: "the provider rejected the credential (401)"}
	case r.Status == http.StatusTooManyRequests:
		return unknown(req, "rate-limited (429)")
	case r.Status >= 500:
		return unknown(req, fmt.Sprintf("provider error (%d)", r.Status))
	}
	return unknown(req, fmt.Sprintf("unexpected status %d", r.Status))
}

// Call is one read-only request to a provider, for verifiers written in Go:
// the base URL is the configured endpoint for Verifier or Official, and
// Path (with its query) is appended to it.
type Call struct {
	Verifier string
	Official string
	Method   string // default GET
	Path     string
	Header   map[string]string
	Body     string
	// BasicUser and BasicPass, when either is set, become HTTP basic auth.
	BasicUser, BasicPass string
}

// Send makes the call. On failure (no usable base URL, a transport error,
// the timeout) it returns nil and the Unknown result to give back, with a
// reason scrubbed of the request's secret.
func (c *Client) Send(ctx context.Context, req Request, call Call) (*Response, *Result) {
	base, err := c.BaseURL(call.Verifier, call.Official)
	if err != nil {
		r := unknown(req, err.Error())
		return nil, &r
	}
	method := call.Method
	if method == "" {
		method = http.MethodGet
	}
	resp, err := c.Do(ctx, call.Verifier, func(ctx context.Context) (*http.Request, error) {
		var body io.Reader
		if call.Body != "" {
			body = strings.NewReader(call.Body)
		}
		r, err := http.NewRequestWithContext(ctx, method, base+call.Path, body)
		if err != nil {
			return nil, err
		}
		for k, v := range call.Header {
			r.Header.Set(k, v)
		}
		if call.BasicUser != "" || call.BasicPass != "" {
			r.SetBasicAuth(call.BasicUser, call.BasicPass)
		}
		return r, nil
	})
	if err != nil {
		r := ErrorResult(err, req)
		return nil, &r
	}
	return resp, nil
}
