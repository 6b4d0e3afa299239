package github

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"

	"github.com/achilles-sec/achilles/scanner/hosted"
)

// Owner lists the repositories of an organisation (GET /orgs/{o}/repos),
// or of a user when GitHub knows no such organisation (a 404: GET
// /users/{u}/repos, the repositories the user owns), and reads each as
// Repo does; for a user, also their gists when Include selects them. The
// listing is read whole on every run (PagesAll): an unchanged page still
// names repositories whose items changed. An owner that cannot be listed
// is the error; a repository that cannot be read is a warning.
//
// The sweep lists owners itself (targets.Lister, which also checks clone
// URLs for cloning); here only the names are needed, through the source's
// own client.
func (s *Source) Owner(owner string) List {
	return func(ctx context.Context, warn func(error), emit func(hosted.Item) error) error {
		what := "listing the repositories of " + owner
		type repo struct{ owner, name string }
		var repos []repo
		list := func(path string) error {
			repos = repos[:0]
			return s.API.PagesAll(ctx, what, s.API.URL(path), func(body []byte) error {
				var page []struct {
					Name  string `json:"name"`
					Owner user   `json:"owner"`
				}
				if err := json.Unmarshal(body, &page); err != nil {
					return fmt.Errorf("%s: %w", what, err)
				}
				for _, r := range page {
					o := r.Owner.Login
					if o == "" {
						o = owner
					}
					if validName(r.Name) && validName(o) {
						repos = append(repos, repo{o, r.Name})
					}
				}
				return nil
			})
		}
		isUser := false
		err := list("/orgs/" + url.PathEscape(owner) + "/repos?per_page=100&type=all")
		if errors.Is(err, hosted.ErrNotFound) {
			isUser = true
			err = list("/users/" + url.PathEscape(owner) + "/repos?per_page=100&type=owner")
		}
		if err != nil {
			return err
		}
		for _, r := range repos {
			if err := quiet(s.Repo(r.owner, r.name)(ctx, warn, emit)); err != nil {
				if !itemProblem(ctx, err) {
					return err
				}
				warn(err)
			}
		}
		if isUser && s.Include["gists"] {
			if err := quiet(s.gists(ctx, owner, warn, emit)); err != nil {
				if !itemProblem(ctx, err) {
					return err
				}
				warn(err)
			}
		}
		return nil
	}
}
