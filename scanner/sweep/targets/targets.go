// Package targets lists the repositories a sweep covers: from a file of
// clone URLs or local paths, from a GitHub organisation or user, or from a
// GitLab group (REST APIs, paginated, rate limits honoured). It also
// normalises URLs into repository keys and takes one shard of a list.
package targets

import (
	"bufio"
	"fmt"
	"github.com/achilles-sec/achilles/scanner"
	"github.com/achilles-sec/achilles/scanner/hosted"
	"hash/fnv"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
)

// Target is one repository to sweep.
type Target struct {
	// Key is the normalised URL (host/owner/name, or the absolute path of a
	// local repository): the repository's identity in the results store
	// and for sharding.
	Key string
	// URL is what is cloned: an https, http, ssh or scp-like URL, or a path.
	URL string
	// Source says where the target came from: file, github or gitlab.
	Source string
	// Name is the repository's name at its service (owner/name, a GitLab
	// project's full path), for targets an API listed.
	Name     string
	Fork     bool
	Archived bool
	// HasWiki is what the listing says of the repository's wiki (GitHub's
	// has_wiki, GitLab's wiki_enabled); nil when it did not say.
	HasWiki *bool
	// Wiki marks the target as a repository's wiki (WikiOf): a server
	// answering that it has no such repository means the wiki was never
	// written, which the sweep records as missing, not as a failure.
	Wiki bool
	// Auth is the credential sent when cloning; nil for none (SSH then
	// uses the agent). A credential written in a listed URL
	// (https://user:pass@host/...) is moved here and URL keeps no userinfo,
	// so it never reaches the store, a report or the clone's config.
	Auth transport.AuthMethod `json:"-"`
	// Refused, when set, says why the target is not fetched at all: an API
	// answered with a clone URL the sweep will not follow (another host, a
	// local path, a downgrade to http). The sweep records it as failed.
	Refused string
	// Items, when set, makes the target a hosted service's items of a
	// repository (issues, comments, releases, CI logs: sweep --include)
	// rather than its git history: the sweep scans the blobs it yields,
	// given the state the target's last completed scan saved, so that an
	// unchanged listing costs only conditional requests.
	Items func(*hosted.State) scanner.BlobSource `json:"-"`
}

// Normalize turns a clone URL or path into a repository key: scheme, user
// information, a trailing ".git" and slashes dropped, the host lowercased;
// scp-like "git@host:owner/name" becomes "host/owner/name"; a local path
// becomes its absolute form.
func Normalize(raw string) string {
	s := strings.TrimSpace(raw)
	if u, err := url.Parse(s); err == nil && u.Scheme != "" && u.Host != "" {
		if u.Scheme == "file" {
			return cleanPath(u.Path)
		}
		host := u.Host // with a port: two servers on one host are two hosts
		if u.Scheme == "ssh" || u.Scheme == "git+ssh" {
			host = u.Hostname() // the same repository over another port
		}
		return strings.ToLower(host) + trimRepo(u.Path)
	}
	if strings.HasPrefix(s, "file://") {
		return cleanPath(strings.TrimPrefix(s, "file://"))
	}
	// scp-like: [user@]host:path, not a Windows drive or a local path.
	if i := strings.Index(s, ":"); i > 1 && !strings.ContainsAny(s[:i], "/\\") {
		host := s[:i]
		if at := strings.LastIndex(host, "@"); at >= 0 {
			host = host[at+1:]
		}
		return strings.ToLower(host) + trimRepo("/"+strings.TrimPrefix(s[i+1:], "/"))
	}
	return cleanPath(s)
}

func trimRepo(p string) string {
	p = strings.TrimRight(p, "/")
	p = strings.TrimSuffix(p, ".git")
	return strings.TrimRight(p, "/")
}

func cleanPath(p string) string {
	if abs, err := filepath.Abs(p); err == nil {
		p = abs
	}
	return trimRepo(filepath.ToSlash(filepath.Clean(p)))
}

// ReadFile reads targets from a file: one clone URL or local path a line;
// blank lines and lines starting with # are skipped.
func ReadFile(path string) ([]Target, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading the repository list: %w", err)
	}
	defer f.Close()
	ts, err := Read(f, filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return ts, nil
}

// Read reads a repository list; relative local paths are taken relative to
// dir.
func Read(r io.Reader, dir string) ([]Target, error) {
	var out []Target
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if isLocal(line) && !filepath.IsAbs(line) {
			line = filepath.Join(dir, line)
		}
		clean, auth := splitCredentials(line)
		out = append(out, Target{Key: Normalize(clean), URL: clean, Source: "file", Auth: auth})
	}
	return out, sc.Err()
}

