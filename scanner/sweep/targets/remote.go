package targets

import (
	"regexp"
	"strings"
)

// scpLike matches git's scp-like ssh address with a user: user@host:path.
var scpLike = regexp.MustCompile(`^[A-Za-z0-9._~-]+@[A-Za-z0-9.-]+:.`)

// IsRemote reports whether s names a remote repository to clone rather
// than a local path: an https, http, ssh or git+ssh URL, or scp-like
// user@host:path. file:// URLs and paths are local.
func IsRemote(s string) bool {
	lower := strings.ToLower(s)
	for _, scheme := range []string{"https://", "http://", "ssh://", "git+ssh://"} {
		if strings.HasPrefix(lower, scheme) {
			return true
		}
	}
	return scpLike.MatchString(s)
}

// FromURL is the target of one remote URL as a user gives it: user
// information moved into Auth (see Target.Auth), the key normalised.
func FromURL(raw string) Target {
	clean, auth := splitCredentials(strings.TrimSpace(raw))
	return Target{Key: Normalize(clean), URL: clean, Source: "url", Auth: auth}
}
