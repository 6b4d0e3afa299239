// Package gitlab is the GitLab source: a project's issues and merge
// requests with their notes, its snippets and its CI job logs, read through
// the REST API (v4) with hosted.API and scanned as hosted.Items.
package gitlab

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/achilles-sec/achilles/scanner/finding"
	"github.com/achilles-sec/achilles/scanner/hosted"
)

// The kinds --include selects.
const (
	KindIssues   = "issues"
	KindMRs      = "mrs"
	KindNotes    = "notes"
	KindSnippets = "snippets"
	KindJobs     = "jobs"
)

// Kinds are every kind, in the order they are read; DefaultKinds those
// read when none is asked for.
var (
	Kinds        = []string{KindIssues, KindMRs, KindNotes, KindSnippets, KindJobs}
	DefaultKinds = []string{KindIssues, KindMRs, KindNotes, KindSnippets}
)

// NewAPI is a client of a GitLab instance's REST API at base (ending in
// /api/v4) with token (may be empty), sent as PRIVATE-TOKEN and never to
// another origin.
func NewAPI(base, token string) *hosted.API {
	h := http.Header{}
	h.Set("User-Agent", "achilles")
	if token != "" {
		h.Set("PRIVATE-TOKEN", token)
	}
	return &hosted.API{Base: strings.TrimRight(base, "/"), Header: h, Credentials: []string{"PRIVATE-TOKEN"}, Rate: hosted.GitLabRate}
}

// ParseInclude reads an --include list ("all" is every kind).
func ParseInclude(list []string) (map[string]bool, error) {
	if len(list) == 0 {
		list = DefaultKinds
	}
	out := map[string]bool{}
	for _, k := range list {
		k = strings.ToLower(strings.TrimSpace(k))
		switch {
		case k == "all":
			for _, a := range Kinds {
				out[a] = true
			}
		case known(k):
			out[k] = true
		default:
			return nil, fmt.Errorf("--include %q: want %s or all", k, strings.Join(Kinds, ", "))
		}
	}
	return out, nil
}

func known(k string) bool {
	for _, a := range Kinds {
		if a == k {
			return true
		}
	}
	return false
}

// The item types of findings (finding.ItemOrigin.Type).
const (
	TypeIssue        = "issue"
	TypeMergeRequest = "merge-request"
	TypeNote         = "note"
	TypeSnippet      = "snippet"
	TypeJobLog       = "job-log"
)

// Source reads GitLab projects through API (Base: <instance>/api/v4).
type Source struct {
	API *hosted.API
	// Include selects the kinds read (nil: DefaultKinds).
	Include map[string]bool
	// MaxDownload bounds one snippet file or job log (0: no bound).
	MaxDownload int64
}

type lister = func(ctx context.Context, warn func(error), emit func(hosted.Item) error) error

func (s *Source) include(kind string) bool {
	if s.Include == nil {
		for _, k := range DefaultKinds {
			if k == kind {
				return true
			}
		}
		return false
	}
	return s.Include[kind]
}

// ProjectID is a project's (or group's) id in API paths: its full path,
// URL-encoded (group%2Fsub%2Fproj).
func ProjectID(path string) string {
	return url.PathEscape(strings.Trim(path, "/"))
}

type user struct {
	Username string `json:"username"`
}

// issue is an issue or a merge request as the API lists it.
type issue struct {
	IID         int64  `json:"iid"`
	Title       string `json:"title"`
	Description string `json:"description"`
	Author      user   `json:"author"`
	UpdatedAt   string `json:"updated_at"`
	WebURL      string `json:"web_url"`
	UserNotes   int    `json:"user_notes_count"`
}

type note struct {
	ID        int64  `json:"id"`
	Body      string `json:"body"`
	Author    user   `json:"author"`
	UpdatedAt string `json:"updated_at"`
	System    bool   `json:"system"`
}

