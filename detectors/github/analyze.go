package github

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/verify"
)

// Analyzer maps what a GitHub token reaches: its owner, the organisations
// the owner belongs to (with the role in each), and every repository the
// token can see with the permission it has there. All calls are documented
// read-only REST endpoints:
//
//   - GET /user (https://docs.github.com/en/rest/users/users#get-the-authenticated-user);
//     classic tokens list their scopes in X-OAuth-Scopes, fine-grained ones
//     send none (https://docs.github.com/en/rest/using-the-rest-api/troubleshooting-the-rest-api);
//   - GET /user/memberships/orgs (https://docs.github.com/en/rest/orgs/members#list-organization-memberships-for-the-authenticated-user),
//     falling back to GET /user/orgs (https://docs.github.com/en/rest/orgs/orgs#list-organizations-for-the-authenticated-user);
//   - GET /user/repos with its permissions object
//     (https://docs.github.com/en/rest/repos/repos#list-repositories-for-the-authenticated-user);
//   - GET /installation/repositories for app installation tokens
//     (https://docs.github.com/en/rest/apps/installations#list-repositories-accessible-to-the-app-installation).
//
// A response's X-GitHub-SSO header says organisations were left out because
// the token is not authorised for their SAML single sign-on; the report
// says so in Partial.
type Analyzer struct{}

// ID implements analyze.Analyzer: the verifier's id.
func (Analyzer) ID() string { return "github" }

func (a Analyzer) call(path, secret string) verify.Call {
	return verify.Call{
		Verifier: a.ID(), Official: official, Path: path,
		Header: map[string]string{
			"Authorization":        "Bearer " + secret,
			"Accept":               "application/vnd.github+json",
			"X-GitHub-Api-Version": "2022-11-28",
		},
	}
}

// ghRepo is a repository as /user/repos and /installation/repositories
// answer it.
type ghRepo struct {
	FullName    string          `json:"full_name"`
	Private     bool            `json:"private"`
	Permissions map[string]bool `json:"permissions"`
}

// permissionOrder is GitHub's repository roles, strongest first.
var permissionOrder = []string{"admin", "maintain", "push", "triage", "pull"}

// Analyze implements analyze.Analyzer.
func (a Analyzer) Analyze(ctx context.Context, c *verify.Client, req verify.Request) (*analyze.Report, error) {
	rep := &analyze.Report{Analyzer: a.ID(), Kind: kind(req.Secret)}
	sso := &ssoNotes{}
	if strings.HasPrefix(req.Secret, "ghs_") {
		return a.installation(ctx, c, req, rep, sso)
	}

	var user struct {
		Login     string `json:"login"`
		Type      string `json:"type"`
		SiteAdmin bool   `json:"site_admin"`
	}
	resp, err := analyze.GetJSON(ctx, c, req, a.call("/user", req.Secret), &user)
	if err != nil {
		return nil, a.fatal(err, req)
	}
	if user.Login == "" {
		return nil, fmt.Errorf("GET /user: the answer names no user")
	}
	rep.Identity = verify.Scrub(user.Login, req)
	sso.read(resp)
	var scopes []string
	if s := resp.Header.Get("X-OAuth-Scopes"); s != "" {
		for _, sc := range strings.Split(s, ",") {
			if sc = strings.TrimSpace(sc); sc != "" {
				scopes = append(scopes, sc)
			}
		}
		rep.Resources = append(rep.Resources, analyze.Resource{Kind: "token", Name: "scopes", Permissions: scopes})
	}

	orgAdmin := a.organizations(ctx, c, req, rep, sso)
	repos, err := a.listRepos(ctx, c, req, "/user/repos?per_page=100&sort=full_name", sso, func(b []byte) ([]ghRepo, error) {
		var rs []ghRepo
		err := json.Unmarshal(b, &rs)
		return rs, err
	})
	if err != nil {
		rep.Partial = append(rep.Partial, verify.Scrub("repositories: "+err.Error(), req))
	}
	counts := addRepos(rep, repos)

	if user.SiteAdmin {
		rep.Resources = append(rep.Resources, analyze.Resource{Kind: "instance", Name: "site administrator", Permissions: []string{"site_admin"}})
	}
	rep.Partial = append(rep.Partial, sso.notes()...)
	orgs := rep.Count("organization")
	rep.Worst = worst(counts, orgs, orgAdmin, user.SiteAdmin)
	rep.Severity = severity(counts, orgAdmin, user.SiteAdmin, scopes)
	rep.Sort()
	return rep, nil
}

