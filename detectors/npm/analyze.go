// Package npm analyzes npm registry tokens: whose they are, which
// packages their owner may publish, the owner's role in the organisations
// those packages belong to, and whether the token itself is read-only or
// limited to IP ranges.
package npm

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/verify"
)

const official = "https://registry.npmjs.org"

// maxScopes bounds how many organisations' member lists are read.
const maxScopes = 10

// Analyzer maps an npm token's reach through the registry's read-only
// endpoints, the ones the npm CLI itself calls:
//
//   - GET /-/whoami: the owner (https://docs.npmjs.com/cli/v10/commands/npm-whoami);
//   - GET /-/npm/v1/tokens: the owner's tokens, read-only and CIDR flags
//     (https://docs.npmjs.com/cli/v10/commands/npm-token, `npm token list`);
//   - GET /-/user/<name>/package: every package the owner can read or
//     write (https://docs.npmjs.com/cli/v10/commands/npm-access, `npm access list packages`);
//   - GET /-/org/<scope>/user: the owner's role in each organisation the
//     packages are scoped under (https://docs.npmjs.com/cli/v10/commands/npm-org, `npm org ls`).
type Analyzer struct{}

// ID implements analyze.Analyzer: the verifier's id.
func (Analyzer) ID() string { return "npm" }

func (a Analyzer) call(path, secret string) verify.Call {
	return verify.Call{Verifier: a.ID(), Official: official, Path: path,
		Header: map[string]string{"Authorization": "Bearer " + secret, "Accept": "application/json"}}
}

// Analyze implements analyze.Analyzer.
func (a Analyzer) Analyze(ctx context.Context, c *verify.Client, req verify.Request) (*analyze.Report, error) {
	var who struct {
		Username string `json:"username"`
	}
	if _, err := analyze.GetJSON(ctx, c, req, a.call("/-/whoami", req.Secret), &who); err != nil {
		if analyze.IsStatus(err, http.StatusUnauthorized, http.StatusForbidden) {
			return nil, fmt.Errorf("npm rejected the token (%d)", statusOf(err))
		}
		return nil, fmt.Errorf("npm: %s", verify.Scrub(err.Error(), req))
	}
	if who.Username == "" {
		return nil, fmt.Errorf("npm: /-/whoami named no user")
	}
	user := who.Username
	rep := &analyze.Report{Analyzer: a.ID(), Identity: verify.Scrub(user, req), Kind: "access token"}

	readOnly := a.tokenFlags(ctx, c, req, rep)

	var pkgs map[string]string
	path := "/-/user/" + url.PathEscape(user) + "/package"
	if _, err := analyze.GetJSON(ctx, c, req, a.call(path, req.Secret), &pkgs); err != nil {
		rep.Partial = append(rep.Partial, verify.Scrub("packages: "+err.Error(), req))
	}
	writable := 0
	scopes := map[string]bool{}
	for name, access := range pkgs {
		// The registry answers "write"/"read"; with ?format=cli
		// "read-write"/"read-only".
		perm := "read"
		if access == "write" || access == "read-write" {
			perm = "write"
			writable++
		}
		rep.Resources = append(rep.Resources, analyze.Resource{Kind: "package", Name: name, Permissions: []string{perm}})
		if strings.HasPrefix(name, "@") {
			if i := strings.IndexByte(name, '/'); i > 1 {
				scopes[name[1:i]] = true
			}
		}
	}

	owners := a.orgRoles(ctx, c, req, rep, user, scopes)

	switch {
	case readOnly:
		rep.Worst = fmt.Sprintf("installs %s (the token is read-only)", plural(len(pkgs), "package"))
		rep.Severity = analyze.SeverityRead
		if len(pkgs) == 0 {
			rep.Severity = analyze.SeverityInfo
		}
	case owners > 0:
		rep.Worst = fmt.Sprintf("owner of %s and can publish %s", plural(owners, "npm organization"), plural(writable, "package"))
		rep.Severity = analyze.SeverityAdmin
	case writable > 0:
		rep.Worst = "can publish " + plural(writable, "npm package")
		rep.Severity = analyze.SeverityWrite
	case len(pkgs) > 0:
		rep.Worst = "reads " + plural(len(pkgs), "package")
		rep.Severity = analyze.SeverityRead
	default:
		rep.Worst = "can publish new packages as " + rep.Identity + " (it has none yet)"
		rep.Severity = analyze.SeverityWrite
	}
	rep.Sort()
	return rep, nil
}

