// Package github reads a GitHub repository's items as a hosted source:
// issues and pull requests with their comments, review comments and
// reviews, releases' notes and assets, GitHub Actions run logs and
// artifacts, and discussions with their comments (GraphQL); an owner's
// repositories, and a user's gists at every revision. Every request goes
// through hosted.API (the token stays with the API host; downloads follow
// GitHub's redirect to its storage without it, and a gist's raw file on
// its own host is fetched without it).
package github

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/achilles-sec/achilles/scanner/hosted"
)

// PublicAPI is github.com's REST API.
const PublicAPI = "https://api.github.com"

// Kinds are what --include selects, and Default those read without it.
var (
	Kinds   = []string{"issues", "prs", "comments", "reviews", "releases", "actions", "discussions", "gists"}
	Default = []string{"issues", "prs", "comments", "reviews", "releases"}
)

// ParseInclude reads a comma-separated --include list ("all": every kind).
func ParseInclude(s string) (map[string]bool, error) {
	out := map[string]bool{}
	for _, k := range strings.Split(s, ",") {
		k = strings.TrimSpace(k)
		switch {
		case k == "":
		case k == "all":
			for _, k := range Kinds {
				out[k] = true
			}
		case slices.Contains(Kinds, k):
			out[k] = true
		default:
			return nil, fmt.Errorf("--include: unknown kind %q (kinds: %s, all)", k, strings.Join(Kinds, ", "))
		}
	}
	return out, nil
}

// NewAPI is a client of the GitHub REST API at base with token (may be
// empty).
func NewAPI(base, token string) *hosted.API {
	if base == "" {
		base = PublicAPI
	}
	h := http.Header{}
	h.Set("Accept", "application/vnd.github+json")
	h.Set("X-GitHub-Api-Version", "2022-11-28")
	h.Set("User-Agent", "achilles")
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	return &hosted.API{Base: strings.TrimRight(base, "/"), Header: h, Rate: hosted.GitHubRate}
}

// Source reads the items Include selects.
type Source struct {
	API     *hosted.API
	Include map[string]bool
	// MaxDownload bounds one download: a log archive, a release asset,
	// an artifact, a gist's truncated file (default 512 MiB). A larger one
	// is a warning and is not read.
	MaxDownload int64
}

func (s *Source) maxDownload() int64 {
	if s.MaxDownload > 0 {
		return s.MaxDownload
	}
	return 512 << 20
}

// List is what a source gives hosted.Source.
type List = func(ctx context.Context, warn func(error), emit func(hosted.Item) error) error

type user struct {
	Login string `json:"login"`
}

type issue struct {
	Number      int             `json:"number"`
	Title       string          `json:"title"`
	Body        string          `json:"body"`
	HTMLURL     string          `json:"html_url"`
	User        user            `json:"user"`
	UpdatedAt   string          `json:"updated_at"`
	Comments    int             `json:"comments"`
	PullRequest json.RawMessage `json:"pull_request"`
}

type comment struct {
	Body      string `json:"body"`
	HTMLURL   string `json:"html_url"`
	User      user   `json:"user"`
	UpdatedAt string `json:"updated_at"`
	// A review's time is submitted_at.
	SubmittedAt string `json:"submitted_at"`
}

// Target is what `achilles github` reads: a repository, one issue or
// pull request of it (Number > 0), an owner's repositories (Repo empty),
// or one gist (Gist set).
type Target struct {
	Owner, Repo string
	Number      int
	Gist        string
}

func (t Target) String() string {
	switch {
	case t.Gist != "":
		return "gist " + t.Gist
	case t.Number > 0:
		return fmt.Sprintf("%s/%s#%d", t.Owner, t.Repo, t.Number)
	case t.Repo != "":
		return t.Owner + "/" + t.Repo
	}
	return t.Owner
}