// splitCredentials takes the user information out of a listed URL: for
// http(s), user and password become basic auth; for ssh, a password
// becomes password auth and the user name stays in the URL (it names the
// account, it is no secret). Anything else is returned as it is.
func splitCredentials(raw string) (string, transport.AuthMethod) {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil || u.Host == "" {
		return raw, nil
	}
	pass, hasPass := u.User.Password()
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		user := u.User.Username()
		u.User = nil
		return u.String(), &githttp.BasicAuth{Username: user, Password: pass}
	case "ssh", "git+ssh":
		if !hasPass {
			return raw, nil
		}
		user := u.User.Username()
		u.User = url.User(user)
		return u.String(), &gitssh.Password{User: user, Password: pass}
	}
	return raw, nil
}

// StripUserinfo is raw without user information (for storing and showing
// a URL); raw itself when it is not a URL with a host.
func StripUserinfo(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil || u.Host == "" {
		return raw
	}
	u.User = nil
	return u.String()
}

// isLocal reports whether s names a local path rather than a URL.
func isLocal(s string) bool {
	if strings.Contains(s, "://") {
		return false
	}
	i := strings.Index(s, ":")
	return i < 0 || strings.ContainsAny(s[:i], "/\\")
}

// Credentials are the tokens a sweep may send, each only to its own host.
type Credentials struct {
	GitHubHost, GitHubToken string // host of clone URLs, e.g. github.com
	GitLabHost, GitLabToken string
}

// AuthFor returns the credential for cloning rawURL: the GitHub token as
// x-access-token basic auth for the GitHub host, the GitLab token as
// oauth2 for the GitLab host, over https (or plain http on loopback only).
// Nothing for any other host or scheme.
func (c Credentials) AuthFor(rawURL string) transport.AuthMethod {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return nil
	}
	if u.Scheme != "https" && (u.Scheme != "http" || !isLoopback(u.Hostname())) {
		return nil
	}
	host := hostPort(u)
	switch {
	case c.GitHubToken != "" && host == canonHost(c.GitHubHost, u.Scheme):
		return &githttp.BasicAuth{Username: "x-access-token", Password: c.GitHubToken}
	case c.GitLabToken != "" && host == canonHost(c.GitLabHost, u.Scheme):
		return &githttp.BasicAuth{Username: "oauth2", Password: c.GitLabToken}
	}
	return nil
}

func hostPort(u *url.URL) string { return hosted.HostPort(u) }

// canonHost is a configured host ("host" or "host:port") as hostPort
// gives it for that scheme.
func canonHost(host, scheme string) string {
	return hostPort(&url.URL{Scheme: scheme, Host: host})
}

// CloneHost is the host an API's clone URLs are on: api.github.com clones
// from github.com; a self-hosted API (GitHub Enterprise at /api/v3, a
// GitLab instance) from its own host. public is the answer for an empty or
// unparsable apiURL.
func CloneHost(apiURL, public string) string {
	u, err := url.Parse(apiURL)
	if err != nil || u.Host == "" {
		return public
	}
	h := hostPort(u)
	if h == "api.github.com" {
		return public
	}
	return h
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Dedupe drops targets whose key was seen before and sorts by key.
func Dedupe(ts []Target) []Target {
	seen := map[string]bool{}
	out := ts[:0:0]
	for _, t := range ts {
		if !seen[t.Key] {
			seen[t.Key] = true
			out = append(out, t)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// Filter drops forks and archived repositories unless asked to keep them.
func Filter(ts []Target, forks, archived bool) []Target {
	out := ts[:0:0]
	for _, t := range ts {
		if t.Fork && !forks || t.Archived && !archived {
			continue
		}
		out = append(out, t)
	}
	return out
}

// Shard is one slice K of N (1 <= K <= N) of a target list.
type Shard struct{ K, N int }

// ParseShard reads "K/N".
func ParseShard(s string) (Shard, error) {
	k, n, ok := strings.Cut(s, "/")
	ki, err1 := strconv.Atoi(k)
	ni, err2 := strconv.Atoi(n)
	if !ok || err1 != nil || err2 != nil || ni < 1 || ki < 1 || ki > ni {
		return Shard{}, fmt.Errorf("--shard %q: want K/N with 1 <= K <= N", s)
	}
	return Shard{K: ki, N: ni}, nil
}

// Has reports whether the target with this key belongs to the shard: a
// hash of the key modulo N, so every machine computes the same split from
// the same list, whatever its order.
func (s Shard) Has(key string) bool {
	if s.N <= 1 {
		return true
	}
	h := fnv.New64a()
	h.Write([]byte(key))
	return int(h.Sum64()%uint64(s.N)) == s.K-1
}

// Take keeps the targets of the shard.
func (s Shard) Take(ts []Target) []Target {
	out := ts[:0:0]
	for _, t := range ts {
		if s.Has(t.Key) {
			out = append(out, t)
		}
	}
	return out
}
