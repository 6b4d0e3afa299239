package detectors

// Checksums maps a rule's `checksum` name to an offline check of the secret.
// A format that embeds a checksum (or a structure, such as Basic
// credentials' user:password) lets a look-alike be told from a real token
// without any network request.
var Checksums = map[string]func(secret string) bool{
	"github":     GitHubChecksum,
	"npm":        NpmChecksum,
	"grafana":    GrafanaChecksum,
	"basic-auth": BasicAuthWellFormed,
}
