// Package github reads a GitHub repository's items as a hosted source:
// issues and pull requests with their comments, review comments and
// reviews, releases' notes, and GitHub Actions run logs. Every request
// goes through hosted.API (the token stays with the API host; log
// downloads follow GitHub's redirect to its storage without it).
package github

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/achilles-sec/achilles/scanner/finding"
	"github.com/achilles-sec/achilles/scanner/hosted"
)

// PublicAPI is github.com's REST API.
const PublicAPI = "https://api.github.com"

// Kinds are what --include selects, and Default those read without it.
var (
	Kinds   = []string{"issues", "prs", "comments", "reviews", "releases", "actions"}
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
	// MaxDownload bounds one log archive (default 512 MiB).
	MaxDownload int64
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

// Target is what `achilles github` reads: a repository, or one issue or
// pull request of it (Number > 0).
type Target struct {
	Owner, Repo string
	Number      int
}

// ParseTarget reads OWNER/REPO, https://github.com/OWNER/REPO (any host:
// GitHub Enterprise) or an issue's or pull request's URL.
func ParseTarget(s string) (Target, error) {
	p := strings.Trim(s, "/")
	if u, err := url.Parse(s); err == nil && u.Host != "" {
		p = strings.Trim(u.Path, "/")
	}
	parts := strings.Split(p, "/")
	bad := fmt.Errorf("%q is not OWNER/REPO, a repository URL or an issue or pull request URL", s)
	if len(parts) < 2 || parts[0] == "" || parts[1] == "" {
		return Target{}, bad
	}
	t := Target{Owner: parts[0], Repo: strings.TrimSuffix(parts[1], ".git")}
	switch {
	case len(parts) == 2:
	case len(parts) == 4 && (parts[2] == "issues" || parts[2] == "pull"):
		if _, err := fmt.Sscanf(parts[3], "%d", &t.Number); err != nil || t.Number <= 0 {
			return Target{}, bad
		}
	default:
		return Target{}, bad
	}
	return t, nil
}

// Target lists the target's items; a repository or item that cannot be
// read at all is an error.
func (s *Source) Target(t Target) List {
	if t.Number == 0 {
		return s.Repo(t.Owner, t.Repo)
	}
	return func(ctx context.Context, warn func(error), emit func(hosted.Item) error) error {
		repo := "/repos/" + url.PathEscape(t.Owner) + "/" + url.PathEscape(t.Repo)
		what := fmt.Sprintf("reading %s/%s#%d", t.Owner, t.Repo, t.Number)
		p, err := s.API.Get(ctx, what, s.API.URL(fmt.Sprintf("%s/issues/%d", repo, t.Number)), "")
		if err != nil {
			return err
		}
		var is issue
		if err := json.Unmarshal(p.Body, &is); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		all := map[string]bool{"issues": true, "prs": true, "comments": true, "reviews": true}
		err = s.issue(ctx, repo, is, all, warn, emit)
		if errors.Is(err, hosted.ErrIncomplete) {
			return nil
		}
		return err
	}
}

// Repo lists everything of owner/name that Include selects: the sweep
// calls it for each repository.
func (s *Source) Repo(owner, name string) List {
	return func(ctx context.Context, warn func(error), emit func(hosted.Item) error) error {
		repo := "/repos/" + url.PathEscape(owner) + "/" + url.PathEscape(name)
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
			if err := note(s.releases(ctx, repo, what, emit)); err != nil {
				return err
			}
		}
		if s.Include["actions"] {
			if err := note(s.actions(ctx, repo, what, warn, emit)); err != nil {
				return err
			}
		}
		if incomplete {
			return hosted.ErrIncomplete
		}
		return nil
	}
}