// Project reads everything of one project (path like group/sub/proj) that
// Include selects. A project that cannot be read (404, 401) is an error;
// a problem with one listing or item is a warning, and the result then
// wraps hosted.ErrIncomplete.
func (s *Source) Project(path string) lister {
	return func(ctx context.Context, warn func(error), emit func(hosted.Item) error) error {
		id := ProjectID(path)
		// The project itself, as a listing of one page so that a later
		// run asks for it conditionally too.
		if err := s.API.Pages(ctx, "GitLab project "+path, s.API.URL("/projects/"+id), func([]byte) error { return nil }); err != nil {
			return err
		}
		incomplete := false
		step := func(err error) error {
			switch {
			case err == nil:
				return nil
			case errors.Is(err, hosted.ErrIncomplete):
				incomplete = true
				return nil
			case ctx.Err() != nil:
				return ctx.Err()
			case isItemError(err):
				warn(err)
				incomplete = true
				return nil
			}
			return err
		}
		if s.include(KindIssues) {
			if err := step(s.issues(ctx, path, "issues", warn, emit)); err != nil {
				return err
			}
		}
		if s.include(KindMRs) {
			if err := step(s.issues(ctx, path, "merge_requests", warn, emit)); err != nil {
				return err
			}
		}
		if s.include(KindSnippets) {
			if err := step(s.snippets(ctx, path, warn, emit)); err != nil {
				return err
			}
		}
		if s.include(KindJobs) {
			if err := step(s.jobs(ctx, path, warn, emit)); err != nil {
				return err
			}
		}
		if incomplete {
			return fmt.Errorf("GitLab project %s: %w", path, hosted.ErrIncomplete)
		}
		return nil
	}
}

// isItemError is an answer about one listing (a feature disabled, a
// listing the token cannot see) rather than the whole target.
func isItemError(err error) bool {
	var se *hosted.StatusError
	if errors.As(err, &se) {
		return se.Code == 404 || se.Code == 403 || se.Code == 410 || se.Code >= 500
	}
	return false
}

// issues lists a project's issues or merge requests (what: the API's
// collection name) and reads each one's notes.
func (s *Source) issues(ctx context.Context, path, what string, warn func(error), emit func(hosted.Item) error) error {
	id := ProjectID(path)
	first := s.API.URL("/projects/" + id + "/" + what + "?scope=all&per_page=100")
	if what == "merge_requests" {
		first = s.API.URL("/projects/" + id + "/merge_requests?state=all&scope=all&per_page=100")
	}
	listing := "GitLab " + strings.ReplaceAll(what, "_", " ") + " of " + path
	return s.API.Pages(ctx, listing, first, func(body []byte) error {
		var items []issue
		if err := json.Unmarshal(body, &items); err != nil {
			return fmt.Errorf("%s: %w", listing, err)
		}
		incomplete := false
		for _, it := range items {
			if err := s.issue(ctx, path, what, it, warn, emit); err != nil {
				if !errors.Is(err, hosted.ErrIncomplete) {
					return err
				}
				incomplete = true
			}
		}
		if incomplete {
			return hosted.ErrIncomplete
		}
		return nil
	})
}

// issue emits one issue or merge request and its notes, unless an earlier
// run finished it at this version.
func (s *Source) issue(ctx context.Context, path, what string, it issue, warn func(error), emit func(hosted.Item) error) error {
	if s.API.State.Done(it.WebURL, it.UpdatedAt) {
		return nil
	}
	typ := TypeIssue
	if what == "merge_requests" {
		typ = TypeMergeRequest
	}
	text := it.Title
	if it.Description != "" {
		text += "\n\n" + it.Description
	}
	if err := emit(hosted.Item{
		Origin: finding.ItemOrigin{Type: typ, URL: it.WebURL, Author: it.Author.Username, Date: it.UpdatedAt},
		Text:   []byte(text),
	}); err != nil {
		return err
	}
	if s.include(KindNotes) && it.UserNotes > 0 {
		first := s.API.URL("/projects/" + ProjectID(path) + "/" + what + "/" + strconv.FormatInt(it.IID, 10) + "/notes?per_page=100&sort=asc")
		listing := "GitLab notes of " + it.WebURL
		err := s.API.Pages(ctx, listing, first, func(body []byte) error {
			var notes []note
			if err := json.Unmarshal(body, &notes); err != nil {
				return fmt.Errorf("%s: %w", listing, err)
			}
			for _, n := range notes {
				if n.System {
					continue
				}
				if err := emit(hosted.Item{
					Origin: finding.ItemOrigin{Type: TypeNote, URL: it.WebURL + "#note_" + strconv.FormatInt(n.ID, 10),
						Author: n.Author.Username, Date: n.UpdatedAt},
					Text: []byte(n.Body),
				}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			if errors.Is(err, hosted.ErrIncomplete) {
				return err
			}
			if ctx.Err() != nil || !isItemError(err) && !isDecodeError(err) {
				return err
			}
			warn(err)
			return hosted.ErrIncomplete
		}
	}
	s.API.State.Finish(it.WebURL, it.UpdatedAt)
	return nil
}

func isDecodeError(err error) bool {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	return errors.As(err, &se) || errors.As(err, &te)
}
