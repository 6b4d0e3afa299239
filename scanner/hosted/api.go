// Package hosted is what the sources of hosted services share: an API
// client that keeps credentials with their host (same-origin pagination
// and redirects, downloads whose redirects to storage hosts drop them),
// honours rate limits, and makes conditional requests from the State of an
// earlier run; and Items, the blobs an item of a service (an issue, a
// comment, a CI log) is scanned as. The GitHub and GitLab sources
// (hosted/github, hosted/gitlab) and the sweep's repository listing build
// on it.
package hosted

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// RateHeaders names an API's rate-limit headers.
type RateHeaders struct{ Remaining, Reset string }

// The rate-limit headers of GitHub and GitLab.
var (
	GitHubRate = RateHeaders{"X-RateLimit-Remaining", "X-RateLimit-Reset"}
	GitLabRate = RateHeaders{"RateLimit-Remaining", "RateLimit-Reset"}
)

// API is a client of one service's REST API at one origin.
type API struct {
	// Base is the API's base URL (https://api.github.com,
	// https://gitlab.example/api/v4): requests go to its origin only.
	Base string
	// Header is sent with every request to the API's origin; it carries
	// the credentials.
	Header http.Header
	// Credentials names the headers of Header that are credentials
	// (Authorization is always one): they are never sent to another
	// origin, not even through a download's redirect.
	Credentials []string
	Rate        RateHeaders
	// HTTP is the client (default: a 30 s timeout; downloads have none
	// but the context's).
	HTTP *http.Client
	// Sleep waits (default: a timer that honours ctx); tests replace it.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock (default time.Now).
	Now func() time.Time
	// MaxWait bounds one rate-limit wait (default 1 h); a longer one is an
	// error rather than a silent stall.
	MaxWait time.Duration
	// Notify, when set, is told about waits (for the user).
	Notify func(msg string)
	// State, when set, makes listings conditional (see Pages).
	State *State
	// MaxBody bounds an answer read into memory (default 64 MiB).
	MaxBody int64

	// Counts of this client's requests.
	Requests, Conditional, NotModified atomic.Int64
}

const maxRetries = 6

// maxPages bounds one listing.
const maxPages = 10000

// Page is one answer of the API.
type Page struct {
	Status int
	Body   []byte
	Header http.Header
	// Next is the next page's URL (Link rel="next", or GitLab's
	// X-Next-Page), not yet checked against the origin.
	Next string
	// NotModified is a 304 to a conditional request.
	NotModified bool
}

// ErrNotFound is a 404 (or GitHub's 410 for a disabled feature): the item
// or listing does not exist or the token cannot see it.
var ErrNotFound = errors.New("not found")

// StatusError is an answer the client does not treat as a page.
type StatusError struct {
	What   string
	URL    string
	Status string
	Code   int
	Body   string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s: %s: %s: %s", e.What, e.URL, e.Status, e.Body)
}

// Unwrap makes errors.Is(err, ErrNotFound) true for a 404 or 410.
func (e *StatusError) Unwrap() error {
	if e.Code == http.StatusNotFound || e.Code == http.StatusGone {
		return ErrNotFound
	}
	return nil
}

// Origin is a URL's scheme and host (default port dropped), lowercased.
func Origin(u *url.URL) string {
	return strings.ToLower(u.Scheme) + "://" + HostPort(u)
}

// HostPort is a URL's host, lowercased, without the scheme's default port.
func HostPort(u *url.URL) string {
	h := strings.ToLower(u.Host)
	switch {
	case u.Scheme == "https" && strings.HasSuffix(h, ":443"):
		h = strings.TrimSuffix(h, ":443")
	case u.Scheme == "http" && strings.HasSuffix(h, ":80"):
		h = strings.TrimSuffix(h, ":80")
	}
	return h
}

func (a *API) origin() string {
	u, err := url.Parse(a.Base)
	if err != nil {
		return ""
	}
	return Origin(u)
}

// URL resolves a path (or an absolute URL) against Base: "/repos/o/r"
// becomes Base + "/repos/o/r".
func (a *API) URL(path string) string {
	if strings.HasPrefix(path, "https://") || strings.HasPrefix(path, "http://") {
		return path
	}
	return strings.TrimRight(a.Base, "/") + "/" + strings.TrimLeft(path, "/")
}

