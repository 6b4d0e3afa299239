// Package gitlabtest is a fake GitLab API on loopback for the tests of the
// GitLab source, of `achilles gitlab` and of `achilles sweep
// --gitlab-group`: one project, group/proj, listed in group "group", with
// two pages of issues, a merge request with notes, a snippet and a CI job
// whose trace redirects to a second (storage) server. Secrets are planted
// in an issue's description, an MR note, the snippet's file and the job's
// log. Git (clones of group/proj.git, group/proj.wiki.git) is served by
// the handler set in Git.
package gitlabtest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// The planted secrets.
const (
	IssueKey   = "AKIAQYLPMN5HHHFPZAM2"
	NoteKey    = "https://hooks.slack.com/services/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"
	SystemKey  = "https://hooks.slack.com/services/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"
	SnippetKey = "sk_live_4eC39HqLyjWDarjtT1zdp7dc51"
	JobKey     = "AKIAZ3MXQW7RTYUP2K4B"
	Token      = "glpat-test-token-0123456789"
	Project    = "group/proj"
)

// Server is the fake API (URL + "/api/v4") and the storage server job
// traces redirect to.
type Server struct {
	URL     string
	Storage string

	mu sync.Mutex
	// Requests are the API requests by escaped path and query, in order;
	// Unconditional those without If-None-Match.
	Requests      []string
	Unconditional []string
	// StorageTokens counts storage requests that carried PRIVATE-TOKEN.
	StorageTokens int
	StorageHits   int
	// RateLimitOnce makes the first issues page answer 429 once.
	RateLimitOnce bool
	limited       bool
	// FailNotes makes the MR's notes answer 404.
	FailNotes bool
	// NotModified are the API requests answered 304, by escaped path.
	NotModified []string
	// Git, when set, serves every request outside /api/ (git's smart HTTP
	// for the clone URLs the group listing gives); they are not recorded.
	Git http.Handler
	// WikiEnabled is the listing's wiki_enabled for group/proj.
	WikiEnabled bool
}

// Configure changes the fake's settings (RateLimitOnce, FailNotes, Git,
// WikiEnabled) while it may be answering: f runs under the fake's lock.
func (s *Server) Configure(f func(*Server)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s)
}

// Reset forgets the requests recorded so far.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Requests, s.Unconditional, s.NotModified = nil, nil, nil
}

// Recorded returns copies of Requests, Unconditional and NotModified.
func (s *Server) Recorded() (requests, unconditional, notModified []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.Requests...), append([]string(nil), s.Unconditional...), append([]string(nil), s.NotModified...)
}

// WebURL is a web address of the fake instance.
func (s *Server) WebURL(p string) string { return s.URL + "/" + strings.TrimLeft(p, "/") }

