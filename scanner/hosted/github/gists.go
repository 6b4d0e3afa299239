package github

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/achilles-sec/achilles/scanner/finding"
	"github.com/achilles-sec/achilles/scanner/hosted"
)

type gist struct {
	ID          string `json:"id"`
	HTMLURL     string `json:"html_url"`
	Description string `json:"description"`
	Owner       user   `json:"owner"`
	CreatedAt   string `json:"created_at"`
	UpdatedAt   string `json:"updated_at"`
}

type gistCommit struct {
	Version     string `json:"version"`
	CommittedAt string `json:"committed_at"`
	User        user   `json:"user"`
}

type gistFile struct {
	Content   string `json:"content"`
	Truncated bool   `json:"truncated"`
	RawURL    string `json:"raw_url"`
	Size      int64  `json:"size"`
}

type gistComment struct {
	ID        int64  `json:"id"`
	Body      string `json:"body"`
	User      user   `json:"user"`
	UpdatedAt string `json:"updated_at"`
}

// gists reads every public gist of user (GET /users/{user}/gists) at every
// revision, with its comments.
func (s *Source) gists(ctx context.Context, user string, warn func(error), emit func(hosted.Item) error) error {
	what := "reading the gists of " + user
	return s.API.Pages(ctx, what, s.API.URL("/users/"+url.PathEscape(user)+"/gists?per_page=100"), func(body []byte) error {
		var list []gist
		if err := json.Unmarshal(body, &list); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		var pageErr error
		for _, g := range list {
			if err := s.gist(ctx, g, warn, emit); err != nil {
				if !errors.Is(err, hosted.ErrIncomplete) {
					return err
				}
				pageErr = err
			}
		}
		return pageErr
	})
}

// Gists lists every public gist of user at every revision, with its
// comments: the sweep's target of a user's gists.
func (s *Source) Gists(user string) List {
	return func(ctx context.Context, warn func(error), emit func(hosted.Item) error) error {
		return quiet(s.gists(ctx, user, warn, emit))
	}
}

// GistsURL is the web page of user's gists (https://gist.github.com/USER;
// GitHub Enterprise: https://HOST/gist/USER).
func (s *Source) GistsURL(user string) string {
	web := s.webBase()
	if web == "https://github.com" {
		return "https://gist.github.com/" + url.PathEscape(user)
	}
	return web + "/gist/" + url.PathEscape(user)
}

// oneGist reads the gist a target names; a gist that cannot be read is
// the target's error.
func (s *Source) oneGist(id string) List {
	return func(ctx context.Context, warn func(error), emit func(hosted.Item) error) error {
		what := "reading gist " + id
		p, err := s.API.Get(ctx, what, s.API.URL("/gists/"+url.PathEscape(id)), "")
		if err != nil {
			return err
		}
		var g gist
		if err := json.Unmarshal(p.Body, &g); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if g.ID != id {
			return fmt.Errorf("%s: the API answered about gist %q", what, g.ID)
		}
		return quiet(s.gist(ctx, g, warn, emit))
	}
}