// client is the configured client whose redirects stay within the API's
// origin (download: a redirect elsewhere is followed over https with the
// credentials removed, as for release assets and CI logs in storage).
func (a *API) client(download bool) *http.Client {
	c := http.Client{Timeout: 30 * time.Second}
	if a.HTTP != nil {
		c = *a.HTTP
	}
	if download {
		c.Timeout = 0
	}
	home := a.origin()
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= 10 {
			return errors.New("too many redirects")
		}
		if Origin(req.URL) == home {
			return nil
		}
		if !download {
			return fmt.Errorf("refusing a redirect from %s to %s", Origin(via[0].URL), Origin(req.URL))
		}
		if !strings.EqualFold(req.URL.Scheme, "https") && !(strings.EqualFold(via[0].URL.Scheme, "http") && strings.EqualFold(req.URL.Scheme, "http")) {
			return fmt.Errorf("refusing a redirect from %s to %s: not https", Origin(via[0].URL), Origin(req.URL))
		}
		a.dropCredentials(req.Header)
		return nil
	}
	return &c
}

func (a *API) dropCredentials(h http.Header) {
	h.Del("Authorization")
	h.Del("Cookie")
	for _, k := range a.Credentials {
		h.Del(k)
	}
}

// checkURL refuses a request to another origin than the API's: the
// request would carry the credentials there.
func (a *API) checkURL(what, raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: not a URL", what)
	}
	if Origin(u) != a.origin() {
		return nil, fmt.Errorf("%s: refusing %s: not the API at %s", what, Origin(u), a.origin())
	}
	return u, nil
}

// Get fetches one answer of the API, retrying after 429 or a rate-limit
// 403 as the answer's Retry-After or reset header says, and waiting before
// it returns when no requests remain until a reset. etag, when set, makes
// the request conditional (a 304 is a Page with NotModified). Any other
// answer than 200 or 304 is a *StatusError.
func (a *API) Get(ctx context.Context, what, rawURL, etag string) (Page, error) {
	return a.send(ctx, http.MethodGet, what, rawURL, etag, "", nil)
}

// Post sends body (of contentType) to the API and reads the answer as Get
// does: the same origin check, headers, rate-limit waits and retries (the
// body is sent again). It is for read-only calls that take a body, such as
// a GraphQL query; any answer but 200 is a *StatusError.
func (a *API) Post(ctx context.Context, what, rawURL, contentType string, body []byte) (Page, error) {
	return a.send(ctx, http.MethodPost, what, rawURL, "", contentType, body)
}

func (a *API) send(ctx context.Context, method, what, rawURL, etag, contentType string, reqBody []byte) (Page, error) {
	if _, err := a.checkURL(what, rawURL); err != nil {
		return Page{}, err
	}
	for attempt := 0; ; attempt++ {
		var rd io.Reader
		if reqBody != nil {
			rd = bytes.NewReader(reqBody)
		}
		req, err := http.NewRequestWithContext(ctx, method, rawURL, rd)
		if err != nil {
			return Page{}, err
		}
		req.Header = a.Header.Clone()
		if req.Header == nil {
			req.Header = http.Header{}
		}
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		if etag != "" {
			req.Header.Set("If-None-Match", etag)
			a.Conditional.Add(1)
		}
		a.Requests.Add(1)
		resp, err := a.client(false).Do(req)
		if err != nil {
			return Page{}, fmt.Errorf("%s: %w", what, err)
		}
		max := a.MaxBody
		if max <= 0 {
			max = 64 << 20
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, max))
		resp.Body.Close()
		if err != nil {
			return Page{}, fmt.Errorf("%s: reading %s: %w", what, RedactURL(rawURL), err)
		}
		wait, limited := a.rateWait(resp)
		if limited {
			if attempt >= maxRetries {
				return Page{}, fmt.Errorf("%s: %s: still rate-limited after %d retries", what, RedactURL(rawURL), attempt)
			}
			if err := a.sleep(ctx, wait, "rate-limited by "+req.URL.Host); err != nil {
				return Page{}, err
			}
			continue
		}
		p := Page{Status: resp.StatusCode, Body: body, Header: resp.Header}
		switch resp.StatusCode {
		case http.StatusOK:
		case http.StatusNotModified:
			if etag == "" {
				return Page{}, &StatusError{what, RedactURL(rawURL), resp.Status, resp.StatusCode, Snippet(body)}
			}
			a.NotModified.Add(1)
			p.NotModified = true
		default:
			return Page{}, &StatusError{what, RedactURL(rawURL), resp.Status, resp.StatusCode, Snippet(body)}
		}
		p.Next = NextLink(resp.Header.Get("Link"))
		if p.Next == "" {
			if n := resp.Header.Get("X-Next-Page"); n != "" {
				p.Next = withPage(rawURL, n)
			}
		}
		if resp.Header.Get(a.Rate.Remaining) == "0" {
			if reset, ok := a.resetIn(resp.Header.Get(a.Rate.Reset)); ok {
				if err := a.sleep(ctx, reset, "rate limit reached at "+req.URL.Host); err != nil {
					return Page{}, err
				}
			}
		}
		return p, nil
	}
}

