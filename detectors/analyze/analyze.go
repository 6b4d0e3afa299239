// Package analyze maps what a live credential can reach: the "blast radius"
// of a leaked key. An Analyzer makes read-only calls to the provider and
// returns who the key belongs to, the resources it reaches with the
// permission it has on each, and the worst thing it can do, in one line.
//
// Analysis builds on verification and follows its rules: requests go
// through the same verify.Client (verified TLS, the provider's official host
// or a base URL the user configured, per-provider concurrency, Retry-After),
// only to documented read-only endpoints, with pagination bounded. A
// Revoker (revoke.go) is the one exception to read-only, and only runs on an
// explicit command.
package analyze

import (
	"context"
	"sort"
	"strings"

	"github.com/achilles-sec/achilles/detectors/verify"
)

// Analyzer enumerates what one provider's credential can reach.
type Analyzer interface {
	// ID names the analyzer; it is the id of the provider's verifier, so a
	// finding verified by "github" is analyzed by "github", and
	// [verify.endpoints] applies to both.
	ID() string
	// Analyze maps the credential's reach. It returns an error only when
	// nothing could be learnt (the key is not live, the provider could not
	// be reached); what failed part-way goes into Report.Partial. Errors and
	// reports never hold the secret (verify.Scrub).
	Analyze(ctx context.Context, c *verify.Client, req verify.Request) (*Report, error)
}

// Report is what an analyzer learnt about one credential.
type Report struct {
	// Analyzer is the analyzer's id.
	Analyzer string `json:"analyzer"`
	// Identity is whose key it is: a user, a service account, an
	// organisation, an account id.
	Identity string `json:"identity,omitempty"`
	// Kind tells what sort of credential it is when the provider has
	// several ("fine-grained personal access token", "restricted key").
	Kind string `json:"kind,omitempty"`
	// Scopes are the credential's own scopes or grants as the provider
	// names them ("repo", "read_api"), when it says.
	Scopes []string `json:"scopes,omitempty"`
	// ExpiresAt is when the credential stops working (RFC 3339), when the
	// provider says.
	ExpiresAt string `json:"expires_at,omitempty"`
	// Resources lists what the key reaches, with the permission on each.
	Resources []Resource `json:"resources,omitempty"`
	// Worst is one line, the worst thing the key can do: "can publish 14
	// npm packages", "admin of 3 GitHub organisations".
	Worst string `json:"worst"`
	// Severity ranks blast radius across providers for ordering reports.
	Severity Severity `json:"severity"`
	// Partial lists what could not be read (a listing refused with 403, a
	// page limit reached), so a report never passes for complete when it
	// is not.
	Partial []string `json:"partial,omitempty"`
}

// Resource is one thing a credential reaches.
type Resource struct {
	// Kind is the provider's name for it: "repository", "organization",
	// "bucket", "channel", "package", "project".
	Kind string `json:"kind"`
	// Name identifies it at the provider ("acme/api", "arn:aws:s3:::logs").
	Name string `json:"name"`
	// Permissions the key has on it, in the provider's words ("admin",
	// "push", "read", "s3:GetObject").
	Permissions []string `json:"permissions,omitempty"`
}

// Severity orders what a key can do, from reading public data to
// administering an account.
type Severity int

// The severities, lowest first.
const (
	// SeverityInfo: the key reads nothing beyond its own identity.
	SeverityInfo Severity = iota
	// SeverityRead: it reads private data.
	SeverityRead
	// SeverityWrite: it changes data (pushes code, sends mail, publishes).
	SeverityWrite
	// SeverityAdmin: it administers an account, an organisation or billing,
	// or can make more credentials.
	SeverityAdmin
)

var severityNames = []string{"info", "read", "write", "admin"}

func (s Severity) String() string {
	if s < 0 || int(s) >= len(severityNames) {
		return "unknown"
	}
	return severityNames[s]
}

// MarshalText writes the severity's name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a severity's name.
func (s *Severity) UnmarshalText(b []byte) error {
	for i, n := range severityNames {
		if n == string(b) {
			*s = Severity(i)
			return nil
		}
	}
	*s = SeverityInfo
	return nil
}

// Sort orders a report's resources by kind and name, and each resource's
// permissions, so that reports are deterministic.
func (r *Report) Sort() {
	for i := range r.Resources {
		sort.Strings(r.Resources[i].Permissions)
	}
	sort.SliceStable(r.Resources, func(i, j int) bool {
		a, b := r.Resources[i], r.Resources[j]
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		return a.Name < b.Name
	})
}

// Count says how many resources of a kind the report lists ("repository").
func (r *Report) Count(kind string) int {
	n := 0
	for _, res := range r.Resources {
		if strings.EqualFold(res.Kind, kind) {
			n++
		}
	}
	return n
}
