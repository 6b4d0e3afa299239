package gitlab

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/achilles-sec/achilles/scanner/hosted"
)

// Target is what `achilles gitlab` scans.
type Target struct {
	// Instance is the GitLab a URL target names (https://gitlab.example);
	// empty for a bare path.
	Instance string
	// Path is the project's (or group's) full path.
	Path string
	// Group: every project of the group and its subgroups.
	Group bool
	// Collection and IID name one issue ("issues") or merge request
	// ("merge_requests") of the project.
	Collection string
	IID        int64
}

// ParseTarget reads a project path (group/proj), a project or group URL
// (https://gitlab.example/group/proj), or an issue's or a merge request's
// URL (.../-/issues/5, .../-/merge_requests/5).
func ParseTarget(s string) (Target, error) {
	var t Target
	p := strings.TrimSpace(s)
	if strings.HasPrefix(p, "https://") || strings.HasPrefix(p, "http://") {
		u, err := url.Parse(p)
		if err != nil || u.Host == "" {
			return t, fmt.Errorf("%q: not a URL", s)
		}
		if u.User != nil {
			return t, fmt.Errorf("%s: give the token with --token-env, not in the URL", hosted.RedactURL(p))
		}
		t.Instance = hosted.Origin(u)
		p = u.Path
	}
	p = strings.Trim(p, "/")
	if before, after, ok := strings.Cut(p, "/-/"); ok {
		p = before
		parts := strings.Split(strings.Trim(after, "/"), "/")
		if len(parts) < 2 || (parts[0] != "issues" && parts[0] != "merge_requests") {
			return t, fmt.Errorf("%q: want a project, an issue (/-/issues/N) or a merge request (/-/merge_requests/N)", s)
		}
		n, err := strconv.ParseInt(parts[1], 10, 64)
		if err != nil || n <= 0 {
			return t, fmt.Errorf("%q: %q is not an issue or merge request number", s, parts[1])
		}
		t.Collection, t.IID = parts[0], n
	}
	p = strings.TrimSuffix(p, ".git")
	if p == "" || strings.Contains(p, "//") || strings.HasPrefix(p, ".") {
		return t, fmt.Errorf("%q: want a project path such as group/project", s)
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "." || seg == ".." {
			return t, fmt.Errorf("%q: want a project path such as group/project", s)
		}
	}
	t.Path = p
	return t, nil
}

// Target reads what t names. A target that cannot be read (the project,
// group or item is missing or the token cannot see it) is an error;
// problems with single items are warnings.
func (s *Source) Target(t Target) lister {
	switch {
	case t.Collection != "":
		return s.one(t)
	case t.Group:
		return s.group(t.Path)
	}
	project := s.Project(t.Path)
	return func(ctx context.Context, warn func(error), emit func(hosted.Item) error) error {
		return quiet(project(ctx, warn, emit))
	}
}

// quiet drops ErrIncomplete: every problem behind it was a warning.
func quiet(err error) error {
	if errors.Is(err, hosted.ErrIncomplete) {
		return nil
	}
	return err
}

// one reads one issue or merge request and its notes.
func (s *Source) one(t Target) lister {
	return func(ctx context.Context, warn func(error), emit func(hosted.Item) error) error {
		what := "GitLab issue"
		if t.Collection == "merge_requests" {
			what = "GitLab merge request"
		}
		what += " " + t.Path + " " + strconv.FormatInt(t.IID, 10)
		p, err := s.API.Get(ctx, what, s.API.URL("/projects/"+ProjectID(t.Path)+"/"+t.Collection+"/"+strconv.FormatInt(t.IID, 10)), "")
		if err != nil {
			return err
		}
		var it issue
		if err := json.Unmarshal(p.Body, &it); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		return quiet(s.issue(ctx, t.Path, t.Collection, it, warn, emit))
	}
}

// group reads every project of a group and its subgroups.
func (s *Source) group(path string) lister {
	return func(ctx context.Context, warn func(error), emit func(hosted.Item) error) error {
		listing := "GitLab projects of group " + path
		var projects []string
		first := s.API.URL("/groups/" + ProjectID(path) + "/projects?include_subgroups=true&per_page=100&order_by=id&sort=asc")
		err := s.API.Pages(ctx, listing, first, func(body []byte) error {
			var list []struct {
				Path string `json:"path_with_namespace"`
			}
			if err := json.Unmarshal(body, &list); err != nil {
				return fmt.Errorf("%s: %w", listing, err)
			}
			for _, p := range list {
				if p.Path != "" {
					projects = append(projects, p.Path)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, p := range projects {
			if err := quiet(s.Project(p)(ctx, warn, emit)); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				warn(err)
			}
		}
		return nil
	}
}