// Download opens a large answer (a CI log archive, a release asset) as a
// stream. Redirects to another host (the service's storage) are followed
// over https with the credentials removed. accept, when set, replaces the
// Accept header. The caller closes the body; size is -1 when unknown.
func (a *API) Download(ctx context.Context, what, rawURL, accept string) (io.ReadCloser, int64, error) {
	if _, err := a.checkURL(what, rawURL); err != nil {
		return nil, 0, err
	}
	return a.download(ctx, what, rawURL, accept, true)
}

// DownloadPublic opens a file an API answer names on another host (a
// gist's raw_url on gist.githubusercontent.com) without any credential:
// the request carries none of the credential headers, nor do its
// redirects. The URL must be https, or http when the API itself is (a
// loopback test server). A URL on the API's origin is a Download, with
// the credentials.
func (a *API) DownloadPublic(ctx context.Context, what, rawURL, accept string) (io.ReadCloser, int64, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" || u.User != nil {
		return nil, 0, fmt.Errorf("%s: the API gave a download URL that is not an https URL", what)
	}
	if Origin(u) == a.origin() {
		return a.download(ctx, what, rawURL, accept, true)
	}
	base, _ := url.Parse(a.Base)
	if !strings.EqualFold(u.Scheme, "https") && !(base != nil && strings.EqualFold(base.Scheme, "http") && strings.EqualFold(u.Scheme, "http")) {
		return nil, 0, fmt.Errorf("%s: refusing %s: not https", what, Origin(u))
	}
	return a.download(ctx, what, rawURL, accept, false)
}

func (a *API) download(ctx context.Context, what, rawURL, accept string, credentials bool) (io.ReadCloser, int64, error) {
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
		if err != nil {
			return nil, 0, err
		}
		req.Header = a.Header.Clone()
		if req.Header == nil {
			req.Header = http.Header{}
		}
		if !credentials {
			a.dropCredentials(req.Header)
		}
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		a.Requests.Add(1)
		resp, err := a.client(true).Do(req)
		if err != nil {
			return nil, 0, fmt.Errorf("%s: %w", what, err)
		}
		if wait, limited := a.rateWait(resp); limited {
			resp.Body.Close()
			if attempt >= maxRetries {
				return nil, 0, fmt.Errorf("%s: %s: still rate-limited after %d retries", what, RedactURL(rawURL), attempt)
			}
			if err := a.sleep(ctx, wait, "rate-limited by "+req.URL.Host); err != nil {
				return nil, 0, err
			}
			continue
		}
		if resp.StatusCode != http.StatusOK {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			resp.Body.Close()
			return nil, 0, &StatusError{what, RedactURL(rawURL), resp.Status, resp.StatusCode, Snippet(body)}
		}
		return resp.Body, resp.ContentLength, nil
	}
}

// Pages walks a paginated listing from first: fn gets each page's body.
// Next-page links must stay on the API's origin; a link back to a page
// already listed, or past 10,000 pages, is an error rather than a loop.
//
// With a State, a page that an earlier run finished (fn returned nil for
// it) is asked for with its ETag; when the API answers 304 the page and
// everything under it is skipped, and the walk goes on from the next page
// recorded with it. fn returning an error wrapping ErrIncomplete (a
// warning already given) leaves the page unrecorded and the walk goes on;
// any other error stops it.
func (a *API) Pages(ctx context.Context, what, first string, fn func(body []byte) error) error {
	return a.pages(ctx, what, first, a.State, fn)
}

// PagesAll walks a listing as Pages does but without the State: every
// page is read, none recorded. It is for a listing that names what is read
// next (an owner's repositories): a page unchanged since an earlier run
// still names repositories whose items changed.
func (a *API) PagesAll(ctx context.Context, what, first string, fn func(body []byte) error) error {
	return a.pages(ctx, what, first, nil, fn)
}

func (a *API) pages(ctx context.Context, what, first string, st *State, fn func(body []byte) error) error {
	seen := map[string]bool{}
	incomplete := false
	for next := first; next != ""; {
		if seen[next] {
			return fmt.Errorf("%s: the API's next-page link goes back to a page already listed", what)
		}
		if len(seen) >= maxPages {
			return fmt.Errorf("%s: more than %d pages", what, maxPages)
		}
		seen[next] = true
		mark := st.page(next)
		p, err := a.Get(ctx, what, next, mark.ETag)
		if err != nil {
			return err
		}
		current := next
		if p.NotModified {
			st.finishPage(current, mark)
			next = mark.Next
			continue
		}
		if p.Next, err = resolveNext(what, current, p.Next); err != nil {
			return err
		}
		if err := fn(p.Body); err != nil {
			if !errors.Is(err, ErrIncomplete) {
				return err
			}
			incomplete = true
		} else if etag := p.Header.Get("ETag"); etag != "" {
			st.finishPage(current, PageMark{ETag: etag, Next: p.Next})
		}
		next = p.Next
	}
	if incomplete {
		return ErrIncomplete
	}
	return nil
}

