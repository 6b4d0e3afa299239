package gitlab

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/verify"
)

// Analyzer maps what a GitLab access token (personal, project or group) or
// OAuth token reaches, through documented read-only REST calls:
//
//   - GET /api/v4/personal_access_tokens/self: the token's name, scopes
//     and expiry (https://docs.gitlab.com/api/personal_access_tokens/#get-single-personal-access-token);
//     OAuth tokens: GET /oauth/token/info (https://docs.gitlab.com/api/oauth2/#retrieve-the-token-information);
//   - GET /api/v4/user: the owner and its admin flag (https://docs.gitlab.com/api/users/#get-the-current-user);
//   - GET /api/v4/projects?min_access_level=10 with keyset pagination and
//     each project's permissions (https://docs.gitlab.com/api/projects/#list-all-projects,
//     https://docs.gitlab.com/api/rest/#keyset-based-pagination);
//   - GET /api/v4/groups?min_access_level=N for N = 10, 40, 50, which
//     tells the role in each group, since the listing does not
//     (https://docs.gitlab.com/api/groups/#list-groups).
//
// What the token can do is its owner's role limited by its scopes: a
// maintainer's read_api token still only reads.
type Analyzer struct{}

// ID implements analyze.Analyzer: the verifier's id.
func (Analyzer) ID() string { return "gitlab" }

// accessLevels names GitLab's roles by access level.
var accessLevels = map[int]string{10: "guest", 15: "planner", 20: "reporter", 30: "developer", 40: "maintainer", 50: "owner"}

func levelName(l int) string {
	if n, ok := accessLevels[l]; ok {
		return n
	}
	return fmt.Sprintf("access level %d", l)
}

func (a Analyzer) call(req verify.Request, path string) verify.Call {
	h := map[string]string{"PRIVATE-TOKEN": req.Secret}
	if req.RuleID == OAuthRule {
		h = map[string]string{"Authorization": "Bearer " + req.Secret}
	}
	return verify.Call{Verifier: a.ID(), Official: official, Path: path, Header: h}
}

// Analyze implements analyze.Analyzer.
func (a Analyzer) Analyze(ctx context.Context, c *verify.Client, req verify.Request) (*analyze.Report, error) {
	switch {
	case req.RuleID == RunnerRule || hasKind(req.Secret, "glrt-") || hasKind(req.Secret, "glrtr-"):
		return nil, fmt.Errorf("a GitLab runner token reaches only the runner API: nothing to map")
	case req.RuleID == SessionRule:
		return nil, fmt.Errorf("GitLab session cookies are not analyzed")
	case req.RuleID == InstancePrefixRule:
		if _, ok := c.Endpoints[a.ID()]; !ok {
			return nil, fmt.Errorf("a self-managed GitLab instance's token: set [verify.endpoints] gitlab to the instance")
		}
	}
	rep := &analyze.Report{Analyzer: a.ID(), Kind: "access token"}
	scopes, tokenName, expires, err := a.token(ctx, c, req)
	if err != nil {
		return nil, err
	}
	if req.RuleID == OAuthRule {
		rep.Kind = "OAuth access token"
	}
	rep.Resources = append(rep.Resources, analyze.Resource{Kind: "token", Name: nonEmpty(tokenName, "scopes"), Permissions: scopes})
	canWrite := hasAny(scopes, "api", "write_repository")
	canAPI := hasAny(scopes, "api", "read_api")

	var user struct {
		ID       int    `json:"id"`
		Username string `json:"username"`
		IsAdmin  bool   `json:"is_admin"`
		Bot      bool   `json:"bot"`
	}
	if _, err := analyze.GetJSON(ctx, c, req, a.call(req, "/api/v4/user"), &user); err != nil {
		rep.Partial = append(rep.Partial, verify.Scrub("user: "+err.Error(), req))
	}
	rep.Identity = nonEmpty(verify.Scrub(user.Username, req), "unknown user")
	if tokenName != "" {
		rep.Identity += " (token " + verify.Scrub(tokenName, req) + ")"
	}
	if expires != "" {
		rep.Identity += ", expires " + expires
	}
	if user.Bot {
		rep.Kind = "project or group access token"
	}
	if user.IsAdmin {
		rep.Resources = append(rep.Resources, analyze.Resource{Kind: "instance", Name: "administrator", Permissions: []string{"is_admin"}})
	}

	byLevel := map[int]int{}
	if canAPI {
		a.projects(ctx, c, req, rep, byLevel)
		a.groups(ctx, c, req, rep)
	} else {
		rep.Partial = append(rep.Partial, "projects and groups: the token's scopes do not include api or read_api")
	}

	owners := 0
	for _, r := range rep.Resources {
		if r.Kind == "group" && contains(r.Permissions, "owner") {
			owners++
		}
	}
	rep.Worst, rep.Severity = gitlabWorst(user.IsAdmin && hasAny(scopes, "api", "sudo", "admin_mode"), canWrite, owners, byLevel, scopes)
	rep.Sort()
	return rep, nil
}

