// Package gcp verifies Google Cloud service-account keys: a JWT signed with
// the key is exchanged for an access token at Google's token endpoint
// (which creates nothing lasting; the token is discarded).
package gcp

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/achilles-sec/achilles/detectors/verify"
)

// EmailRule is the companion rule: the client_email of the key file.
// TokenURIRule, when a rule matches it, is the key file's token_uri.
const (
	EmailRule    = "gcp-service-account-email"
	TokenURIRule = "gcp-service-account-token-uri"
)

// officialTokenURI is the only token endpoint a key is sent to: a key file
// whose token_uri names another host is not verified (Unknown).
const officialTokenURI = "https://oauth2.googleapis.com/token"

// Verifier checks service-account private keys.
type Verifier struct {
	// Now is the clock for the JWT; tests may fix it.
	Now func() time.Time
}

// ID implements verify.Verifier.
func (Verifier) ID() string { return "gcp-service-account" }

// Companions implements verify.Verifier.
func (Verifier) Companions() []string { return []string{EmailRule, TokenURIRule} }

// keyFile is the part of a JSON key file the verifier reads, when the
// secret is the whole file rather than its private_key.
type keyFile struct {
	PrivateKey  string `json:"private_key"`
	ClientEmail string `json:"client_email"`
	TokenURI    string `json:"token_uri"`
}

// ParseKey reads the private key as it appears in a JSON key file (with
// escaped newlines) or as plain PEM.
func ParseKey(s string) (*rsa.PrivateKey, error) {
	s = strings.ReplaceAll(s, `\n`, "\n")
	block, _ := pem.Decode([]byte(s))
	if block == nil {
		return nil, errors.New("no PEM block")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, errors.New("not a PKCS#8 key")
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("not an RSA key")
	}
	return rk, nil
}

// Verify implements verify.Verifier.
func (v Verifier) Verify(ctx context.Context, c *verify.Client, req verify.Request) verify.Result {
	secret, email, tokenURI := req.Secret, req.Parts[EmailRule], req.Parts[TokenURIRule]
	if strings.HasPrefix(strings.TrimSpace(secret), "{") {
		var f keyFile
		if err := json.Unmarshal([]byte(secret), &f); err != nil || f.PrivateKey == "" {
			return verify.Result{Status: verify.Unknown, Reason: "not a service-account key file"}
		}
		secret, email = f.PrivateKey, f.ClientEmail
		if f.TokenURI != "" {
			tokenURI = f.TokenURI
		}
	}
	if tokenURI != "" && strings.TrimSuffix(tokenURI, "/") != officialTokenURI {
		return verify.Result{Status: verify.Unknown, Reason: "the key file's token_uri is not Google's oauth2.googleapis.com: not sent"}
	}
	if email == "" {
		return verify.Result{Status: verify.Unknown, Reason: "no client_email found near the key"}
	}
	key, err := ParseKey(secret)
	if err != nil {
		return verify.Result{Status: verify.Unknown, Reason: "key does not parse: " + err.Error()}
	}
	base, err := c.BaseURL(v.ID(), "https://oauth2.googleapis.com")
	if err != nil {
		return verify.Result{Status: verify.Unknown, Reason: err.Error()}
	}
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	assertion, err := signJWT(key, email, base+"/token", now())
	if err != nil {
		return verify.Result{Status: verify.Unknown, Reason: "signing: " + err.Error()}
	}
	form := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {assertion}}.Encode()
	resp, err := c.Do(ctx, v.ID(), func(ctx context.Context) (*http.Request, error) {
		r, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/token", strings.NewReader(form))
		if err == nil {
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		return r, err
	})
	if err != nil {
		return verify.ErrorResult(err, req)
	}
	var body struct {
		AccessToken string `json:"access_token"`
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	_ = json.Unmarshal(resp.Body, &body)
	switch {
	case resp.Status == http.StatusOK && body.AccessToken != "":
		// The token grant says nothing of the account's roles: no scopes.
		return verify.Result{Status: verify.Live, Identity: email, Kind: "service account key"}
	case resp.Status == http.StatusBadRequest && body.Error == "invalid_grant" && keyGone(body.Description):
		return verify.Result{Status: verify.Dead, Reason: "Google: invalid_grant: " + verify.Scrub(body.Description, req)}
	case resp.Status == http.StatusBadRequest && body.Error == "invalid_grant":
		// Google answers invalid_grant to a clock too far off, too
		// ("Token must be a short-lived token ... in a reasonable timeframe").
		return verify.Unknownf(req, "Google: invalid_grant: %s", body.Description)
	}
	return verify.StatusResult(resp, req)
}

// keyGone tells the invalid_grant descriptions Google gives for a key that
// no longer works: its signature is not one of the account's keys, or the
// account is gone.
func keyGone(description string) bool {
	d := strings.ToLower(description)
	return strings.Contains(d, "invalid jwt signature") || strings.Contains(d, "account not found") || strings.Contains(d, "no such account")
}

func signJWT(key *rsa.PrivateKey, email, aud string, now time.Time) (string, error) {
	enc := base64.RawURLEncoding
	header := enc.EncodeToString([]byte(`{"alg":"RS256","typ":"JWT"}`))
	claims, _ := json.Marshal(map[string]any{
		"iss": email, "scope": "https://www.googleapis.com/auth/cloud-platform",
		"aud": aud, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	})
	signing := header + "." + enc.EncodeToString(claims)
	sum := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		return "", err
	}
	return signing + "." + enc.EncodeToString(sig), nil
}
