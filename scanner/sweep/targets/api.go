package targets

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
)

// Lister lists repositories through the GitHub and GitLab REST APIs,
// following pagination and waiting out rate limits.
type Lister struct {
	// HTTP is the client (default: one with a 30 s timeout).
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
}

const maxRetries = 6

// client is the configured client with one change: a redirect is followed
// only within the origin it started from, so no header (GitLab's
// PRIVATE-TOKEN is not one Go drops) reaches another host.
func (l *Lister) client() *http.Client {
	c := http.Client{Timeout: 30 * time.Second}
	if l.HTTP != nil {
		c = *l.HTTP
	}
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= 10 {
			return errors.New("too many redirects")
		}
		if origin(req.URL) != origin(via[0].URL) {
			return fmt.Errorf("refusing a redirect from %s to %s", origin(via[0].URL), origin(req.URL))
		}
		return nil
	}
	return &c
}

// origin is a URL's scheme and host (default port dropped).
func origin(u *url.URL) string {
	return strings.ToLower(u.Scheme) + "://" + hostPort(u)
}

// maxPages bounds one listing (100 repositories a page: a million).
const maxPages = 10000

// nextPage resolves a pagination link against the page it came from and
// refuses one to another origin (another host, or http after https): the
// request would carry the token there. seen holds the pages fetched so
// far; a link back to one of them, or past maxPages, is an error rather
// than a loop.
func nextPage(current, next, listing string, seen map[string]bool) (string, error) {
	seen[current] = true
	if next == "" {
		return "", nil
	}
	if len(seen) >= maxPages {
		return "", fmt.Errorf("%s: more than %d pages", listing, maxPages)
	}
	cur, err := url.Parse(current)
	if err != nil {
		return "", fmt.Errorf("%s: %w", listing, err)
	}
	n, err := cur.Parse(next)
	if err != nil {
		return "", fmt.Errorf("%s: the API's next-page link is not a URL", listing)
	}
	if origin(n) != origin(cur) {
		return "", fmt.Errorf("%s: refusing the API's next-page link to %s: not the API at %s", listing, origin(n), origin(cur))
	}
	if seen[n.String()] {
		return "", fmt.Errorf("%s: the API's next-page link goes back to a page already listed", listing)
	}
	return n.String(), nil
}

// cloneRule says which clone URLs an API's answer may give: https (or
// ssh) on the API's clone host, http only when the API itself was
// configured as http on that host (a loopback test server).
type cloneRule struct {
	host      string // host[:port] as hostPort gives it
	allowHTTP bool
}

func newCloneRule(apiURL, public string) cloneRule {
	r := cloneRule{host: CloneHost(apiURL, public)}
	if u, err := url.Parse(apiURL); err == nil && strings.EqualFold(u.Scheme, "http") {
		r.allowHTTP = true
	}
	return r
}

// check returns the reason a clone URL from the API is refused, or "".
func (r cloneRule) check(raw string) string {
	u, err := url.Parse(raw)
	if err == nil && strings.EqualFold(u.Scheme, "file") {
		return "the API gave a file clone URL (a path of the sweeping machine): refused"
	}
	if err != nil || u.Host == "" || u.Opaque != "" {
		return "the API gave a clone URL that is not an https URL on " + r.host + ": refused"
	}
	if u.User != nil && strings.ToLower(u.Scheme) != "ssh" {
		return "the API gave a clone URL with user information"
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		if hostPort(u) == r.host {
			return ""
		}
	case "http":
		if !r.allowHTTP {
			return "the API gave an http clone URL (the API is https): refused"
		}
		if hostPort(u) == r.host {
			return ""
		}
	case "ssh":
		if strings.EqualFold(u.Hostname(), hostname(r.host)) {
			return ""
		}
	default:
		return fmt.Sprintf("the API gave a %s clone URL: only https or ssh on %s are followed", u.Scheme, r.host)
	}
	return fmt.Sprintf("the API gave a clone URL on %s, not on %s: refused", hostPort(u), r.host)
}

// hostname is host without a port.
func hostname(hostport string) string {
	return (&url.URL{Host: hostport}).Hostname()
}

// target makes the target of one listed repository: the clone URL with its
// token, or, when the URL is refused, a target that says why, keyed by the
// repository's name on the expected host.
func (r cloneRule) target(cloneURL, name, source, tokenUser, token string) Target {
	if why := r.check(cloneURL); why != "" {
		if name == "" {
			name = "unnamed"
		}
		return Target{Key: r.host + "/" + strings.Trim(name, "/"), URL: StripUserinfo(cloneURL), Source: source, Refused: why}
	}
	return Target{Key: Normalize(cloneURL), URL: cloneURL, Source: source, Auth: tokenAuth(cloneURL, tokenUser, token)}
}

