package detectors

import "strings"

// NpmChecksum checks an npm access token: npm_ followed by 36 base62
// characters. npm adopted GitHub's token format in 2021, so the last six
// characters are the CRC32 of the 30 random ones, base62-encoded, exactly as
// GitHubChecksum checks (the prefix is not part of the checksummed text).
func NpmChecksum(token string) bool {
	return strings.HasPrefix(token, "npm_") && GitHubChecksum(token)
}