// tokenFlags finds this token in its owner's token list: the list shows
// each token shortened to its first characters, which is enough when
// exactly one matches. It reports whether the token is read-only.
func (a Analyzer) tokenFlags(ctx context.Context, c *verify.Client, req verify.Request, rep *analyze.Report) bool {
	var list struct {
		Objects []struct {
			Token    string   `json:"token"`
			Key      string   `json:"key"`
			Readonly bool     `json:"readonly"`
			Auto     bool     `json:"automation"`
			CIDR     []string `json:"cidr_whitelist"`
		} `json:"objects"`
		URLs struct {
			Next string `json:"next"`
		} `json:"urls"`
	}
	if _, err := analyze.GetJSON(ctx, c, req, a.call("/-/npm/v1/tokens", req.Secret), &list); err != nil {
		rep.Partial = append(rep.Partial, verify.Scrub("token flags: "+err.Error(), req))
		return false
	}
	match := -1
	for i, t := range list.Objects {
		short := strings.TrimRight(t.Token, ".…")
		if len(short) >= 4 && strings.HasPrefix(req.Secret, short) {
			if match >= 0 {
				rep.Partial = append(rep.Partial, "token flags: several listed tokens start like this one")
				return false
			}
			match = i
		}
	}
	if match < 0 {
		if list.URLs.Next != "" {
			rep.Partial = append(rep.Partial, "token flags: the token is not on the first page of its owner's tokens")
		} else {
			rep.Partial = append(rep.Partial, "token flags: the token is not in its owner's token list (a granular token?)")
		}
		return false
	}
	t := list.Objects[match]
	var flags []string
	switch {
	case t.Readonly:
		flags = append(flags, "read-only")
		rep.Kind = "read-only token"
	case t.Auto:
		flags = append(flags, "automation")
		rep.Kind = "automation token (publishes without 2FA)"
	default:
		flags = append(flags, "publish")
		rep.Kind = "publish token"
	}
	for _, cidr := range t.CIDR {
		flags = append(flags, "cidr:"+cidr)
	}
	rep.Resources = append(rep.Resources, analyze.Resource{Kind: "token", Name: verify.Scrub(t.Key, req), Permissions: flags})
	return t.Readonly
}

// orgRoles reads the owner's role in each organisation its packages are
// scoped under (a user's own scope answers 404), and returns how many it
// owns.
func (a Analyzer) orgRoles(ctx context.Context, c *verify.Client, req verify.Request, rep *analyze.Report, user string, scopes map[string]bool) int {
	names := make([]string, 0, len(scopes))
	for s := range scopes {
		names = append(names, s)
	}
	sort.Strings(names)
	if len(names) > maxScopes {
		rep.Partial = append(rep.Partial, fmt.Sprintf("organizations: roles read for the first %d of %d scopes", maxScopes, len(names)))
		names = names[:maxScopes]
	}
	owners := 0
	for _, scope := range names {
		if strings.EqualFold(scope, user) {
			continue
		}
		var members map[string]string
		_, err := analyze.GetJSON(ctx, c, req, a.call("/-/org/"+url.PathEscape(scope)+"/user", req.Secret), &members)
		if analyze.IsStatus(err, http.StatusNotFound) {
			continue
		}
		if err != nil {
			rep.Partial = append(rep.Partial, verify.Scrub("organization "+scope+": "+err.Error(), req))
			continue
		}
		role, ok := members[user]
		if !ok {
			continue
		}
		if role == "owner" {
			owners++
		}
		rep.Resources = append(rep.Resources, analyze.Resource{Kind: "organization", Name: scope, Permissions: []string{role}})
	}
	return owners
}

func statusOf(err error) int {
	for _, s := range []int{http.StatusUnauthorized, http.StatusForbidden} {
		if analyze.IsStatus(err, s) {
			return s
		}
	}
	return 0
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
