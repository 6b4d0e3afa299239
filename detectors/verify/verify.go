// Package verify asks providers whether leaked secrets still work. It is
// separate from detection: a detector never does I/O; a verifier takes a
// context and a secret and returns a status.
//
// Safety rules every verifier follows: a secret is sent only to the
// provider's official API host (or a base URL the user configured for a
// self-hosted instance), always over verified TLS, to read-only endpoints;
// nothing is created, sent or changed at the provider. An ambiguous answer
// is never Live.
package verify

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"
)

// Status is a verification outcome.
type Status string

// The outcomes.
const (
	Live    Status = "live"
	Dead    Status = "dead"
	Unknown Status = "unknown"
	// Canary is a planted honeytoken (an AWS key of a Canarytokens account):
	// recognised offline and never sent, since any use alerts whoever
	// planted it. The reason says whose it is.
	Canary Status = "canary"
)

// Request is one secret to verify, with the companion parts its verifier
// needs (keyed by the companion's rule id), such as an AWS key id for a
// secret access key.
type Request struct {
	RuleID string
	Secret string
	Parts  map[string]string
	// Ambiguous lists companion rules that matched more than one secret
	// near this one: the part given is only the nearest of several.
	Ambiguous []string
	// ChecksumFailed marks a finding whose embedded checksum is wrong: a
	// look-alike, which Run never sends.
	ChecksumFailed bool
}

// Result is what the provider said. Identity, Scopes, ExpiresAt and Kind
// are set when the secret is live and the provider tells them.
type Result struct {
	Status    Status
	Reason    string
	Identity  string
	Scopes    []string
	ExpiresAt time.Time
	Kind      string
	// Extra holds provider facts that fit no field above (an AWS account
	// number, a Stripe mode, which verifier answered for a shared secret).
	Extra map[string]string
}

// Verifier checks secrets of one provider.
type Verifier interface {
	// ID names the verifier; rules refer to it with `verifier = "id"`.
	ID() string
	// Companions lists the rule ids whose matches the verifier needs in
	// Request.Parts.
	Companions() []string
	// Verify asks the provider. It must only talk through c.
	Verify(ctx context.Context, c *Client, req Request) Result
}

// Canonicalizer is implemented by verifiers whose requests can name the
// same credential two ways (an AWS key id with its secret as the companion,
// or the secret with the key id): the client caches by the canonical form,
// so one credential is asked about once whichever finding asked.
type Canonicalizer interface {
	Canonical(req Request) Request
}

// Unknownf builds an Unknown result whose reason cannot hold the secret or
// its parts: verifiers build every reason that may quote provider or
// transport text through it.
func Unknownf(req Request, format string, args ...any) Result {
	return Result{Status: Unknown, Reason: Scrub(fmt.Sprintf(format, args...), req)}
}

// unknown builds an Unknown result whose reason cannot hold the secret.
func unknown(req Request, format string) Result {
	return Result{Status: Unknown, Reason: Scrub(format, req)}
}

// Scrub removes the secret and its parts from text meant for a reason or an
// error, at the one place such text is made. URL-escaped forms are removed
// too: transport errors quote the URL, and some providers take the secret
// in the path or query.
func Scrub(text string, req Request) string {
	var forms []string
	for _, s := range append([]string{req.Secret}, partValues(req)...) {
		for _, f := range []string{s, url.QueryEscape(s), url.PathEscape(s)} {
			if len(f) >= 4 {
				forms = append(forms, f)
			}
		}
		// A secret that is a URL (a webhook) is secret in its path, which
		// is what a request line or an echo of it quotes, without the host.
		if u, err := url.Parse(s); err == nil && u.Host != "" && len(u.Path) >= 8 {
			forms = append(forms, u.Path, u.EscapedPath())
		}
	}
	// Longest first, so a part inside the secret cannot leave a remnant.
	sort.Slice(forms, func(i, j int) bool { return len(forms[i]) > len(forms[j]) })
	for _, f := range forms {
		text = strings.ReplaceAll(text, f, "[secret]")
	}
	return text
}

func partValues(req Request) []string {
	out := make([]string, 0, len(req.Parts))
	for _, v := range req.Parts {
		out = append(out, v)
	}
	return out
}