// token reads the token's own record: its scopes, name and expiry.
func (a Analyzer) token(ctx context.Context, c *verify.Client, req verify.Request) (scopes []string, name, expires string, err error) {
	if req.RuleID == OAuthRule {
		var t struct {
			Scope []string `json:"scope"`
		}
		_, err := analyze.GetJSON(ctx, c, req, a.call(req, "/oauth/token/info"), &t)
		if err != nil {
			return nil, "", "", a.fatal(err, req)
		}
		return t.Scope, "", "", nil
	}
	var t struct {
		Name      string   `json:"name"`
		Scopes    []string `json:"scopes"`
		Revoked   bool     `json:"revoked"`
		Active    *bool    `json:"active"`
		ExpiresAt string   `json:"expires_at"`
	}
	if _, err := analyze.GetJSON(ctx, c, req, a.call(req, "/api/v4/personal_access_tokens/self"), &t); err != nil {
		return nil, "", "", a.fatal(err, req)
	}
	if t.Active == nil {
		return nil, "", "", fmt.Errorf("GitLab: the token's record is not the documented JSON")
	}
	if t.Revoked || !*t.Active {
		return nil, "", "", fmt.Errorf("GitLab: the token is revoked or inactive")
	}
	return t.Scopes, t.Name, t.ExpiresAt, nil
}

func (a Analyzer) fatal(err error, req verify.Request) error {
	if analyze.IsStatus(err, http.StatusUnauthorized) {
		return fmt.Errorf("GitLab rejected the token (401 Unauthorized)")
	}
	return fmt.Errorf("GitLab: %s", verify.Scrub(err.Error(), req))
}

// projects lists the projects the token's owner is a member of, with the
// stronger of its project and group access level on each.
func (a Analyzer) projects(ctx context.Context, c *verify.Client, req verify.Request, rep *analyze.Report, byLevel map[int]int) {
	path := "/api/v4/projects?min_access_level=10&per_page=100&pagination=keyset&order_by=id&sort=asc"
	truncated, err := analyze.Pages(ctx, c, req, a.call(req, path), func(r *verify.Response) error {
		var ps []struct {
			PathWithNamespace string `json:"path_with_namespace"`
			Visibility        string `json:"visibility"`
			Permissions       struct {
				ProjectAccess *struct {
					AccessLevel int `json:"access_level"`
				} `json:"project_access"`
				GroupAccess *struct {
					AccessLevel int `json:"access_level"`
				} `json:"group_access"`
			} `json:"permissions"`
		}
		if err := json.Unmarshal(r.Body, &ps); err != nil {
			return fmt.Errorf("the answer is not the documented JSON")
		}
		for _, p := range ps {
			level := 0
			if pa := p.Permissions.ProjectAccess; pa != nil {
				level = pa.AccessLevel
			}
			if ga := p.Permissions.GroupAccess; ga != nil && ga.AccessLevel > level {
				level = ga.AccessLevel
			}
			perms := []string{levelName(level)}
			if p.Visibility != "" {
				perms = append(perms, p.Visibility)
			}
			byLevel[level]++
			rep.Resources = append(rep.Resources, analyze.Resource{Kind: "project", Name: p.PathWithNamespace, Permissions: perms})
		}
		return nil
	})
	switch {
	case err != nil:
		rep.Partial = append(rep.Partial, verify.Scrub("projects: "+err.Error(), req))
	case truncated:
		rep.Partial = append(rep.Partial, fmt.Sprintf("projects: stopped after %d pages", analyze.MaxPages))
	}
}