func (l *Lister) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

func (l *Lister) sleep(ctx context.Context, d time.Duration, why string) error {
	max := l.MaxWait
	if max <= 0 {
		max = time.Hour
	}
	if d > max {
		return fmt.Errorf("%s: the API asks to wait %s, more than %s", why, d.Round(time.Second), max)
	}
	if d <= 0 {
		return nil
	}
	if l.Notify != nil {
		l.Notify(fmt.Sprintf("%s: waiting %s", why, d.Round(time.Second)))
	}
	if l.Sleep != nil {
		return l.Sleep(ctx, d)
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

// rateHeaders names an API's rate-limit headers.
type rateHeaders struct{ remaining, reset string }

var (
	githubRate = rateHeaders{"X-RateLimit-Remaining", "X-RateLimit-Reset"}
	gitlabRate = rateHeaders{"RateLimit-Remaining", "RateLimit-Reset"}
)

// page is one answer of a paginated API.
type page struct {
	body []byte
	next string
}

// get fetches one page, retrying after 429 or a rate-limit 403 as the
// answer's Retry-After or reset header says, and waits before returning
// when the answer says no requests remain until a reset.
func (l *Lister) get(ctx context.Context, listing, rawURL string, header http.Header, rh rateHeaders) (page, error) {
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
		if err != nil {
			return page{}, err
		}
		req.Header = header.Clone()
		resp, err := l.client().Do(req)
		if err != nil {
			return page{}, fmt.Errorf("%s: %w", listing, err)
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
		resp.Body.Close()
		if err != nil {
			return page{}, fmt.Errorf("%s: reading %s: %w", listing, redactURL(rawURL), err)
		}
		wait, limited := l.rateWait(resp, rh)
		if limited {
			if attempt >= maxRetries {
				return page{}, fmt.Errorf("%s: %s: still rate-limited after %d retries", listing, redactURL(rawURL), attempt)
			}
			if err := l.sleep(ctx, wait, "rate-limited by "+req.URL.Host); err != nil {
				return page{}, err
			}
			continue
		}
		if resp.StatusCode != http.StatusOK {
			return page{}, fmt.Errorf("%s: %s: %s: %s", listing, redactURL(rawURL), resp.Status, snippet(body))
		}
		p := page{body: body, next: nextLink(resp.Header.Get("Link"))}
		if p.next == "" {
			if n := resp.Header.Get("X-Next-Page"); n != "" {
				p.next = withPage(rawURL, n)
			}
		}
		// Out of requests: wait for the reset before the next page.
		if p.next != "" && resp.Header.Get(rh.remaining) == "0" {
			if reset, ok := l.resetIn(resp.Header.Get(rh.reset)); ok {
				if err := l.sleep(ctx, reset, "rate limit reached at "+req.URL.Host); err != nil {
					return page{}, err
				}
			}
		}
		return p, nil
	}
}

// rateWait decides whether an answer is a rate limit and how long to wait:
// 429 always is; 403 is when it carries Retry-After or no requests remain
// (GitHub's primary and secondary limits). Retry-After wins over the reset
// time; with neither, a minute.
func (l *Lister) rateWait(resp *http.Response, rh rateHeaders) (time.Duration, bool) {
	ra := resp.Header.Get("Retry-After")
	remaining := resp.Header.Get(rh.remaining)
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
			return t.Sub(l.now()), true
		}
	}
	if d, ok := l.resetIn(resp.Header.Get(rh.reset)); ok {
		return d, true
	}
	return time.Minute, true
}

// resetIn reads a reset header: Unix seconds (GitHub, GitLab), or a small
// number of seconds from now (some proxies).
func (l *Lister) resetIn(v string) (time.Duration, bool) {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	if n < 1_000_000_000 {
		return time.Duration(n) * time.Second, true
	}
	d := time.Unix(n, 0).Sub(l.now()) + time.Second // the reset second itself
	if d < 0 {
		d = 0
	}
	return d, true
}

// nextLink finds rel="next" in a Link header.
func nextLink(h string) string {
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

func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(url)"
	}
	u.User = nil
	return u.String()
}

// snippet is the start of an answer's body for an error message, quoted
// so that control characters in it cannot reach the terminal raw.
func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200]
	}
	return strconv.Quote(s)
}

// GitHubAPI is the public GitHub REST API base URL.
const GitHubAPI = "https://api.github.com"

type githubRepo struct {
	FullName string `json:"full_name"`
	CloneURL string `json:"clone_url"`
	Fork     bool   `json:"fork"`
	Archived bool   `json:"archived"`
}