// issue emits an issue or pull request and, unless an earlier run read
// it at this version, its comments, review comments and reviews.
func (s *Source) issue(ctx context.Context, repo string, is issue, include map[string]bool, warn func(error), emit func(hosted.Item) error) error {
	pr := len(is.PullRequest) > 0 && string(is.PullRequest) != "null"
	if pr && !include["prs"] || !pr && !include["issues"] {
		return nil
	}
	if s.API.State.Done(is.HTMLURL, is.UpdatedAt) {
		return nil
	}
	typ := "issue"
	if pr {
		typ = "pull-request"
	}
	if err := emit(hosted.Item{Origin: finding.ItemOrigin{Type: typ, URL: is.HTMLURL, Author: is.User.Login, Date: is.UpdatedAt},
		Text: []byte(is.Title + "\n" + is.Body)}); err != nil {
		return err
	}
	type list struct {
		on   bool
		path string
		typ  string
	}
	lists := []list{
		{include["comments"] && is.Comments > 0, fmt.Sprintf("%s/issues/%d/comments?per_page=100", repo, is.Number), "issue-comment"},
		{pr && include["reviews"], fmt.Sprintf("%s/pulls/%d/comments?per_page=100", repo, is.Number), "review-comment"},
		{pr && include["reviews"], fmt.Sprintf("%s/pulls/%d/reviews?per_page=100", repo, is.Number), "review"},
	}
	incomplete := false
	for _, l := range lists {
		if !l.on {
			continue
		}
		what := fmt.Sprintf("reading the %ss of %s", l.typ, is.HTMLURL)
		err := s.API.Pages(ctx, what, s.API.URL(l.path), func(body []byte) error {
			var cs []comment
			if err := json.Unmarshal(body, &cs); err != nil {
				return fmt.Errorf("%s: %w", what, err)
			}
			for _, c := range cs {
				if c.Body == "" {
					continue
				}
				date := c.UpdatedAt
				if date == "" {
					date = c.SubmittedAt
				}
				u := c.HTMLURL
				if u == "" {
					u = is.HTMLURL
				}
				if err := emit(hosted.Item{Origin: finding.ItemOrigin{Type: l.typ, URL: u, Author: c.User.Login, Date: date}, Text: []byte(c.Body)}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			warn(err)
			incomplete = true
		}
	}
	if incomplete {
		return hosted.ErrIncomplete
	}
	s.API.State.Finish(is.HTMLURL, is.UpdatedAt)
	return nil
}

type release struct {
	Name        string `json:"name"`
	TagName     string `json:"tag_name"`
	Body        string `json:"body"`
	HTMLURL     string `json:"html_url"`
	Author      user   `json:"author"`
	PublishedAt string `json:"published_at"`
	CreatedAt   string `json:"created_at"`
}

func (s *Source) releases(ctx context.Context, repo, what string, emit func(hosted.Item) error) error {
	return s.API.Pages(ctx, what+" releases", s.API.URL(repo+"/releases?per_page=100"), func(body []byte) error {
		var rs []release
		if err := json.Unmarshal(body, &rs); err != nil {
			return fmt.Errorf("%s releases: %w", what, err)
		}
		for _, r := range rs {
			date := r.PublishedAt
			if date == "" {
				date = r.CreatedAt
			}
			if err := emit(hosted.Item{Origin: finding.ItemOrigin{Type: "release", URL: r.HTMLURL, Author: r.Author.Login, Date: date},
				Text: []byte(r.Name + "\n" + r.TagName + "\n" + r.Body)}); err != nil {
				return err
			}
		}
		return nil
	})
}

type run struct {
	ID        int64  `json:"id"`
	HTMLURL   string `json:"html_url"`
	Actor     user   `json:"actor"`
	CreatedAt string `json:"created_at"`
	UpdatedAt string `json:"updated_at"`
	Status    string `json:"status"`
}

// actions emits each finished workflow run's log archive (a zip of the
// jobs' logs, which the searcher opens), read once per run.
func (s *Source) actions(ctx context.Context, repo, what string, warn func(error), emit func(hosted.Item) error) error {
	max := s.MaxDownload
	if max <= 0 {
		max = 512 << 20
	}
	return s.API.Pages(ctx, what+" workflow runs", s.API.URL(repo+"/actions/runs?per_page=100"), func(body []byte) error {
		var page struct {
			Runs []run `json:"workflow_runs"`
		}
		if err := json.Unmarshal(body, &page); err != nil {
			return fmt.Errorf("%s workflow runs: %w", what, err)
		}
		sort.Slice(page.Runs, func(i, j int) bool { return page.Runs[i].ID < page.Runs[j].ID })
		var pageErr error
		for _, r := range page.Runs {
			if r.Status != "" && r.Status != "completed" {
				continue // its log is not final yet
			}
			key := fmt.Sprintf("run:%d", r.ID)
			if s.API.State.Done(key, r.UpdatedAt) {
				continue
			}
			logWhat := fmt.Sprintf("downloading the logs of %s", r.HTMLURL)
			body, _, err := s.API.Download(ctx, logWhat, s.API.URL(fmt.Sprintf("%s/actions/runs/%d/logs", repo, r.ID)), "")
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				if errors.Is(err, hosted.ErrNotFound) {
					s.API.State.Finish(key, r.UpdatedAt) // logs expired or deleted
					continue
				}
				warn(err)
				pageErr = hosted.ErrIncomplete
				continue
			}
			f, n, err := hosted.Spool(ctx, body, max)
			body.Close()
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				warn(fmt.Errorf("%s: %w", logWhat, err))
				pageErr = hosted.ErrIncomplete
				continue
			}
			if err := emit(hosted.Item{Origin: finding.ItemOrigin{Type: "actions-log", URL: r.HTMLURL, Author: r.Actor.Login, Date: r.CreatedAt},
				Path: fmt.Sprintf("%s/actions/runs/%d/logs.zip", strings.TrimPrefix(repo, "/repos/"), r.ID), File: f, Size: n}); err != nil {
				return err
			}
			s.API.State.Finish(key, r.UpdatedAt)
		}
		return pageErr
	})
}
