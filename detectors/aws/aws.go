// Package aws verifies AWS access keys with STS GetCallerIdentity, which
// any valid key may call and which changes nothing.
package aws

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/achilles-sec/achilles/detectors/verify"
	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// The rules whose matches make up one AWS credential. A verification
// starts from either the secret key (the key id is the companion) or the
// key id (the secret key is the companion); both name the same request, so
// the client asks STS once. Temporary (ASIA...) keys also need the session
// token matched nearby.
const (
	KeyIDRule        = "aws-access-key-id"
	SecretRule       = "aws-secret-access-key"
	SessionTokenRule = "aws-session-token"
)

const (
	official = "https://sts.amazonaws.com"
	body     = "Action=GetCallerIdentity&Version=2011-06-15"
)

// Verifier checks an AWS secret access key together with its key id.
type Verifier struct {
	// Now is the signing clock; tests may fix it.
	Now func() time.Time
}

// ID implements verify.Verifier.
func (Verifier) ID() string { return "aws" }

// Companions implements verify.Verifier: the key id found near a secret
// key, the secret key found near a key id, and a session token for
// temporary credentials.
func (Verifier) Companions() []string { return []string{KeyIDRule, SecretRule, SessionTokenRule} }

// Canonical implements verify.Canonicalizer: a request that starts from the
// key id becomes the request for its secret key, so the pair is asked about
// once.
func (Verifier) Canonical(req verify.Request) verify.Request {
	if req.RuleID != KeyIDRule || req.Parts[SecretRule] == "" {
		return req
	}
	parts := map[string]string{KeyIDRule: req.Secret}
	if t := req.Parts[SessionTokenRule]; t != "" {
		parts[SessionTokenRule] = t
	}
	return verify.Request{RuleID: SecretRule, Secret: req.Parts[SecretRule], Parts: parts}
}

type callerIdentity struct {
	Result struct {
		Arn     string `xml:"Arn"`
		UserID  string `xml:"UserId"`
		Account string `xml:"Account"`
	} `xml:"GetCallerIdentityResult"`
}

type stsError struct {
	Error struct {
		Code string `xml:"Code"`
	} `xml:"Error"`
}

// Verify signs GetCallerIdentity with SigV4 (us-east-1) and reads the ARN.
func (v Verifier) Verify(ctx context.Context, c *verify.Client, req verify.Request) verify.Result {
	req = v.Canonical(req)
	keyID, secret, session := req.Parts[KeyIDRule], req.Secret, req.Parts[SessionTokenRule]
	// A canary key alerts whoever planted it on any call, GetCallerIdentity
	// included; its key id alone names the account, so it is never sent.
	id := keyID
	if req.RuleID == KeyIDRule {
		id = req.Secret
	}
	if account, vendor, ok := Canary(id); ok {
		return verify.Result{Status: verify.Canary,
			Reason: fmt.Sprintf("canary token: the key id belongs to AWS account %s (%s); any call with it alerts whoever planted it", account, vendor),
			Extra:  map[string]string{"account": account}}
	}
	if req.RuleID == KeyIDRule {
		return verify.Result{Status: verify.Unknown, Reason: "no secret access key found near the access key id"}
	}
	if keyID == "" {
		return verify.Result{Status: verify.Unknown, Reason: "no access key id found near the secret key"}
	}
	if strings.HasPrefix(keyID, "ASIA") && session == "" {
		return verify.Result{Status: verify.Unknown, Reason: "temporary credentials (ASIA key id) need the session token, none found nearby"}
	}
	base, err := c.BaseURL(v.ID(), official)
	if err != nil {
		return verify.Result{Status: verify.Unknown, Reason: err.Error()}
	}
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	sum := sha256.Sum256([]byte(body))
	resp, err := c.Do(ctx, v.ID(), func(ctx context.Context) (*http.Request, error) {
		r, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/", strings.NewReader(body))
		if err != nil {
			return nil, err
		}
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		creds := aws.Credentials{AccessKeyID: keyID, SecretAccessKey: secret, SessionToken: session}
		err = v4.NewSigner().SignHTTP(ctx, creds, r, hex.EncodeToString(sum[:]), "sts", "us-east-1", now())
		return r, err
	})
	if err != nil {
		return verify.ErrorResult(err, req)
	}
	switch {
	case resp.Status == http.StatusOK:
		var ci callerIdentity
		if err := xml.Unmarshal(resp.Body, &ci); err != nil || ci.Result.Arn == "" {
			return verify.Result{Status: verify.Unknown, Reason: "unexpected answer from STS"}
		}
		kind := "long-term key"
		if strings.HasPrefix(keyID, "ASIA") {
			kind = "temporary credentials"
		}
		return verify.Result{Status: verify.Live, Identity: ci.Result.Arn + " (account " + ci.Result.Account + ")", Kind: kind,
			Extra: map[string]string{"account": ci.Result.Account, "user_id": ci.Result.UserID, "arn": ci.Result.Arn}}
	case resp.Status == http.StatusForbidden:
		var e stsError
		_ = xml.Unmarshal(resp.Body, &e)
		switch e.Error.Code {
		case "InvalidClientTokenId", "ExpiredToken":
			// The key id does not exist (or the session has ended).
			return verify.Result{Status: verify.Dead, Reason: "STS: " + e.Error.Code}
		case "SignatureDoesNotMatch":
			// STS knows the key id; the secret paired with it is not its
			// secret: neither is shown dead.
			return verify.Result{Status: verify.Unknown, Reason: "STS: SignatureDoesNotMatch: the key id exists, but the secret key paired with it is not its secret (the pairing may be wrong)"}
		}
		return verify.Result{Status: verify.Unknown, Reason: "STS refused: " + e.Error.Code}
	}
	return verify.StatusResult(resp, req)
}
