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
	max := s.maxDownload()
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

type artifact struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	Size        int64  `json:"size_in_bytes"`
	Expired     bool   `json:"expired"`
	CreatedAt   string `json:"created_at"`
	UpdatedAt   string `json:"updated_at"`
	WorkflowRun struct {
		ID int64 `json:"id"`
	} `json:"workflow_run"`
}

// artifacts emits each unexpired Actions artifact (a zip, which the
// searcher opens), read once per id and updated_at. The download
// (/actions/artifacts/{id}/zip) is a redirect to storage, followed
// without the token. An artifact names no author; its URL is its web page
// under the run.
func (s *Source) artifacts(ctx context.Context, owner, name string, warn func(error), emit func(hosted.Item) error) error {
	repo := repoPath(owner, name)
	what := "reading the Actions artifacts of " + owner + "/" + name
	return s.API.Pages(ctx, what, s.API.URL(repo+"/actions/artifacts?per_page=100"), func(body []byte) error {
		var page struct {
			Artifacts []artifact `json:"artifacts"`
		}
		if err := json.Unmarshal(body, &page); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		var pageErr error
		for _, a := range page.Artifacts {
			if a.Expired {
				continue // its archive is gone
			}
			key := fmt.Sprintf("artifact:%d", a.ID)
			if s.API.State.Done(key, a.UpdatedAt) {
				continue
			}
			web := fmt.Sprintf("%s/%s/%s/actions/runs/%d/artifacts/%d", s.webBase(), url.PathEscape(owner), url.PathEscape(name), a.WorkflowRun.ID, a.ID)
			dl := "downloading the Actions artifact " + web
			var err error
			if max := s.maxDownload(); a.Size > max {
				err = fmt.Errorf("%s: %d bytes, more than the download limit of %d: not read", dl, a.Size, max)
			} else {
				var it hosted.Item
				it, err = s.download(ctx, dl, s.API.URL(fmt.Sprintf("%s/actions/artifacts/%d/zip", repo, a.ID)), "")
				if err == nil {
					it.Origin = finding.ItemOrigin{Type: "actions-artifact", URL: web, Date: a.CreatedAt}
					it.Path = web + "/" + a.Name + ".zip"
					if err := emit(it); err != nil {
						return err
					}
					s.API.State.Finish(key, a.UpdatedAt)
					continue
				}
			}
			if !itemProblem(ctx, err) {
				return err
			}
			if errors.Is(err, hosted.ErrNotFound) {
				s.API.State.Finish(key, a.UpdatedAt) // expired or deleted since the listing
				continue
			}
			warn(err)
			pageErr = hosted.ErrIncomplete
		}
		return pageErr
	})
}

// webBase is the web address of the API's GitHub: https://github.com for
// api.github.com, https://HOST for GitHub Enterprise's https://HOST/api/v3.
func (s *Source) webBase() string {
	base := strings.TrimRight(s.API.Base, "/")
	if u, err := url.Parse(base); err == nil && strings.EqualFold(u.Host, "api.github.com") {
		return "https://github.com"
	}
	return strings.TrimSuffix(base, "/api/v3")
}
