package gitlab

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/achilles-sec/achilles/scanner/finding"
	"github.com/achilles-sec/achilles/scanner/hosted"
)

type snippet struct {
	ID        int64  `json:"id"`
	Title     string `json:"title"`
	FileName  string `json:"file_name"`
	Author    user   `json:"author"`
	UpdatedAt string `json:"updated_at"`
	WebURL    string `json:"web_url"`
	Files     []struct {
		Path   string `json:"path"`
		RawURL string `json:"raw_url"`
	} `json:"files"`
}

type job struct {
	ID         int64  `json:"id"`
	Name       string `json:"name"`
	Status     string `json:"status"`
	WebURL     string `json:"web_url"`
	CreatedAt  string `json:"created_at"`
	StartedAt  string `json:"started_at"`
	FinishedAt string `json:"finished_at"`
	User       user   `json:"user"`
}

// download spools one file of the API (a snippet file, a job's trace).
func (s *Source) download(ctx context.Context, what, rawURL string) (hosted.Item, error) {
	body, _, err := s.API.Download(ctx, what, rawURL, "")
	if err != nil {
		return hosted.Item{}, err
	}
	defer body.Close()
	f, n, err := hosted.Spool(ctx, body, s.MaxDownload)
	if err != nil {
		return hosted.Item{}, fmt.Errorf("%s: %w", what, err)
	}
	return hosted.Item{File: f, Size: n}, nil
}

// itemProblem is whether a download's error is about that item only.
func itemProblem(ctx context.Context, err error) bool {
	return ctx.Err() == nil && (isItemError(err) || !errors.As(err, new(*hosted.StatusError)))
}

// snippets reads a project's snippets, each file of each.
func (s *Source) snippets(ctx context.Context, path string, warn func(error), emit func(hosted.Item) error) error {
	id := ProjectID(path)
	listing := "GitLab snippets of " + path
	return s.API.Pages(ctx, listing, s.API.URL("/projects/"+id+"/snippets?per_page=100"), func(body []byte) error {
		var list []snippet
		if err := json.Unmarshal(body, &list); err != nil {
			return fmt.Errorf("%s: %w", listing, err)
		}
		incomplete := false
		for _, sn := range list {
			if s.API.State.Done(sn.WebURL, sn.UpdatedAt) {
				continue
			}
			base := "/projects/" + id + "/snippets/" + strconv.FormatInt(sn.ID, 10)
			type file struct{ path, url string }
			var files []file
			for _, f := range sn.Files {
				ref := snippetRef(f.RawURL)
				files = append(files, file{f.Path, s.API.URL(base + "/files/" + url.PathEscape(ref) + "/" + url.PathEscape(f.Path) + "/raw")})
			}
			if len(files) == 0 {
				files = append(files, file{sn.FileName, s.API.URL(base + "/raw")})
			}
			ok := true
			for _, f := range files {
				what := "GitLab snippet " + sn.WebURL + " file " + strconv.Quote(f.path)
				it, err := s.download(ctx, what, f.url)
				if errors.Is(err, hosted.ErrNotFound) && len(sn.Files) == 1 {
					// An instance without the files endpoint: the older
					// one of a single-file snippet.
					it, err = s.download(ctx, what, s.API.URL(base+"/raw"))
				}
				if err != nil {
					if !itemProblem(ctx, err) {
						return err
					}
					warn(err)
					ok = false
					continue
				}
				it.Origin = finding.ItemOrigin{Type: TypeSnippet, URL: sn.WebURL, Author: sn.Author.Username, Date: sn.UpdatedAt}
				it.Path = sn.WebURL
				if f.path != "" {
					it.Path = sn.WebURL + "/" + f.path
				}
				if err := emit(it); err != nil {
					return err
				}
			}
			if ok {
				s.API.State.Finish(sn.WebURL, sn.UpdatedAt)
			} else {
				incomplete = true
			}
		}
		if incomplete {
			return hosted.ErrIncomplete
		}
		return nil
	})
}

// snippetRef is the ref of a snippet file's raw_url
// (.../-/snippets/1/raw/main/path): the repository's branch, main when the
// URL does not say.
func snippetRef(raw string) string {
	if _, rest, ok := strings.Cut(raw, "/raw/"); ok {
		if ref, _, ok := strings.Cut(rest, "/"); ok && ref != "" {
			return ref
		}
	}
	return "main"
}

// jobs reads the logs of a project's CI jobs that started.
func (s *Source) jobs(ctx context.Context, path string, warn func(error), emit func(hosted.Item) error) error {
	id := ProjectID(path)
	listing := "GitLab CI jobs of " + path
	return s.API.Pages(ctx, listing, s.API.URL("/projects/"+id+"/jobs?per_page=100"), func(body []byte) error {
		var list []job
		if err := json.Unmarshal(body, &list); err != nil {
			return fmt.Errorf("%s: %w", listing, err)
		}
		incomplete := false
		for _, j := range list {
			if j.StartedAt == "" && j.FinishedAt == "" {
				continue // never ran: no log
			}
			// A running job's log grows: only a finished one is marked.
			if s.API.State.Done(j.WebURL, j.FinishedAt) {
				continue
			}
			what := "GitLab CI job log " + j.WebURL
			it, err := s.download(ctx, what, s.API.URL("/projects/"+id+"/jobs/"+strconv.FormatInt(j.ID, 10)+"/trace"))
			if err != nil {
				if !itemProblem(ctx, err) {
					return err
				}
				warn(err)
				incomplete = true
				continue
			}
			it.Origin = finding.ItemOrigin{Type: TypeJobLog, URL: j.WebURL, Author: j.User.Username, Date: j.CreatedAt}
			if err := emit(it); err != nil {
				return err
			}
			s.API.State.Finish(j.WebURL, j.FinishedAt)
		}
		if incomplete {
			return hosted.ErrIncomplete
		}
		return nil
	})
}
