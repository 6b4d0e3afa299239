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
	"strings"
	"time"
)

// Status is a verification outcome.
type Status string

// The three outcomes.
const (
	Live    Status = "live"
	Dead    Status = "dead"
	Unknown Status = "unknown"
)

// Request is one secret to verify, with the companion parts its verifier
// needs (keyed by the companion's rule id), such as an AWS key id for a
// secret access key.
type Request struct {
	RuleID string
	Secret string
	Parts  map[string]string
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

// unknown builds an Unknown result whose reason cannot hold the secret.
func unknown(req Request, format string) Result {
	return Result{Status: Unknown, Reason: Scrub(format, req)}
}

// Scrub removes the secret and its parts from text meant for a reason or an
// error, at the one place such text is made.
func Scrub(text string, req Request) string {
	for _, s := range append([]string{req.Secret}, partValues(req)...) {
		if len(s) >= 4 {
			text = strings.ReplaceAll(text, s, "[secret]")
		}
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
