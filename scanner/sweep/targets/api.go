package targets

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/achilles-sec/achilles/scanner/hosted"
	"net/http"
	"net/url"
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
	return Target{Key: Normalize(cloneURL), URL: cloneURL, Source: source, Name: name, Auth: tokenAuth(cloneURL, tokenUser, token)}
}

// api is the client of one listing's API, configured as the Lister is.
func (l *Lister) api(base string, header http.Header, rate hosted.RateHeaders, credentials ...string) *hosted.API {
	return &hosted.API{Base: base, Header: header, Credentials: credentials, Rate: rate,
		HTTP: l.HTTP, Sleep: l.Sleep, Now: l.Now, MaxWait: l.MaxWait, Notify: l.Notify}
}

// GitHubAPI is the public GitHub REST API base URL.
const GitHubAPI = "https://api.github.com"

type githubRepo struct {
	FullName string `json:"full_name"`
	CloneURL string `json:"clone_url"`
	Fork     bool   `json:"fork"`
	Archived bool   `json:"archived"`
	HasWiki  *bool  `json:"has_wiki"`
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
	var out []Target
	err := l.api(base, h, hosted.GitHubRate).Pages(ctx, listing, next, func(body []byte) error {
		var repos []githubRepo
		if err := json.Unmarshal(body, &repos); err != nil {
			return fmt.Errorf("%s: %w", listing, err)
		}
		for _, r := range repos {
			if r.CloneURL == "" {
				continue
			}
			t := rule.target(r.CloneURL, r.FullName, "github", "x-access-token", token)
			t.Fork, t.Archived, t.HasWiki = r.Fork, r.Archived, r.HasWiki
			out = append(out, t)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

type gitlabProject struct {
	PathWithNamespace string          `json:"path_with_namespace"`
	HTTPURL           string          `json:"http_url_to_repo"`
	Archived          bool            `json:"archived"`
	ForkedFrom        json.RawMessage `json:"forked_from_project"`
	WikiEnabled       *bool           `json:"wiki_enabled"`
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
	var out []Target
	err := l.api(strings.TrimRight(baseURL, "/")+"/api/v4", h, hosted.GitLabRate, "PRIVATE-TOKEN").Pages(ctx, listing, next, func(body []byte) error {
		var projects []gitlabProject
		if err := json.Unmarshal(body, &projects); err != nil {
			return fmt.Errorf("%s: %w", listing, err)
		}
		for _, pr := range projects {
			if pr.HTTPURL == "" {
				continue
			}
			t := rule.target(pr.HTTPURL, pr.PathWithNamespace, "gitlab", "oauth2", token)
			t.Fork = len(pr.ForkedFrom) > 0 && string(pr.ForkedFrom) != "null"
			t.Archived, t.HasWiki = pr.Archived, pr.WikiEnabled
			out = append(out, t)
		}
		return nil
	})
	if err != nil {
		return nil, err
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