// Check asks for one answer whose body is not needed (does the target
// exist, can the token read it): conditional with a State that saw it
// before, so a rerun over an unchanged target costs a 304.
func (a *API) Check(ctx context.Context, what, rawURL string) error {
	mark := a.State.page(rawURL)
	p, err := a.Get(ctx, what, rawURL, mark.ETag)
	if err != nil {
		return err
	}
	if p.NotModified {
		a.State.finishPage(rawURL, mark)
	} else if etag := p.Header.Get("ETag"); etag != "" {
		a.State.finishPage(rawURL, PageMark{ETag: etag})
	}
	return nil
}

// resolveNext resolves a next-page link against the page it came from and
// refuses one to another origin (another host, or http after https): the
// request would carry the credentials there.
func resolveNext(what, current, next string) (string, error) {
	if next == "" {
		return "", nil
	}
	u, err := url.Parse(current)
	if err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	n, err := u.Parse(next)
	if err != nil {
		return "", fmt.Errorf("%s: the API's next-page link is not a URL", what)
	}
	if Origin(n) != Origin(u) {
		return "", fmt.Errorf("%s: refusing the API's next-page link to %s: not the API at %s", what, Origin(n), Origin(u))
	}
	return n.String(), nil
}

// ErrIncomplete says part of a listing could not be read (each problem was
// given as a warning): what was read is reported, and the next run reads
// that part again.
var ErrIncomplete = errors.New("incomplete")

func (a *API) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

func (a *API) sleep(ctx context.Context, d time.Duration, why string) error {
	max := a.MaxWait
	if max <= 0 {
		max = time.Hour
	}
	if d > max {
		return fmt.Errorf("%s: the API asks to wait %s, more than %s", why, d.Round(time.Second), max)
	}
	if d <= 0 {
		return nil
	}
	if a.Notify != nil {
		a.Notify(fmt.Sprintf("%s: waiting %s", why, d.Round(time.Second)))
	}
	if a.Sleep != nil {
		return a.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// rateWait decides whether an answer is a rate limit and how long to wait:
// 429 always is; 403 is when it carries Retry-After or no requests remain
// (GitHub's primary and secondary limits). Retry-After wins over the reset
// time; with neither, a minute.
func (a *API) rateWait(resp *http.Response) (time.Duration, bool) {
	ra := resp.Header.Get("Retry-After")
	remaining := ""
	if a.Rate.Remaining != "" {
		remaining = resp.Header.Get(a.Rate.Remaining)
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
	case resp.StatusCode == http.StatusForbidden && (ra != "" || remaining == "0"):
	default:
		return 0, false
	}
	if ra != "" {
		if s, err := strconv.Atoi(strings.TrimSpace(ra)); err == nil && s >= 0 {
			return time.Duration(s) * time.Second, true
		}
		if t, err := http.ParseTime(ra); err == nil {
			return t.Sub(a.now()), true
		}
	}
	if d, ok := a.resetIn(resp.Header.Get(a.Rate.Reset)); ok {
		return d, true
	}
	return time.Minute, true
}

// resetIn reads a reset header: Unix seconds (GitHub, GitLab), or a small
// number of seconds from now (some proxies).
func (a *API) resetIn(v string) (time.Duration, bool) {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	if n < 1_000_000_000 {
		return time.Duration(n) * time.Second, true
	}
	d := time.Unix(n, 0).Sub(a.now()) + time.Second // the reset second itself
	if d < 0 {
		d = 0
	}
	return d, true
}

// NextLink finds rel="next" in a Link header.
func NextLink(h string) string {
	for _, part := range strings.Split(h, ",") {
		u, params, ok := strings.Cut(part, ";")
		if !ok {
			continue
		}
		for _, p := range strings.Split(params, ";") {
			p = strings.ReplaceAll(strings.TrimSpace(p), " ", "")
			if p == `rel="next"` || p == "rel=next" {
				return strings.Trim(strings.TrimSpace(u), "<>")
			}
		}
	}
	return ""
}

func withPage(rawURL, pageNum string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return ""
	}
	q := u.Query()
	q.Set("page", pageNum)
	u.RawQuery = q.Encode()
	return u.String()
}

// RedactURL drops a URL's user information.
func RedactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(url)"
	}
	u.User = nil
	return u.String()
}

// Snippet is the start of an answer's body for an error message, quoted
// so that control characters in it cannot reach the terminal raw.
func Snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200]
	}
	return strconv.Quote(s)
}