// GitHub lists the repositories of an organisation (kind "org": GET
// /orgs/{name}/repos?type=all) or a user (kind "user": GET
// /users/{name}/repos). token (may be empty) authenticates the API and the
// clones.
func (l *Lister) GitHub(ctx context.Context, apiURL, token, kind, name string) ([]Target, error) {
	if apiURL == "" {
		apiURL = GitHubAPI
	}
	base := strings.TrimRight(apiURL, "/")
	var next string
	switch kind {
	case "org":
		next = base + "/orgs/" + url.PathEscape(name) + "/repos?per_page=100&type=all"
	case "user":
		next = base + "/users/" + url.PathEscape(name) + "/repos?per_page=100&type=owner"
	default:
		return nil, fmt.Errorf("GitHub: unknown owner kind %q", kind)
	}
	h := http.Header{}
	h.Set("Accept", "application/vnd.github+json")
	h.Set("X-GitHub-Api-Version", "2022-11-28")
	h.Set("User-Agent", "achilles-sweep")
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	listing := "listing GitHub repositories of " + name
	rule := newCloneRule(apiURL, "github.com")
	seen := map[string]bool{}
	var out []Target
	for next != "" {
		p, err := l.get(ctx, listing, next, h, githubRate)
		if err != nil {
			return nil, err
		}
		var repos []githubRepo
		if err := json.Unmarshal(p.body, &repos); err != nil {
			return nil, fmt.Errorf("%s: %w", listing, err)
		}
		for _, r := range repos {
			if r.CloneURL == "" {
				continue
			}
			t := rule.target(r.CloneURL, r.FullName, "github", "x-access-token", token)
			t.Fork, t.Archived = r.Fork, r.Archived
			out = append(out, t)
		}
		if next, err = nextPage(next, p.next, listing, seen); err != nil {
			return nil, err
		}
	}
	return out, nil
}

type gitlabProject struct {
	PathWithNamespace string          `json:"path_with_namespace"`
	HTTPURL           string          `json:"http_url_to_repo"`
	Archived          bool            `json:"archived"`
	ForkedFrom        json.RawMessage `json:"forked_from_project"`
}

// GitLab lists the projects of a group and its subgroups (GET
// /api/v4/groups/{id}/projects?include_subgroups=true). group is a numeric
// id or a full path such as "platform/backend". token (may be empty) is
// sent as PRIVATE-TOKEN and used for the clones as oauth2.
func (l *Lister) GitLab(ctx context.Context, baseURL, token, group string) ([]Target, error) {
	if baseURL == "" {
		baseURL = "https://gitlab.com"
	}
	id := strings.ReplaceAll(url.PathEscape(group), "/", "%2F")
	next := strings.TrimRight(baseURL, "/") + "/api/v4/groups/" + id + "/projects?include_subgroups=true&per_page=100&order_by=id&sort=asc"
	h := http.Header{}
	h.Set("User-Agent", "achilles-sweep")
	if token != "" {
		h.Set("PRIVATE-TOKEN", token)
	}
	listing := "listing GitLab projects of " + group
	rule := newCloneRule(baseURL, "gitlab.com")
	seen := map[string]bool{}
	var out []Target
	for next != "" {
		p, err := l.get(ctx, listing, next, h, gitlabRate)
		if err != nil {
			return nil, err
		}
		var projects []gitlabProject
		if err := json.Unmarshal(p.body, &projects); err != nil {
			return nil, fmt.Errorf("%s: %w", listing, err)
		}
		for _, pr := range projects {
			if pr.HTTPURL == "" {
				continue
			}
			t := rule.target(pr.HTTPURL, pr.PathWithNamespace, "gitlab", "oauth2", token)
			t.Fork = len(pr.ForkedFrom) > 0 && string(pr.ForkedFrom) != "null"
			t.Archived = pr.Archived
			out = append(out, t)
		}
		if next, err = nextPage(next, p.next, listing, seen); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// tokenAuth is basic auth with a token for an https clone URL (or http on
// loopback); nil otherwise, so a token never crosses the network in clear.
func tokenAuth(cloneURL, user, token string) transport.AuthMethod {
	if token == "" {
		return nil
	}
	u, err := url.Parse(cloneURL)
	if err != nil || !(u.Scheme == "https" || u.Scheme == "http" && isLoopback(u.Hostname())) {
		return nil
	}
	return &githttp.BasicAuth{Username: user, Password: token}
}

// ErrNoTargets is returned when no source of targets was given.
var ErrNoTargets = errors.New("no repositories to sweep: give --repos, --github-org, --github-user or --gitlab-group")
