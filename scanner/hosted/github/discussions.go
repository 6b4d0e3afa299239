package github

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/achilles-sec/achilles/scanner/finding"
	"github.com/achilles-sec/achilles/scanner/hosted"
)

// Discussions are read through GitHub's GraphQL API, the only one that has
// them: a page of discussions with their first comments and each
// comment's first replies, then more of either by the node's id when a
// connection has a next page.
const (
	discussionsQuery = `query($owner: String!, $name: String!, $cursor: String) {
  repository(owner: $owner, name: $name) {
    discussions(first: 25, after: $cursor, orderBy: {field: CREATED_AT, direction: ASC}) {
      pageInfo { hasNextPage endCursor }
      nodes {
        id title body url updatedAt author { login }
        comments(first: 50) { ` + commentsSelection + ` }
      }
    }
  }
}`
	commentsSelection = `pageInfo { hasNextPage endCursor }
          nodes {
            id body url updatedAt author { login }
            replies(first: 50) { pageInfo { hasNextPage endCursor } nodes { id body url updatedAt author { login } } }
          }`
	moreCommentsQuery = `query($id: ID!, $cursor: String) {
  node(id: $id) { ... on Discussion { comments(first: 50, after: $cursor) { ` + commentsSelection + ` } } }
}`
	moreRepliesQuery = `query($id: ID!, $cursor: String) {
  node(id: $id) { ... on DiscussionComment { replies(first: 100, after: $cursor) {
    pageInfo { hasNextPage endCursor } nodes { id body url updatedAt author { login } } } } }
}`
)

type pageInfo struct {
	HasNextPage bool   `json:"hasNextPage"`
	EndCursor   string `json:"endCursor"`
}

type connection[T any] struct {
	PageInfo pageInfo `json:"pageInfo"`
	Nodes    []T      `json:"nodes"`
}

type discussionComment struct {
	ID        string                         `json:"id"`
	Body      string                         `json:"body"`
	URL       string                         `json:"url"`
	UpdatedAt string                         `json:"updatedAt"`
	Author    user                           `json:"author"`
	Replies   *connection[discussionComment] `json:"replies"`
}

type discussion struct {
	ID        string                        `json:"id"`
	Title     string                        `json:"title"`
	Body      string                        `json:"body"`
	URL       string                        `json:"url"`
	UpdatedAt string                        `json:"updatedAt"`
	Author    user                          `json:"author"`
	Comments  connection[discussionComment] `json:"comments"`
}

// graphQLURL is the GraphQL endpoint of the REST base: api.github.com/graphql,
// and GitHub Enterprise's https://HOST/api/graphql for https://HOST/api/v3.
func (s *Source) graphQLURL() string {
	base := strings.TrimRight(s.API.Base, "/")
	if b, ok := strings.CutSuffix(base, "/api/v3"); ok {
		return b + "/api/graphql"
	}
	return base + "/graphql"
}

// graphQL runs one query and decodes its data into out. An answer with
// errors is an error (NOT_FOUND wraps hosted.ErrNotFound); a RATE_LIMITED
// one is asked again after API.Post waited for the reset its headers give.
func (s *Source) graphQL(ctx context.Context, what, query string, vars map[string]any, out any) error {
	req, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		p, err := s.API.Post(ctx, what, s.graphQLURL(), "application/json", req)
		if err != nil {
			return err
		}
		var ans struct {
			Data   json.RawMessage `json:"data"`
			Errors []struct {
				Type    string `json:"type"`
				Message string `json:"message"`
			} `json:"errors"`
		}
		if err := json.Unmarshal(p.Body, &ans); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if len(ans.Errors) > 0 {
			e := ans.Errors[0]
			switch {
			case e.Type == "RATE_LIMITED" && attempt < 3 && p.Header.Get(s.API.Rate.Remaining) == "0":
				continue
			case e.Type == "NOT_FOUND":
				return fmt.Errorf("%s: %s: %w", what, hosted.Snippet([]byte(e.Message)), hosted.ErrNotFound)
			}
			return fmt.Errorf("%s: GraphQL error %s: %s", what, hosted.Snippet([]byte(e.Type)), hosted.Snippet([]byte(e.Message)))
		}
		if err := json.Unmarshal(ans.Data, out); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		return nil
	}
}

// cursors walks a GraphQL connection: page reads the page after cursor
// ("" first) and returns its pageInfo; a cursor that repeats, or more than
// 10,000 pages, is an error rather than a loop.
func cursors(what string, cursor string, page func(cursor string) (pageInfo, error)) error {
	seen := map[string]bool{}
	for {
		if seen[cursor] || len(seen) >= 10000 {
			return fmt.Errorf("%s: the API's cursor goes back to a page already read", what)
		}
		seen[cursor] = true
		pi, err := page(cursor)
		if err != nil {
			return err
		}
		if !pi.HasNextPage || pi.EndCursor == "" {
			return nil
		}
		cursor = pi.EndCursor
	}
}

func cursorVar(c string) any {
	if c == "" {
		return nil
	}
	return c
}

