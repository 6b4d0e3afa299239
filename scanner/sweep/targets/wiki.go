package targets

import (
	"net/url"
	"strings"
)

// WikiOf is the target of a listed repository's wiki, which GitHub and
// GitLab keep as a repository of its own beside it: the clone URL is the
// repository's own, already checked against the API's clone host, with
// ".wiki.git" for ".git" (https://HOST/OWNER/NAME.wiki.git), so nothing an
// API says decides where the wiki is fetched from; the key is
// HOST/OWNER/NAME.wiki and the credential the repository's. ok is false
// for a target with no wiki to fetch: one refused, not from a listing, or
// whose listing says it has no wiki.
func WikiOf(t Target) (Target, bool) {
	if t.Refused != "" || t.Name == "" || t.Wiki || t.HasWiki != nil && !*t.HasWiki {
		return Target{}, false
	}
	if t.Source != "github" && t.Source != "gitlab" {
		return Target{}, false
	}
	raw, ok := WikiURL(t.URL)
	if !ok {
		return Target{}, false
	}
	return Target{Key: Normalize(raw), URL: raw, Source: t.Source + "-wiki", Name: t.Name, Auth: t.Auth, Wiki: true}, true
}

// WikiURL is the clone URL of the wiki of the repository cloned from
// repoURL (an http(s) or ssh URL): the same URL with the path's ".git"
// (added when missing) made ".wiki.git". Only the path changes.
func WikiURL(repoURL string) (string, bool) {
	u, err := url.Parse(repoURL)
	if err != nil || u.Host == "" || u.Opaque != "" || u.RawQuery != "" || u.Fragment != "" {
		return "", false
	}
	p := strings.TrimSuffix(strings.TrimRight(u.Path, "/"), ".git")
	if strings.Trim(p, "/") == "" || strings.HasSuffix(p, ".wiki") {
		return "", false
	}
	u.Path, u.RawPath = p+".wiki.git", ""
	return u.String(), true
}
