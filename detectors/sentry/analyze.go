// Package sentry analyzes Sentry auth tokens (user auth tokens and
// organization tokens, sntrys_ / sntryu_): their scopes, and the
// organisations and projects they reach.
package sentry

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/verify"
)

const official = "https://sentry.io"

// Analyzer maps a Sentry token's reach through read-only endpoints:
//
//   - GET /api/0/: the token's scopes and user (https://docs.sentry.io/api/auth/);
//   - GET /api/0/organizations/ (https://docs.sentry.io/api/organizations/list-your-organizations/);
//   - GET /api/0/projects/ (https://docs.sentry.io/api/projects/list-your-projects/).
//
// Listings follow the Link header's rel="next" only while it says
// results="true": Sentry always sends a next cursor, even past the end
// (https://docs.sentry.io/api/pagination/).
type Analyzer struct{}

// ID implements analyze.Analyzer: the verifier's id.
func (Analyzer) ID() string { return "sentry" }

func (a Analyzer) call(path, secret string) verify.Call {
	return verify.Call{Verifier: a.ID(), Official: official, Path: path,
		Header: map[string]string{"Authorization": "Bearer " + secret, "Accept": "application/json"}}
}

// Scopes by what they let a token do.
var (
	adminScopes = []string{"org:admin", "member:admin", "project:admin", "team:admin", "org:write"}
	writeScopes = []string{"project:write", "project:releases", "event:write", "event:admin", "team:write", "member:write", "alerts:write", "org:integrations"}
)

// Analyze implements analyze.Analyzer.
func (a Analyzer) Analyze(ctx context.Context, c *verify.Client, req verify.Request) (*analyze.Report, error) {
	var root struct {
		Auth *struct {
			Scopes []string `json:"scopes"`
		} `json:"auth"`
		User *struct {
			Email    string `json:"email"`
			Username string `json:"username"`
		} `json:"user"`
	}
	if _, err := analyze.GetJSON(ctx, c, req, a.call("/api/0/", req.Secret), &root); err != nil {
		if analyze.IsStatus(err, http.StatusUnauthorized) {
			return nil, fmt.Errorf("sentry rejected the token (401 Invalid token)")
		}
		return nil, fmt.Errorf("sentry: %s", verify.Scrub(err.Error(), req))
	}
	if root.Auth == nil {
		return nil, fmt.Errorf("sentry: GET /api/0/ did not describe the token")
	}
	rep := &analyze.Report{Analyzer: a.ID(), Kind: "auth token"}
	switch {
	case strings.HasPrefix(req.Secret, "sntrys_"):
		rep.Kind = "organization token"
	case strings.HasPrefix(req.Secret, "sntryu_"):
		rep.Kind = "user auth token"
	}
	if u := root.User; u != nil {
		rep.Identity = verify.Scrub(firstNonEmpty(u.Email, u.Username), req)
	}
	scopes := root.Auth.Scopes
	rep.Resources = append(rep.Resources, analyze.Resource{Kind: "token", Name: "scopes", Permissions: scopes})

	var orgs []string
	err := a.list(ctx, c, req, "/api/0/organizations/?member=1", func(b []byte) error {
		var os []struct {
			Slug string `json:"slug"`
		}
		if err := json.Unmarshal(b, &os); err != nil {
			return err
		}
		for _, o := range os {
			orgs = append(orgs, o.Slug)
			rep.Resources = append(rep.Resources, analyze.Resource{Kind: "organization", Name: o.Slug, Permissions: prefixed(scopes, "org:", "member:", "team:")})
		}
		return nil
	})
	if err != nil {
		rep.Partial = append(rep.Partial, verify.Scrub("organizations: "+err.Error(), req))
	}
	if rep.Identity == "" && len(orgs) == 1 {
		rep.Identity = "organization " + orgs[0]
	}
	err = a.list(ctx, c, req, "/api/0/projects/", func(b []byte) error {
		var ps []struct {
			Slug         string `json:"slug"`
			Organization struct {
				Slug string `json:"slug"`
			} `json:"organization"`
		}
		if err := json.Unmarshal(b, &ps); err != nil {
			return err
		}
		for _, p := range ps {
			name := p.Slug
			if p.Organization.Slug != "" {
				name = p.Organization.Slug + "/" + p.Slug
			}
			rep.Resources = append(rep.Resources, analyze.Resource{Kind: "project", Name: name, Permissions: prefixed(scopes, "project:", "event:", "alerts:")})
		}
		return nil
	})
	if err != nil {
		rep.Partial = append(rep.Partial, verify.Scrub("projects: "+err.Error(), req))
	}

	where := plural(rep.Count("organization"), "organization") + ", " + plural(rep.Count("project"), "project")
	switch {
	case hasAny(scopes, adminScopes):
		rep.Severity = analyze.SeverityAdmin
		rep.Worst = "administers Sentry (" + strings.Join(intersect(scopes, adminScopes), ", ") + ") in " + where
	case hasAny(scopes, writeScopes):
		rep.Severity = analyze.SeverityWrite
		rep.Worst = "changes Sentry data (" + strings.Join(intersect(scopes, writeScopes), ", ") + ") in " + where
	case len(scopes) > 0:
		rep.Severity = analyze.SeverityRead
		rep.Worst = "reads error events and settings of " + where
	default:
		rep.Worst = "a token without scopes"
	}
	rep.Sort()
	return rep, nil
}