// discussions emits a repository's discussions, their comments and the
// comments' replies. GraphQL has no conditional requests: a rerun asks
// again and emits only what an earlier run did not read at its updatedAt.
func (s *Source) discussions(ctx context.Context, owner, name string, warn func(error), emit func(hosted.Item) error) error {
	what := "reading the discussions of " + owner + "/" + name
	d := &discussionReader{s: s, ctx: ctx, warn: warn, emit: emit}
	err := cursors(what, "", func(cursor string) (pageInfo, error) {
		var data struct {
			Repository *struct {
				Discussions connection[discussion] `json:"discussions"`
			} `json:"repository"`
		}
		if err := s.graphQL(ctx, what, discussionsQuery, map[string]any{"owner": owner, "name": name, "cursor": cursorVar(cursor)}, &data); err != nil {
			return pageInfo{}, err
		}
		if data.Repository == nil {
			return pageInfo{}, fmt.Errorf("%s: no repository in the answer: %w", what, hosted.ErrNotFound)
		}
		for _, disc := range data.Repository.Discussions.Nodes {
			if err := d.discussion(disc); err != nil {
				return pageInfo{}, err
			}
		}
		return data.Repository.Discussions.PageInfo, nil
	})
	if err != nil {
		if !itemProblem(ctx, err) {
			return err
		}
		warn(err)
		return hosted.ErrIncomplete
	}
	if d.incomplete {
		return hosted.ErrIncomplete
	}
	return nil
}

type discussionReader struct {
	s          *Source
	ctx        context.Context
	warn       func(error)
	emit       func(hosted.Item) error
	incomplete bool
}

// item emits one text unless an earlier run read it at this updatedAt.
func (d *discussionReader) item(typ, url, author, date, text string) error {
	if text == "" || d.s.API.State.Done(url, date) {
		return nil
	}
	if err := d.emit(hosted.Item{Origin: finding.ItemOrigin{Type: typ, URL: url, Author: author, Date: date}, Text: []byte(text)}); err != nil {
		return stopped{err}
	}
	d.s.API.State.Finish(url, date)
	return nil
}

// more reads the rest of a connection after its first page; a failure is
// a warning (what was read is kept).
func (d *discussionReader) more(what, query, id, cursor string, page func(data json.RawMessage) (pageInfo, error)) error {
	err := cursors(what, cursor, func(cursor string) (pageInfo, error) {
		var data struct {
			Node json.RawMessage `json:"node"`
		}
		if err := d.s.graphQL(d.ctx, what, query, map[string]any{"id": id, "cursor": cursor}, &data); err != nil {
			return pageInfo{}, err
		}
		return page(data.Node)
	})
	if err != nil {
		if !itemProblem(d.ctx, err) {
			return err
		}
		d.warn(err)
		d.incomplete = true
	}
	return nil
}

func (d *discussionReader) discussion(disc discussion) error {
	if err := d.item("discussion", disc.URL, disc.Author.Login, disc.UpdatedAt, strings.TrimSpace(disc.Title+"\n"+disc.Body)); err != nil {
		return err
	}
	if err := d.comments(disc.Comments); err != nil {
		return err
	}
	if !disc.Comments.PageInfo.HasNextPage {
		return nil
	}
	return d.more("reading the comments of "+disc.URL, moreCommentsQuery, disc.ID, disc.Comments.PageInfo.EndCursor, func(node json.RawMessage) (pageInfo, error) {
		var n struct {
			Comments *connection[discussionComment] `json:"comments"`
		}
		if err := json.Unmarshal(node, &n); err != nil || n.Comments == nil {
			return pageInfo{}, fmt.Errorf("reading the comments of %s: no comments in the answer", disc.URL)
		}
		return n.Comments.PageInfo, d.comments(*n.Comments)
	})
}

func (d *discussionReader) comments(cs connection[discussionComment]) error {
	for _, c := range cs.Nodes {
		if err := d.item("discussion-comment", c.URL, c.Author.Login, c.UpdatedAt, c.Body); err != nil {
			return err
		}
		if c.Replies == nil {
			continue
		}
		for _, r := range c.Replies.Nodes {
			if err := d.item("discussion-comment", r.URL, r.Author.Login, r.UpdatedAt, r.Body); err != nil {
				return err
			}
		}
		if !c.Replies.PageInfo.HasNextPage {
			continue
		}
		err := d.more("reading the replies to "+c.URL, moreRepliesQuery, c.ID, c.Replies.PageInfo.EndCursor, func(node json.RawMessage) (pageInfo, error) {
			var n struct {
				Replies *connection[discussionComment] `json:"replies"`
			}
			if err := json.Unmarshal(node, &n); err != nil || n.Replies == nil {
				return pageInfo{}, fmt.Errorf("reading the replies to %s: no replies in the answer", c.URL)
			}
			for _, r := range n.Replies.Nodes {
				if err := d.item("discussion-comment", r.URL, r.Author.Login, r.UpdatedAt, r.Body); err != nil {
					return pageInfo{}, err
				}
			}
			return n.Replies.PageInfo, nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}