// groups lists the groups the owner is a member of; the listing has no
// role, so it is asked again for maintainers and owners.
func (a Analyzer) groups(ctx context.Context, c *verify.Client, req verify.Request, rep *analyze.Report) {
	role := map[string]string{}
	var order []string
	for _, level := range []int{10, 40, 50} {
		path := fmt.Sprintf("/api/v4/groups?min_access_level=%d&per_page=100&order_by=id&sort=asc&all_available=false", level)
		truncated, err := analyze.Pages(ctx, c, req, a.call(req, path), func(r *verify.Response) error {
			var gs []struct {
				FullPath string `json:"full_path"`
			}
			if err := json.Unmarshal(r.Body, &gs); err != nil {
				return fmt.Errorf("the answer is not the documented JSON")
			}
			for _, g := range gs {
				if _, ok := role[g.FullPath]; !ok {
					order = append(order, g.FullPath)
				}
				role[g.FullPath] = levelName(level)
				if level == 10 {
					role[g.FullPath] = "member"
				}
			}
			return nil
		})
		switch {
		case err != nil:
			rep.Partial = append(rep.Partial, verify.Scrub(fmt.Sprintf("groups (min_access_level=%d): %v", level, err), req))
		case truncated:
			rep.Partial = append(rep.Partial, fmt.Sprintf("groups (min_access_level=%d): stopped after %d pages", level, analyze.MaxPages))
		}
	}
	for _, g := range order {
		rep.Resources = append(rep.Resources, analyze.Resource{Kind: "group", Name: g, Permissions: []string{role[g]}})
	}
}

func gitlabWorst(admin, canWrite bool, owners int, byLevel map[int]int, scopes []string) (string, analyze.Severity) {
	if admin {
		return "administrator of the GitLab instance, with an api-scoped token", analyze.SeverityAdmin
	}
	count := func(min int) int {
		n := 0
		for l, k := range byLevel {
			if l >= min {
				n += k
			}
		}
		return n
	}
	total := count(0)
	if canWrite {
		var parts []string
		if owners > 0 {
			parts = append(parts, "owner of "+plural(owners, "group"))
		}
		if n := count(40); n > 0 {
			parts = append(parts, "maintainer or owner of "+plural(n, "project"))
		}
		if n := count(30); n > 0 {
			parts = append(parts, "can push to "+plural(n, "project"))
		}
		if len(parts) > 0 {
			sev := analyze.SeverityWrite
			if owners > 0 || count(50) > 0 {
				sev = analyze.SeverityAdmin
			}
			return strings.Join(parts, ", "), sev
		}
	}
	if total > 0 {
		line := "reads " + plural(total, "project")
		if !canWrite && count(30) > 0 {
			line += fmt.Sprintf(" (developer or above on %d, but the token's scopes are read-only: %s)", count(30), strings.Join(scopes, ", "))
		}
		return line, analyze.SeverityRead
	}
	if canWrite {
		return "api access as its owner, who is a member of no project", analyze.SeverityRead
	}
	return "reads its owner's profile only", analyze.SeverityInfo
}

func hasAny(list []string, want ...string) bool {
	for _, w := range want {
		if contains(list, w) {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func nonEmpty(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
