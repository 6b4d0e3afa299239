package github

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/achilles-sec/achilles/scanner/finding"
	"github.com/achilles-sec/achilles/scanner/hosted"
)

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