// installation analyzes an app installation token: it has no user, only
// the repositories the installation was granted.
func (a Analyzer) installation(ctx context.Context, c *verify.Client, req verify.Request, rep *analyze.Report, sso *ssoNotes) (*analyze.Report, error) {
	repos, err := a.listRepos(ctx, c, req, "/installation/repositories?per_page=100", sso, func(b []byte) ([]ghRepo, error) {
		var page struct {
			Repositories []ghRepo `json:"repositories"`
		}
		err := json.Unmarshal(b, &page)
		return page.Repositories, err
	})
	if err != nil && len(repos) == 0 {
		return nil, a.fatal(err, req)
	}
	if err != nil {
		rep.Partial = append(rep.Partial, verify.Scrub("repositories: "+err.Error(), req))
	}
	rep.Identity = "app installation"
	counts := addRepos(rep, repos)
	rep.Partial = append(rep.Partial, sso.notes()...)
	rep.Worst = worst(counts, 0, 0, false)
	rep.Severity = severity(counts, 0, false, nil)
	rep.Sort()
	return rep, nil
}

// fatal turns the failure of the first call into the analysis' error.
func (a Analyzer) fatal(err error, req verify.Request) error {
	if analyze.IsStatus(err, http.StatusUnauthorized) {
		return fmt.Errorf("GitHub rejected the token (401 Bad credentials)")
	}
	return fmt.Errorf("GitHub: %s", verify.Scrub(err.Error(), req))
}

// listRepos follows a repository listing's pages. What was read before a
// failure is returned with the error; a listing cut at the page bound
// returns an error saying so.
func (a Analyzer) listRepos(ctx context.Context, c *verify.Client, req verify.Request, path string, sso *ssoNotes, decode func([]byte) ([]ghRepo, error)) ([]ghRepo, error) {
	var all []ghRepo
	truncated, err := analyze.Pages(ctx, c, req, a.call(path, req.Secret), func(r *verify.Response) error {
		sso.read(r)
		rs, err := decode(r.Body)
		if err != nil {
			return fmt.Errorf("the answer is not the documented JSON")
		}
		all = append(all, rs...)
		return nil
	})
	if err != nil {
		return all, err
	}
	if truncated {
		return all, fmt.Errorf("stopped after %d pages (%d repositories read)", analyze.MaxPages, len(all))
	}
	return all, nil
}

// organizations lists the owner's organisations with their role, and
// returns how many it administers.
func (a Analyzer) organizations(ctx context.Context, c *verify.Client, req verify.Request, rep *analyze.Report, sso *ssoNotes) int {
	admins := 0
	var seen []analyze.Resource
	truncated, err := analyze.Pages(ctx, c, req, a.call("/user/memberships/orgs?state=active&per_page=100", req.Secret), func(r *verify.Response) error {
		sso.read(r)
		var ms []struct {
			State        string `json:"state"`
			Role         string `json:"role"`
			Organization struct {
				Login string `json:"login"`
			} `json:"organization"`
		}
		if err := json.Unmarshal(r.Body, &ms); err != nil {
			return fmt.Errorf("the answer is not the documented JSON")
		}
		for _, m := range ms {
			if m.Organization.Login == "" {
				continue
			}
			if m.Role == "admin" {
				admins++
			}
			seen = append(seen, analyze.Resource{Kind: "organization", Name: m.Organization.Login, Permissions: []string{m.Role}})
		}
		return nil
	})
	if err == nil {
		rep.Resources = append(rep.Resources, seen...)
		if truncated {
			rep.Partial = append(rep.Partial, fmt.Sprintf("organizations: stopped after %d pages", analyze.MaxPages))
		}
		return admins
	}
	// Without read:org (or the fine-grained Members permission) the
	// memberships are refused; the plain list still names the
	// organisations, without the role.
	rep.Partial = append(rep.Partial, verify.Scrub("organization roles: "+err.Error(), req))
	seen = nil
	truncated, err = analyze.Pages(ctx, c, req, a.call("/user/orgs?per_page=100", req.Secret), func(r *verify.Response) error {
		sso.read(r)
		var os []struct {
			Login string `json:"login"`
		}
		if err := json.Unmarshal(r.Body, &os); err != nil {
			return fmt.Errorf("the answer is not the documented JSON")
		}
		for _, o := range os {
			if o.Login != "" {
				seen = append(seen, analyze.Resource{Kind: "organization", Name: o.Login, Permissions: []string{"member"}})
			}
		}
		return nil
	})
	rep.Resources = append(rep.Resources, seen...)
	switch {
	case err != nil:
		rep.Partial = append(rep.Partial, verify.Scrub("organizations: "+err.Error(), req))
	case truncated:
		rep.Partial = append(rep.Partial, fmt.Sprintf("organizations: stopped after %d pages", analyze.MaxPages))
	}
	return 0
}

