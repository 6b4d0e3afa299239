package scanner

import (
	"context"
	"net/url"
	"regexp"
	"strings"
)

// RepoInfo names a repository for reports that record where a scan came
// from (SARIF's versionControlProvenance). Fields are empty when unknown.
type RepoInfo struct {
	// URI is the origin remote as a URI, with any credentials removed.
	URI string
	// Revision is the commit at HEAD; Branch the branch checked out.
	Revision string
	Branch   string
}

// RepositoryInfo reads the origin remote, HEAD and its branch of the
// repository at dir. It never fails: what git cannot tell is left empty.
func RepositoryInfo(ctx context.Context, dir string) RepoInfo {
	out := func(args ...string) string {
		b, err := gitCommand(ctx, dir, args...).Output()
		if err != nil {
			return ""
		}
		return strings.TrimSpace(string(b))
	}
	return RepoInfo{
		URI:      remoteURI(out("config", "--get", "remote.origin.url")),
		Revision: out("rev-parse", "--verify", "-q", "HEAD"),
		Branch:   out("symbolic-ref", "-q", "--short", "HEAD"),
	}
}

// scpLike is git's "user@host:path" remote form.
var scpLike = regexp.MustCompile(`^(?:([A-Za-z0-9._-]+)@)?([A-Za-z0-9.-]+):([^/].*)$`)

// remoteURI turns a git remote into an absolute URI that names the
// repository and nothing else: "git@github.com:o/r.git" becomes
// "ssh://github.com/o/r.git", and user information (a token in
// "https://x:TOKEN@host/o/r", an ssh user), a query string and a fragment
// are dropped, as a report that records it may be published. A local path
// or anything else that is not a URI gives "".
func remoteURI(remote string) string {
	if remote == "" {
		return ""
	}
	if !strings.Contains(remote, "://") {
		m := scpLike.FindStringSubmatch(remote)
		if m == nil {
			return ""
		}
		path, _, _ := strings.Cut(m[3], "?")
		path, _, _ = strings.Cut(path, "#")
		u := url.URL{Scheme: "ssh", Host: m[2], Path: "/" + path}
		return u.String()
	}
	u, err := url.Parse(remote)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return ""
	}
	clean := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath}
	return clean.String()
}

// WorkTreeTop returns the top folder of the work tree holding dir, as git
// finds it (dir may be a subfolder, or a linked work tree made by `git
// worktree add`), or "" with bare set when dir is a bare repository. Both
// are zero when git does not recognise dir; the scan then reports why.
func WorkTreeTop(ctx context.Context, dir string) (top string, bare bool) {
	// One git run: rev-parse prints each answer in turn, so a bare
	// repository prints "true" before --show-toplevel fails.
	out, err := gitCommand(ctx, dir, "rev-parse", "--is-bare-repository", "--show-toplevel").Output()
	isBare, rest, _ := strings.Cut(string(out), "\n")
	if isBare == "true" {
		return "", true
	}
	if err != nil || isBare != "false" {
		return "", false
	}
	return strings.TrimSpace(rest), false
}

// ResolveCommit returns the full object name of the commit rev names in
// the repository at dir, or "" when it names none.
func ResolveCommit(ctx context.Context, dir, rev string) string {
	out, err := gitCommand(ctx, dir, "rev-parse", "--verify", "-q", "--end-of-options", rev+"^{commit}").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}