// list follows a Sentry listing's pages while the next link says there
// are results, up to analyze.MaxPages.
func (a Analyzer) list(ctx context.Context, c *verify.Client, req verify.Request, path string, each func([]byte) error) error {
	base, err := c.BaseURL(a.ID(), official)
	if err != nil {
		return err
	}
	for page := 0; page < analyze.MaxPages; page++ {
		resp, err := analyze.GetJSON(ctx, c, req, a.call(path, req.Secret), nil)
		if err != nil {
			return err
		}
		if err := each(resp.Body); err != nil {
			return fmt.Errorf("the answer is not the documented JSON")
		}
		next, more := nextPage(resp.Header.Get("Link"))
		if !more {
			return nil
		}
		p, ok := underBase(base, next)
		if !ok {
			return fmt.Errorf("refusing a next page on another host")
		}
		path = p
	}
	return fmt.Errorf("stopped after %d pages", analyze.MaxPages)
}

// nextPage reads Sentry's Link header: the rel="next" target and whether
// its results attribute says it has any.
func nextPage(h string) (string, bool) {
	for _, part := range strings.Split(h, ",") {
		seg := strings.Split(part, ";")
		if len(seg) < 2 {
			continue
		}
		target := strings.Trim(strings.TrimSpace(seg[0]), "<>")
		isNext, results := false, false
		for _, p := range seg[1:] {
			p = strings.ReplaceAll(strings.TrimSpace(p), " ", "")
			switch p {
			case `rel="next"`, "rel=next":
				isNext = true
			case `results="true"`, "results=true":
				results = true
			}
		}
		if isNext {
			return target, results
		}
	}
	return "", false
}

// underBase turns a next link into a path under base, if it is on base's
// host.
func underBase(base, link string) (string, bool) {
	b, err1 := url.Parse(base)
	l, err2 := url.Parse(link)
	if err1 != nil || err2 != nil || l.Scheme != b.Scheme || l.Host != b.Host || l.User != nil {
		return "", false
	}
	prefix := strings.TrimSuffix(b.Path, "/")
	if !strings.HasPrefix(l.Path, prefix+"/") {
		return "", false
	}
	p := strings.TrimPrefix(l.Path, prefix)
	if l.RawQuery != "" {
		p += "?" + l.RawQuery
	}
	return p, true
}

func prefixed(scopes []string, prefixes ...string) []string {
	var out []string
	for _, s := range scopes {
		for _, p := range prefixes {
			if strings.HasPrefix(s, p) {
				out = append(out, s)
				break
			}
		}
	}
	return out
}

func hasAny(scopes, set []string) bool { return len(intersect(scopes, set)) > 0 }

func intersect(scopes, set []string) []string {
	var out []string
	for _, s := range scopes {
		for _, x := range set {
			if s == x {
				out = append(out, s)
			}
		}
	}
	return out
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