// repoCounts counts repositories by the strongest permission held.
type repoCounts struct {
	admin, maintain, push, read, private int
}

// addRepos adds each repository with the permissions GitHub reports for
// it, and counts them by the strongest.
func addRepos(rep *analyze.Report, repos []ghRepo) repoCounts {
	var n repoCounts
	for _, r := range repos {
		if r.FullName == "" {
			continue
		}
		var perms []string
		for _, p := range permissionOrder {
			if r.Permissions[p] {
				perms = append(perms, p)
			}
		}
		switch {
		case r.Permissions["admin"]:
			n.admin++
		case r.Permissions["maintain"]:
			n.maintain++
		case r.Permissions["push"]:
			n.push++
		default:
			n.read++
		}
		if r.Private {
			n.private++
			perms = append(perms, "private")
		}
		rep.Resources = append(rep.Resources, analyze.Resource{Kind: "repository", Name: r.FullName, Permissions: perms})
	}
	return n
}

func worst(n repoCounts, orgs, orgAdmin int, siteAdmin bool) string {
	var parts []string
	if siteAdmin {
		parts = append(parts, "site administrator of the instance")
	}
	if orgAdmin > 0 {
		parts = append(parts, fmt.Sprintf("owner of %s", plural(orgAdmin, "organization")))
	}
	if n.admin > 0 {
		parts = append(parts, fmt.Sprintf("admin of %s", plural(n.admin, "repository")))
	}
	if w := n.maintain + n.push; w > 0 {
		parts = append(parts, fmt.Sprintf("push to %s", plural(w+n.admin, "repository")))
	}
	if len(parts) == 0 && n.read > 0 {
		parts = append(parts, fmt.Sprintf("read %s (%d private)", plural(n.read, "repository"), n.private))
	}
	if len(parts) == 0 {
		return "reads the profile of its owner only"
	}
	line := strings.Join(parts, ", ")
	if orgs > 0 {
		line += fmt.Sprintf(", in %s", plural(orgs, "organization"))
	}
	return line
}

func severity(n repoCounts, orgAdmin int, siteAdmin bool, scopes []string) analyze.Severity {
	for _, s := range scopes {
		switch s {
		case "admin:org", "admin:enterprise", "delete_repo", "site_admin":
			return analyze.SeverityAdmin
		}
	}
	switch {
	case siteAdmin || orgAdmin > 0 || n.admin > 0:
		return analyze.SeverityAdmin
	case n.maintain+n.push > 0:
		return analyze.SeverityWrite
	case n.private > 0:
		return analyze.SeverityRead
	}
	return analyze.SeverityInfo
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	if strings.HasSuffix(noun, "y") {
		return fmt.Sprintf("%d %sies", n, strings.TrimSuffix(noun, "y"))
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// ssoNotes collects what X-GitHub-SSO headers said: "partial-results;
// organizations=21955855,20582480" when a listing left organisations out,
// "required; url=..." when a resource needs the token authorised for SSO.
type ssoNotes struct {
	orgs     []string
	required bool
}

func (s *ssoNotes) read(r *verify.Response) {
	h := r.Header.Get("X-GitHub-SSO")
	if h == "" {
		return
	}
	for _, part := range strings.Split(h, ";") {
		part = strings.TrimSpace(part)
		switch {
		case part == "required":
			s.required = true
		case strings.HasPrefix(part, "organizations="):
			for _, id := range strings.Split(strings.TrimPrefix(part, "organizations="), ",") {
				if id = strings.TrimSpace(id); id != "" && !contains(s.orgs, id) {
					s.orgs = append(s.orgs, id)
				}
			}
		}
	}
}

func (s *ssoNotes) notes() []string {
	var out []string
	if len(s.orgs) > 0 {
		out = append(out, "SAML SSO: results leave out organizations "+strings.Join(s.orgs, ", ")+" (the token is not authorized for their single sign-on)")
	}
	if s.required {
		out = append(out, "SAML SSO: a resource required the token to be authorized for an organization's single sign-on")
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
