// Package finding is the data model every source produces and every report
// writer consumes.
package finding

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sort"
	"strings"
)

// Finding is one reported secret at one place.
type Finding struct {
	RuleID      string   `json:"rule_id"`
	Description string   `json:"description"`
	Confidence  string   `json:"confidence"`
	Tags        []string `json:"tags,omitempty"`
	// Where the finding is. Kind names the sort of place; Path, Line and
	// Column are common to every kind (a file's path, a path in a commit, an
	// entry of an archive as "outer.zip!inner"); what only one kind has is
	// in that kind's origin (Git, for a blob in a commit).
	Kind    Kind    `json:"kind,omitempty"`
	Path    string  `json:"path"`
	Line    int     `json:"line"`
	Column  int     `json:"column"`
	Secret  string  `json:"secret"`
	Match   string  `json:"match"`
	Entropy float64 `json:"entropy"`
	// Fingerprint is content-based: rule id, a hash of the secret, and the
	// path, so that it survives rebases, squashes and moved lines.
	Fingerprint string `json:"fingerprint"`
	// Git is the provenance of a finding in git history: the commit that
	// first introduced the content at Path. In JSON its fields sit beside
	// the finding's own (commit, author, ...), as they always have.
	Git *GitOrigin `json:"-"`
	// Image is the layer of a container image the finding is in.
	Image *ImageOrigin `json:"image,omitempty"`
	// Item is the hosted service's item the finding is in.
	Item *ItemOrigin `json:"item,omitempty"`
	// Locations lists every place in the file the same secret was found by
	// the same rule, when there is more than one (Line and Column are the
	// first): one finding per rule, secret and path, as for git history.
	Locations []Position `json:"locations,omitempty"`
	// Decoded lists the decoders applied to reach the secret, outermost first.
	Decoded []string `json:"decoded,omitempty"`
	// Verification is set when --verify ran for this secret.
	Verification *Verification `json:"verification,omitempty"`
	// Analysis is what a live key can reach, set when --analyze ran.
	Analysis *Analysis `json:"analysis,omitempty"`
	// ChecksumFailed marks a look-alike whose embedded checksum is wrong.
	ChecksumFailed bool `json:"checksum_failed,omitempty"`
	// Related holds, by rule id, the nearest secret other rules matched in
	// the same content: companion parts for verification. Never reported.
	// Under AmbiguousKey it lists the rules whose nearest match was one of
	// several different secrets (Companions reads both).
	Related map[string]string `json:"-"`
}

// Kind is the sort of place a finding was made in. Each kind beyond a
// plain file has its own origin type with the fields only it has; sources
// to come (image layers, bucket objects, issue comments) add theirs.
type Kind string

// The kinds of location.
const (
	// KindFile is a file on disk, at Path.
	KindFile Kind = "file"
	// KindStdin is piped content, named by --name.
	KindStdin Kind = "stdin"
	// KindGit is a blob at Path in a commit of a repository: Git says which.
	KindGit Kind = "git"
	// KindImage is a file at Path in a layer of a container image, or the
	// image's configuration: Image says which.
	KindImage Kind = "image"
	// KindItem is an item of a hosted service (an issue or its comment, a
	// pull request review, a release, a CI job's log): Item says which.
	KindItem Kind = "item"
)

// ItemOrigin is the item of a hosted service a finding's content came
// from.
type ItemOrigin struct {
	// Type is what the item is: issue, issue-comment, pull-request,
	// review-comment, discussion, gist, release, release-asset,
	// actions-log, merge-request, note, snippet, job-log.
	Type string `json:"type"`
	// URL is the item's web address (no credentials).
	URL string `json:"url"`
	// Author is who wrote it; Date when it was created or last edited
	// (RFC 3339).
	Author string `json:"author,omitempty"`
	Date   string `json:"date,omitempty"`
}

// ImageOrigin is where in a container image a finding's content came from.
type ImageOrigin struct {
	// Image is the reference scanned (registry/name:tag, a tarball's path).
	Image string `json:"image,omitempty"`
	// Layer is the digest of the layer holding the file ("" for the
	// image's configuration: environment, labels, history).
	Layer string `json:"layer,omitempty"`
	// CreatedBy is the history command that made the layer.
	CreatedBy string `json:"created_by,omitempty"`
	// Removed tells that a later layer deletes the file (a whiteout): the
	// secret is not in the running image's file system, but anyone who
	// pulls the image has it.
	Removed bool `json:"removed,omitempty"`
}

// GitOrigin is where in git history a finding's content came from.
type GitOrigin struct {
	Commit  string `json:"commit,omitempty"`
	Author  string `json:"author,omitempty"`
	Email   string `json:"email,omitempty"`
	Date    string `json:"date,omitempty"`
	Message string `json:"message,omitempty"`
	// StillPresent tells whether the secret is still in the file at Path at
	// HEAD of the default branch (or at the tip of a scanned range).
	StillPresent *bool `json:"still_present,omitempty"`
	// IntroducedLine, for a secret still present, is its line in the
	// introducing commit; the finding's Line and Column are then where it
	// is now.
	IntroducedLine int `json:"introduced_line,omitempty"`
	// HiddenRef names a ref that is neither a branch nor a tag (a pull
	// request's refs/pull/12/head) when the commit is reachable only from
	// such refs: it was never merged, but whoever can fetch the
	// repository has it.
	HiddenRef string `json:"hidden_ref,omitempty"`
	// Repository names the repository the commit is in when a report holds
	// more than the target's own history: a wiki scanned beside a
	// project's items (its clone URL, without credentials).
	Repository string `json:"repository,omitempty"`
}