// validName is an owner's, repository's or gist's name: letters, digits,
// '-', '_' and '.', and not a path step.
func validName(s string) bool {
	if s == "" || s == "." || s == ".." || len(s) > 100 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// ParseTarget reads OWNER/REPO, OWNER, their URLs (https://github.com/OWNER/REPO,
// https://github.com/OWNER; any host: GitHub Enterprise), an issue's or
// pull request's URL, or a gist's (https://gist.github.com/USER/ID, or
// https://HOST/gist/USER/ID on GitHub Enterprise).
func ParseTarget(s string) (Target, error) {
	p := strings.Trim(strings.TrimSpace(s), "/")
	gistHost := false
	if strings.Contains(p, "://") {
		u, err := url.Parse(strings.TrimSpace(s))
		if err != nil || u.Host == "" {
			return Target{}, fmt.Errorf("%q: not a URL", s)
		}
		if u.User != nil {
			return Target{}, fmt.Errorf("%s: a target URL carries no credentials (give the token with --token-env)", hosted.RedactURL(s))
		}
		p = strings.Trim(u.Path, "/")
		gistHost = strings.HasPrefix(strings.ToLower(u.Hostname()), "gist.")
		if rest, ok := strings.CutPrefix(p, "gist/"); ok && !gistHost {
			p, gistHost = rest, true
		}
	}
	parts := strings.Split(p, "/")
	bad := fmt.Errorf("%q is not OWNER/REPO, OWNER, a repository, owner, issue, pull request or gist URL", s)
	for _, part := range parts {
		if !validName(part) {
			return Target{}, bad
		}
	}
	if gistHost {
		// gist.github.com/USER/ID, or the older gist.github.com/ID.
		if len(parts) > 2 {
			return Target{}, fmt.Errorf("%q: want a gist's URL, https://gist.github.com/USER/ID", s)
		}
		t := Target{Gist: parts[len(parts)-1]}
		if len(parts) == 2 {
			t.Owner = parts[0]
		}
		return t, nil
	}
	t := Target{Owner: parts[0]}
	if len(parts) > 1 {
		t.Repo = strings.TrimSuffix(parts[1], ".git")
	}
	switch {
	case len(parts) <= 2:
		if t.Repo == "" && len(parts) == 2 {
			return Target{}, bad
		}
	case len(parts) == 4 && (parts[2] == "issues" || parts[2] == "pull"):
		if _, err := fmt.Sscanf(parts[3], "%d", &t.Number); err != nil || t.Number <= 0 {
			return Target{}, bad
		}
	default:
		return Target{}, bad
	}
	return t, nil
}

// Target lists the target's items; a target that cannot be read at all
// is an error.
func (s *Source) Target(t Target) List {
	switch {
	case t.Gist != "":
		return s.oneGist(t.Gist)
	case t.Repo == "":
		return s.Owner(t.Owner)
	case t.Number == 0:
		repo := s.Repo(t.Owner, t.Repo)
		return func(ctx context.Context, warn func(error), emit func(hosted.Item) error) error {
			return quiet(repo(ctx, warn, emit))
		}
	}
	return func(ctx context.Context, warn func(error), emit func(hosted.Item) error) error {
		repo := repoPath(t.Owner, t.Repo)
		what := "reading " + t.String()
		p, err := s.API.Get(ctx, what, s.API.URL(fmt.Sprintf("%s/issues/%d", repo, t.Number)), "")
		if err != nil {
			return err
		}
		var is issue
		if err := json.Unmarshal(p.Body, &is); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		all := map[string]bool{"issues": true, "prs": true, "comments": true, "reviews": true}
		return quiet(s.issue(ctx, repo, is, all, warn, emit))
	}
}

// quiet drops ErrIncomplete: every problem behind it was a warning.
func quiet(err error) error {
	if errors.Is(err, hosted.ErrIncomplete) {
		return nil
	}
	return err
}

func repoPath(owner, name string) string {
	return "/repos/" + url.PathEscape(owner) + "/" + url.PathEscape(name)
}

// Repo lists everything of owner/name that Include selects: the sweep
// calls it for each repository.
func (s *Source) Repo(owner, name string) List {
	return func(ctx context.Context, warn func(error), emit func(hosted.Item) error) error {
		repo := repoPath(owner, name)
		what := "reading " + owner + "/" + name
		// The repository itself first: a target that cannot be read at
		// all is an error, not an empty scan.
		if err := s.API.Check(ctx, what, s.API.URL(repo)); err != nil {
			return err
		}
		var incomplete bool
		note := func(err error) error {
			if errors.Is(err, hosted.ErrIncomplete) {
				incomplete = true
				return nil
			}
			return err
		}
		if s.Include["issues"] || s.Include["prs"] {
			err := s.API.Pages(ctx, what+" issues", s.API.URL(repo+"/issues?state=all&per_page=100&sort=created&direction=asc"), func(body []byte) error {
				var list []issue
				if err := json.Unmarshal(body, &list); err != nil {
					return fmt.Errorf("%s issues: %w", what, err)
				}
				var pageErr error
				for _, is := range list {
					if err := s.issue(ctx, repo, is, s.Include, warn, emit); err != nil {
						if !errors.Is(err, hosted.ErrIncomplete) {
							return err
						}
						pageErr = err
					}
				}
				return pageErr
			})
			if err := note(err); err != nil {
				return err
			}
		}
		if s.Include["releases"] {
			if err := note(s.releases(ctx, repo, what, warn, emit)); err != nil {
				return err
			}
		}
		if s.Include["actions"] {
			if err := note(s.actions(ctx, repo, what, warn, emit)); err != nil {
				return err
			}
			if err := note(s.artifacts(ctx, owner, name, warn, emit)); err != nil {
				return err
			}
		}
		if s.Include["discussions"] {
			if err := note(s.discussions(ctx, owner, name, warn, emit)); err != nil {
				return err
			}
		}
		if incomplete {
			return hosted.ErrIncomplete
		}
		return nil
	}
}
