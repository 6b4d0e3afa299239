package analyze

import (
	"context"

	"github.com/achilles-sec/achilles/detectors/verify"
)

// Revoker asks a provider to revoke a leaked credential, where its API lets
// a key be revoked by whoever holds it (GitHub's credential revocation API,
// a token's self-revocation, Slack's auth.revoke). It changes state at the
// provider, so it is called only from `achilles revoke`, never from a scan,
// and every call is recorded.
type Revoker interface {
	// ID names the revoker; it is the provider's verifier id.
	ID() string
	// Revoke revokes one credential. The error is for a request that could
	// not be made; the provider's refusal is an Outcome.
	Revoke(ctx context.Context, c *verify.Client, req verify.Request) (Outcome, error)
}

// BatchRevoker is a Revoker whose provider takes many credentials in one
// request (GitHub: up to 1,000 tokens, 60 requests an hour).
type BatchRevoker interface {
	Revoker
	// RevokeBatch revokes every request's credential; the outcomes are in
	// the requests' order.
	RevokeBatch(ctx context.Context, c *verify.Client, reqs []verify.Request) ([]Outcome, error)
}

// RevokeStatus is what the provider answered to a revocation.
type RevokeStatus string

// The revocation outcomes.
const (
	// Revoked: the provider confirmed the credential no longer works.
	Revoked RevokeStatus = "revoked"
	// AlreadyInvalid: the provider says the credential did not work anyway.
	AlreadyInvalid RevokeStatus = "already-invalid"
	// RevokeFailed: the provider refused or answered something else; the
	// answer says what.
	RevokeFailed RevokeStatus = "failed"
)

// Outcome is one revocation's result.
type Outcome struct {
	Status RevokeStatus `json:"status"`
	// Answer is the provider's answer in short (status code and message),
	// scrubbed of the secret.
	Answer string `json:"answer,omitempty"`
}