// gist emits the description and each file of each revision of a gist
// (GET /gists/{id}/commits, then /gists/{id}/{version}) that an earlier
// run did not read, and the gist's comments. A revision is marked done
// once all its files were read.
func (s *Source) gist(ctx context.Context, g gist, warn func(error), emit func(hosted.Item) error) error {
	base := "/gists/" + url.PathEscape(g.ID)
	incomplete := false
	problem := func(err error) error {
		if !itemProblem(ctx, err) {
			return err
		}
		warn(err)
		incomplete = true
		return nil
	}
	if g.Description != "" && !s.API.State.Done("gist:"+g.ID, g.UpdatedAt) {
		if err := emit(hosted.Item{Origin: finding.ItemOrigin{Type: "gist", URL: g.HTMLURL, Author: g.Owner.Login, Date: g.UpdatedAt},
			Path: g.HTMLURL + "#description", Text: []byte(g.Description)}); err != nil {
			return err
		}
		s.API.State.Finish("gist:"+g.ID, g.UpdatedAt)
	}
	what := "reading the revisions of gist " + g.HTMLURL
	err := s.API.Pages(ctx, what, s.API.URL(base+"/commits?per_page=100"), func(body []byte) error {
		var commits []gistCommit
		if err := json.Unmarshal(body, &commits); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		var pageErr error
		for _, c := range commits {
			if !validName(c.Version) {
				continue
			}
			key := "gist:" + g.ID + "@" + c.Version
			if s.API.State.Done(key, c.CommittedAt) {
				continue
			}
			err := s.gistRevision(ctx, g, c, warn, emit)
			switch {
			case err == nil:
				s.API.State.Finish(key, c.CommittedAt)
			case errors.Is(err, hosted.ErrIncomplete):
				pageErr = err
			default:
				if err := problem(err); err != nil {
					return err
				}
				pageErr = hosted.ErrIncomplete
			}
		}
		return pageErr
	})
	if err != nil && !errors.Is(err, hosted.ErrIncomplete) {
		if err := problem(err); err != nil {
			return err
		}
	} else if err != nil {
		incomplete = true
	}
	what = "reading the comments of gist " + g.HTMLURL
	err = s.API.Pages(ctx, what, s.API.URL(base+"/comments?per_page=100"), func(body []byte) error {
		var cs []gistComment
		if err := json.Unmarshal(body, &cs); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		for _, c := range cs {
			if c.Body == "" {
				continue
			}
			u := fmt.Sprintf("%s#gistcomment-%d", g.HTMLURL, c.ID)
			if err := emit(hosted.Item{Origin: finding.ItemOrigin{Type: "gist-comment", URL: u, Author: c.User.Login, Date: c.UpdatedAt},
				Text: []byte(c.Body)}); err != nil {
				return stopped{err}
			}
		}
		return nil
	})
	if err != nil {
		if err := problem(err); err != nil {
			return err
		}
	}
	if incomplete {
		return hosted.ErrIncomplete
	}
	return nil
}

// gistRevision emits each file of one revision. A file the API truncated
// (over about a megabyte) is read whole from its raw_url, which is on
// another host than the API's (gist.githubusercontent.com): that request
// carries no credential (API.DownloadPublic).
func (s *Source) gistRevision(ctx context.Context, g gist, c gistCommit, warn func(error), emit func(hosted.Item) error) error {
	what := fmt.Sprintf("reading gist %s at revision %s", g.HTMLURL, c.Version)
	p, err := s.API.Get(ctx, what, s.API.URL("/gists/"+url.PathEscape(g.ID)+"/"+url.PathEscape(c.Version)), "")
	if err != nil {
		return err
	}
	var rev struct {
		Files map[string]*gistFile `json:"files"`
	}
	if err := json.Unmarshal(p.Body, &rev); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	web := strings.TrimRight(g.HTMLURL, "/") + "/" + c.Version
	author := c.User.Login
	if author == "" {
		author = g.Owner.Login
	}
	names := make([]string, 0, len(rev.Files))
	for name, f := range rev.Files {
		if f != nil {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	incomplete := false
	for _, name := range names {
		f := rev.Files[name]
		it := hosted.Item{Text: []byte(f.Content)}
		if f.Truncated {
			fileWhat := what + ": file " + fmt.Sprintf("%q", name)
			full, err := s.rawGistFile(ctx, fileWhat, f)
			if err != nil {
				if !itemProblem(ctx, err) {
					return err
				}
				warn(fmt.Errorf("%w (its first part is scanned)", err))
				incomplete = true
			} else {
				it = full
			}
		}
		it.Origin = finding.ItemOrigin{Type: "gist", URL: web, Author: author, Date: c.CommittedAt}
		it.Path = web + "/" + name
		if err := emit(it); err != nil {
			return stopped{err}
		}
	}
	if incomplete {
		return hosted.ErrIncomplete
	}
	return nil
}

// rawGistFile spools a truncated gist file from its raw_url, without
// credentials unless the URL is on the API's own origin.
func (s *Source) rawGistFile(ctx context.Context, what string, f *gistFile) (hosted.Item, error) {
	if max := s.maxDownload(); f.Size > max {
		return hosted.Item{}, fmt.Errorf("%s: %d bytes, more than the download limit of %d: not read whole", what, f.Size, max)
	}
	body, _, err := s.API.DownloadPublic(ctx, what, f.RawURL, "")
	if err != nil {
		return hosted.Item{}, err
	}
	return s.spool(ctx, what, body)
}