// Position is one more place a finding's secret occurs in its file.
type Position struct {
	Line   int `json:"line"`
	Column int `json:"column"`
}

// Field is one named part of a location, for writers that print any kind
// of location the same way (SARIF properties, a text report's detail line).
type Field struct {
	Name, Value string
}

// Origin lists the fields of the finding's location beyond path and line,
// in the order people read them, leaving out empty ones.
func (f *Finding) Origin() []Field {
	var out []Field
	add := func(name, v string) {
		if v != "" {
			out = append(out, Field{name, v})
		}
	}
	if g := f.Git; g != nil {
		add("repository", g.Repository)
		add("commit", g.Commit)
		add("author", g.Author)
		add("email", g.Email)
		add("date", g.Date)
		add("message", g.Message)
		add("hidden_ref", g.HiddenRef)
	}
	if it := f.Item; it != nil {
		add("item", it.Type)
		add("url", it.URL)
		add("author", it.Author)
		add("date", it.Date)
	}
	if im := f.Image; im != nil {
		add("image", im.Image)
		add("layer", im.Layer)
		add("created_by", im.CreatedBy)
		if im.Removed {
			add("removed", "deleted by a later layer")
		}
	}
	return out
}

// OriginID identifies the finding's origin beyond its path: the commit of
// a git finding, "" for a file. Two findings of one secret at one path are
// the same finding only when their origins are the same.
func (f *Finding) OriginID() string {
	switch {
	case f.Git != nil:
		return f.Git.Commit
	case f.Image != nil:
		return f.Image.Image + "@" + f.Image.Layer
	case f.Item != nil:
		return f.Item.URL
	}
	return ""
}

// StillPresent tells whether a finding of git history is still at HEAD:
// present is false with known false for a file or a finding whose presence
// was not looked up.
func (f *Finding) StillPresent() (present, known bool) {
	if f.Git == nil || f.Git.StillPresent == nil {
		return false, false
	}
	return *f.Git.StillPresent, true
}

// findingFields is Finding without its methods, for the JSON codec.
type findingFields Finding

// MarshalJSON writes the finding with its origin's fields beside its own.
func (f Finding) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		findingFields
		*GitOrigin
	}{findingFields(f), f.Git})
}

// UnmarshalJSON reads a finding written by MarshalJSON (or by an earlier
// achilles, whose git fields sat in the same places).
func (f *Finding) UnmarshalJSON(b []byte) error {
	var v struct {
		findingFields
		GitOrigin
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*f = Finding(v.findingFields)
	if v.GitOrigin != (GitOrigin{}) {
		g := v.GitOrigin
		f.Git = &g
		if f.Kind == "" {
			f.Kind = KindGit
		}
	}
	return nil
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
				return x.OriginID() < y.OriginID()
			})
			for a := 0; a < len(idx); {
				b := a + 1
				first := &fs[idx[a]]
				for b < len(idx) && fs[idx[b]].RuleID == first.RuleID && fs[idx[b]].Secret == first.Secret && fs[idx[b]].OriginID() == first.OriginID() {
					b++
				}
				if b-a > 1 {
					any = true
					first.Locations = make([]Position, 0, b-a)
					for _, k := range idx[a:b] {
						first.Locations = append(first.Locations, Position{Line: fs[k].Line, Column: fs[k].Column})
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

// Analysis is the blast radius of a live key: who it belongs to, what it
// reaches with which permission, and the worst thing it can do.
type Analysis struct {
	Analyzer string `json:"analyzer"`
	// Worst is one line: "admin of 3 GitHub organisations".
	Worst string `json:"worst"`
	// Severity is info, read, write or admin.
	Severity  string     `json:"severity"`
	Identity  string     `json:"identity,omitempty"`
	Kind      string     `json:"kind,omitempty"`
	Scopes    []string   `json:"scopes,omitempty"`
	ExpiresAt string     `json:"expires_at,omitempty"`
	Resources []Resource `json:"resources,omitempty"`
	// Partial lists what could not be read; Error why nothing could be.
	Partial []string `json:"partial,omitempty"`
	Error   string   `json:"error,omitempty"`
}

// Resource is one thing a key reaches, with its permissions there.
type Resource struct {
	Kind        string   `json:"kind"`
	Name        string   `json:"name"`
	Permissions []string `json:"permissions,omitempty"`
}

// SeverityRank orders analysis severities, highest first: admin 0, write
// 1, read 2, info 3, anything else (not analyzed) 4.
func SeverityRank(a *Analysis) int {
	if a == nil || a.Error != "" {
		return 4
	}
	switch a.Severity {
	case "admin":
		return 0
	case "write":
		return 1
	case "read":
		return 2
	case "info":
		return 3
	}
	return 4
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

// Sort orders findings deterministically: Compare's order, stable.
func Sort(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool { return Compare(&fs[i], &fs[j]) < 0 })
}

// Compare orders findings by path, line, column, rule, secret, commit (the
// origin's id).
func Compare(a, b *Finding) int {
	if c := strings.Compare(a.Path, b.Path); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Line, b.Line); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Column, b.Column); c != 0 {
		return c
	}
	if c := strings.Compare(a.RuleID, b.RuleID); c != 0 {
		return c
	}
	if c := strings.Compare(a.Secret, b.Secret); c != 0 {
		return c
	}
	return strings.Compare(a.OriginID(), b.OriginID())
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