// New starts the fake (closed with the test).
func New(t testing.TB) *Server {
	s := &Server{RateLimitOnce: true}
	storage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.StorageHits++
		if r.Header.Get("PRIVATE-TOKEN") != "" {
			s.StorageTokens++
		}
		s.mu.Unlock()
		fmt.Fprintf(w, "$ ./deploy.sh\nexport AWS_ACCESS_KEY_ID=%s\nJob succeeded\n", JobKey)
	}))
	t.Cleanup(storage.Close)
	s.Storage = storage.URL
	api := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(api.Close)
	s.URL = api.URL
	return s
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	path := r.URL.EscapedPath()
	s.mu.Lock()
	git, wiki := s.Git, s.WikiEnabled
	s.mu.Unlock()
	if !strings.HasPrefix(path, "/api/") {
		if git != nil {
			git.ServeHTTP(w, r)
			return
		}
		http.NotFound(w, r)
		return
	}
	s.mu.Lock()
	s.Requests = append(s.Requests, path+"?"+r.URL.RawQuery)
	if r.Header.Get("If-None-Match") == "" {
		s.Unconditional = append(s.Unconditional, path)
	}
	s.mu.Unlock()
	if r.Header.Get("PRIVATE-TOKEN") != Token {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"message":"401 Unauthorized"}`)
		return
	}
	proj := "/api/v4/projects/group%2Fproj"
	page := r.URL.Query().Get("page")
	switch {
	case path == proj:
		s.json(w, r, map[string]any{"id": 1, "path_with_namespace": Project, "web_url": s.WebURL(Project)})
	case path == "/api/v4/groups/group/projects":
		s.json(w, r, []map[string]any{{"id": 1, "path_with_namespace": Project, "web_url": s.WebURL(Project),
			"http_url_to_repo": s.WebURL(Project + ".git"), "wiki_enabled": wiki, "archived": false}})
	case path == proj+"/issues" && (page == "" || page == "1"):
		s.mu.Lock()
		limit := s.RateLimitOnce && !s.limited
		s.limited = true
		s.mu.Unlock()
		if limit {
			w.Header().Set("Retry-After", "3")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.Header().Set("X-Next-Page", "2")
		s.json(w, r, []map[string]any{s.issue(1, "Build fails", "It fails on main.", 0)})
	case path == proj+"/issues" && page == "2":
		s.json(w, r, []map[string]any{s.issue(2, "Deploy keys", "Use this:\n\naws_access_key_id = "+IssueKey+"\n", 0)})
	case path == proj+"/merge_requests":
		s.json(w, r, []map[string]any{s.mr()})
	case path == proj+"/merge_requests/3":
		s.json(w, r, s.mr())
	case path == proj+"/issues/2":
		s.json(w, r, s.issue(2, "Deploy keys", "Use this:\n\naws_access_key_id = "+IssueKey+"\n", 0))
	case path == proj+"/merge_requests/3/notes" && s.failNotes():
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"message":"404 Not Found"}`)
	case path == proj+"/merge_requests/3/notes":
		s.json(w, r, []map[string]any{
			{"id": 11, "body": "added 1 commit " + SystemKey, "system": true, "author": map[string]any{"username": "bot"}, "updated_at": "2026-01-03T00:00:00Z"},
			{"id": 12, "body": "Post to " + NoteKey, "system": false, "author": map[string]any{"username": "bob"}, "updated_at": "2026-01-04T00:00:00Z"},
		})
	case path == proj+"/snippets":
		s.json(w, r, []map[string]any{{
			"id": 7, "title": "deploy", "file_name": "deploy.sh", "web_url": s.WebURL(Project + "/-/snippets/7"),
			"author": map[string]any{"username": "carol"}, "updated_at": "2026-01-05T00:00:00Z",
			"files": []map[string]any{{"path": "deploy.sh", "raw_url": s.WebURL(Project + "/-/snippets/7/raw/main/deploy.sh")}},
		}})
	case path == proj+"/snippets/7/files/main/deploy.sh/raw":
		fmt.Fprintf(w, "#!/bin/sh\nSTRIPE_KEY=%s\n", SnippetKey)
	case path == proj+"/jobs":
		s.json(w, r, []map[string]any{
			{"id": 42, "name": "deploy", "status": "success", "web_url": s.WebURL(Project + "/-/jobs/42"),
				"created_at": "2026-01-06T00:00:00Z", "started_at": "2026-01-06T00:01:00Z", "finished_at": "2026-01-06T00:02:00Z",
				"user": map[string]any{"username": "dave"}},
			{"id": 43, "name": "manual", "status": "manual", "web_url": s.WebURL(Project + "/-/jobs/43"),
				"created_at": "2026-01-06T00:00:00Z", "user": map[string]any{"username": "dave"}},
		})
	case path == proj+"/jobs/42/trace":
		http.Redirect(w, r, s.Storage+"/logs/42.log?sig=abc", http.StatusFound)
	default:
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"message":"404 Not Found"}`)
	}
}

func (s *Server) failNotes() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.FailNotes
}

func (s *Server) mr() map[string]any {
	mr := s.issue(3, "Add deploy", "Adds the deploy job.", 2)
	mr["web_url"] = s.WebURL(Project + "/-/merge_requests/3")
	return mr
}

func (s *Server) issue(iid int, title, desc string, notes int) map[string]any {
	return map[string]any{
		"iid": iid, "title": title, "description": desc, "user_notes_count": notes,
		"author": map[string]any{"username": "alice"}, "updated_at": fmt.Sprintf("2026-01-0%dT00:00:00Z", iid),
		"web_url": s.WebURL(fmt.Sprintf("%s/-/issues/%d", Project, iid)),
	}
}

// json answers v with an ETag, or 304 when the request's If-None-Match
// is that ETag.
func (s *Server) json(w http.ResponseWriter, r *http.Request, v any) {
	b, _ := json.Marshal(v)
	sum := sha256.Sum256(b)
	etag := `W/"` + hex.EncodeToString(sum[:8]) + `"`
	if r.Header.Get("If-None-Match") == etag {
		s.mu.Lock()
		s.NotModified = append(s.NotModified, r.URL.EscapedPath())
		s.mu.Unlock()
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("ETag", etag)
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
}
