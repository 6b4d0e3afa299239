package github

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/achilles-sec/achilles/scanner/finding"
	"github.com/achilles-sec/achilles/scanner/hosted"
)

type release struct {
	Name        string  `json:"name"`
	TagName     string  `json:"tag_name"`
	Body        string  `json:"body"`
	HTMLURL     string  `json:"html_url"`
	Author      user    `json:"author"`
	PublishedAt string  `json:"published_at"`
	CreatedAt   string  `json:"created_at"`
	Assets      []asset `json:"assets"`
}

type asset struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	Size        int64  `json:"size"`
	Uploader    user   `json:"uploader"`
	UpdatedAt   string `json:"updated_at"`
	DownloadURL string `json:"browser_download_url"`
}

// releases emits each release's notes and its assets.
func (s *Source) releases(ctx context.Context, repo, what string, warn func(error), emit func(hosted.Item) error) error {
	return s.API.Pages(ctx, what+" releases", s.API.URL(repo+"/releases?per_page=100"), func(body []byte) error {
		var rs []release
		if err := json.Unmarshal(body, &rs); err != nil {
			return fmt.Errorf("%s releases: %w", what, err)
		}
		var pageErr error
		for _, r := range rs {
			date := r.PublishedAt
			if date == "" {
				date = r.CreatedAt
			}
			if err := emit(hosted.Item{Origin: finding.ItemOrigin{Type: "release", URL: r.HTMLURL, Author: r.Author.Login, Date: date},
				Text: []byte(r.Name + "\n" + r.TagName + "\n" + r.Body)}); err != nil {
				return err
			}
			for _, a := range r.Assets {
				if err := s.asset(ctx, repo, r, a, emit); err != nil {
					if !itemProblem(ctx, err) {
						return err
					}
					warn(err)
					pageErr = hosted.ErrIncomplete
				}
			}
		}
		return pageErr
	})
}

// asset downloads one release asset, unless an earlier run read it at
// this version (its id and updated_at). The API answers the asset's URL
// with Accept: application/octet-stream by a redirect to its storage,
// which Download follows without the token. The item's path ends in the
// asset's name, so the searcher opens an archive.
func (s *Source) asset(ctx context.Context, repo string, r release, a asset, emit func(hosted.Item) error) error {
	key := fmt.Sprintf("asset:%d", a.ID)
	if s.API.State.Done(key, a.UpdatedAt) {
		return nil
	}
	web := a.DownloadURL
	if web == "" {
		web = strings.TrimRight(r.HTMLURL, "/") + "/" + a.Name
	}
	what := "downloading the release asset " + web
	if max := s.maxDownload(); a.Size > max {
		return fmt.Errorf("%s: %d bytes, more than the download limit of %d: not read", what, a.Size, max)
	}
	// The asset's URL is made from its id, not taken from the answer.
	it, err := s.download(ctx, what, s.API.URL(fmt.Sprintf("%s/releases/assets/%d", repo, a.ID)), "application/octet-stream")
	if err != nil {
		return err
	}
	it.Origin = finding.ItemOrigin{Type: "release-asset", URL: web, Author: a.Uploader.Login, Date: a.UpdatedAt}
	it.Path = web
	if !strings.HasSuffix(it.Path, "/"+a.Name) {
		it.Path = strings.TrimRight(web, "/") + "/" + a.Name
	}
	if err := emit(it); err != nil {
		return stopped{err}
	}
	s.API.State.Finish(key, a.UpdatedAt)
	return nil
}

// download spools one download of the API, at most MaxDownload bytes.
func (s *Source) download(ctx context.Context, what, rawURL, accept string) (hosted.Item, error) {
	body, _, err := s.API.Download(ctx, what, rawURL, accept)
	if err != nil {
		return hosted.Item{}, err
	}
	return s.spool(ctx, what, body)
}

func (s *Source) spool(ctx context.Context, what string, body io.ReadCloser) (hosted.Item, error) {
	defer body.Close()
	f, n, err := hosted.Spool(ctx, body, s.maxDownload())
	if err != nil {
		return hosted.Item{}, fmt.Errorf("%s: %w", what, err)
	}
	return hosted.Item{File: f, Size: n}, nil
}

// stopped is the searcher's refusal of an item (the scan is stopping):
// never a warning.
type stopped struct{ error }

func (e stopped) Unwrap() error { return e.error }

// itemProblem is whether an error is about one item only (a warning, and
// the rest is read): not a cancelled run, and not a refused token.
func itemProblem(ctx context.Context, err error) bool {
	if ctx.Err() != nil || errors.As(err, new(stopped)) {
		return false
	}
	var se *hosted.StatusError
	if errors.As(err, &se) && se.Code == 401 {
		return false
	}
	return true
}
