// Package finding is the data model every source produces and every report
// writer consumes.
package finding

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strings"
)

// Finding is one reported secret at one place.
type Finding struct {
	RuleID      string   `json:"rule_id"`
	Description string   `json:"description"`
	Confidence  string   `json:"confidence"`
	Tags        []string `json:"tags,omitempty"`
	Path        string   `json:"path"`
	Line        int      `json:"line"`
	Column      int      `json:"column"`
	Secret      string   `json:"secret"`
	Match       string   `json:"match"`
	Entropy     float64  `json:"entropy"`
	// Fingerprint is content-based: rule id, a hash of the secret, and the
	// path, so that it survives rebases, squashes and moved lines.
	Fingerprint string `json:"fingerprint"`
	// Provenance, set for git sources: the commit that first introduced the
	// content at Path.
	Commit  string `json:"commit,omitempty"`
	Author  string `json:"author,omitempty"`
	Email   string `json:"email,omitempty"`
	Date    string `json:"date,omitempty"`
	Message string `json:"message,omitempty"`
	// StillPresent tells, for git history, whether the secret is still in
	// the file at Path at HEAD of the default branch.
	StillPresent *bool `json:"still_present,omitempty"`
	// IntroducedLine, for a secret still present, is its line in the
	// introducing commit; Line and Column are then where it is now (at HEAD,
	// or at the tip of a scanned range).
	IntroducedLine int `json:"introduced_line,omitempty"`
	// Locations lists every place in the file the same secret was found by
	// the same rule, when there is more than one (Line and Column are the
	// first): one finding per rule, secret and path, as for git history.
	Locations []Location `json:"locations,omitempty"`
	// Decoded lists the decoders applied to reach the secret, outermost first.
	Decoded []string `json:"decoded,omitempty"`
	// Verification is set when --verify ran for this secret.
	Verification *Verification `json:"verification,omitempty"`
	// ChecksumFailed marks a look-alike whose embedded checksum is wrong.
	ChecksumFailed bool `json:"checksum_failed,omitempty"`
	// Related holds, by rule id, the nearest secret other rules matched in
	// the same content: companion parts for verification. Never reported.
	// Under AmbiguousKey it lists the rules whose nearest match was one of
	// several different secrets (Companions reads both).
	Related map[string]string `json:"-"`
}

// Location is one more place a finding's secret occurs in its file.
type Location struct {
	Line   int `json:"line"`
	Column int `json:"column"`
}

// Group merges findings of the same rule and secret at the same path (and
// commit) into the first, listing every place in Locations, so that a
// folder scan reports one finding per rule, secret and path, as a history
// scan does. fs must be sorted (Sort); the result keeps that order. It
// sorts an index per path rather than hashing: one file can hold a
// million findings.
func Group(fs []Finding) []Finding {
	drop := make([]bool, len(fs))
	any := false
	for i := 0; i < len(fs); {
		j := i + 1
		for j < len(fs) && fs[j].Path == fs[i].Path {
			j++
		}
		if j-i > 1 {
			idx := make([]int32, j-i)
			for k := range idx {
				idx[k] = int32(i + k)
			}
			sort.SliceStable(idx, func(a, b int) bool {
				x, y := &fs[idx[a]], &fs[idx[b]]
				if x.RuleID != y.RuleID {
					return x.RuleID < y.RuleID
				}
				if x.Secret != y.Secret {
					return x.Secret < y.Secret
				}
				return x.Commit < y.Commit
			})
			for a := 0; a < len(idx); {
				b := a + 1
				first := &fs[idx[a]]
				for b < len(idx) && fs[idx[b]].RuleID == first.RuleID && fs[idx[b]].Secret == first.Secret && fs[idx[b]].Commit == first.Commit {
					b++
				}
				if b-a > 1 {
					any = true
					first.Locations = make([]Location, 0, b-a)
					for _, k := range idx[a:b] {
						first.Locations = append(first.Locations, Location{Line: fs[k].Line, Column: fs[k].Column})
						if k != idx[a] {
							drop[k] = true
						}
					}
				}
				a = b
			}
		}
		i = j
	}
	if !any {
		return fs
	}
	out := fs[:0]
	for i := range fs {
		if !drop[i] {
			out = append(out, fs[i])
		}
	}
	return out
}

// Verification is what the provider said about a secret.
type Verification struct {
	Status    string   `json:"status"` // live, dead, unknown or canary (a planted honeytoken, never sent)
	Reason    string   `json:"reason,omitempty"`
	Identity  string   `json:"identity,omitempty"`
	Scopes    []string `json:"scopes,omitempty"`
	ExpiresAt string   `json:"expires_at,omitempty"`
	Kind      string   `json:"kind,omitempty"`
	Verifier  string   `json:"verifier,omitempty"`
}

// SecretHash is a short, stable hash of a secret, safe to print.
func SecretHash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:8])
}

// MakeFingerprint builds the content-based fingerprint "rule:secrethash:path".
func MakeFingerprint(ruleID, secret, path string) string {
	// One allocation: a scan can make a million of these.
	sum := sha256.Sum256([]byte(secret))
	var b strings.Builder
	b.Grow(len(ruleID) + 2 + hex.EncodedLen(8) + len(path))
	b.WriteString(ruleID)
	b.WriteByte(':')
	var h [16]byte
	hex.Encode(h[:], sum[:8])
	b.Write(h[:])
	b.WriteByte(':')
	b.WriteString(path)
	return b.String()
}

// Sort orders findings deterministically: path, line, column, rule, secret,
// commit.
func Sort(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := &fs[i], &fs[j]
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Column != b.Column {
			return a.Column < b.Column
		}
		if a.RuleID != b.RuleID {
			return a.RuleID < b.RuleID
		}
		if a.Secret != b.Secret {
			return a.Secret < b.Secret
		}
		return a.Commit < b.Commit
	})
}

// Redact replaces the secret in s (and in the match) with a short prefix and
// asterisks; it is applied to every output when --redact is on.
func Redact(secret string) string {
	if len(secret) <= 8 {
		return "*****"
	}
	keep := len(secret) / 8
	if keep > 4 {
		keep = 4
	}
	return secret[:keep] + "*****"
}

// AmbiguousKey is the key, in Related, whose value lists (comma-separated)
// the other rules that matched more than one different secret in the same
// content. No rule id starts with a NUL byte.
const AmbiguousKey = "\x00ambiguous"

// Companions splits a finding's related parts into the parts by rule id
// and the rules whose part is only the nearest of several.
func Companions(related map[string]string) (parts map[string]string, ambiguous []string) {
	parts = make(map[string]string, len(related))
	for rule, s := range related {
		if rule == AmbiguousKey {
			ambiguous = strings.Split(s, ",")
			continue
		}
		parts[rule] = s
	}
	return parts, ambiguous
}
