package gcp

import (
	"context"
	"time"

	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"github.com/achilles-sec/achilles/detectors/verify"
	"net/http"
	"strings"
	"testing"

	vt "github.com/achilles-sec/achilles/detectors/verify/verifytest"
)

const email = "deployer@acme-prod-3141.iam.gserviceaccount.com"

func TestVerifier(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	pemText := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	// As the key appears inside a JSON key file: newlines escaped.
	secret := strings.ReplaceAll(pemText, "\n", `\n`)

	// The fake token endpoint checks the JWT's signature with the public
	// key, its issuer, and the grant type.
	validJWT := func(r *http.Request) bool {
		if r.ParseForm() != nil || r.PostForm.Get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
			return false
		}
		parts := strings.Split(r.PostForm.Get("assertion"), ".")
		if len(parts) != 3 {
			return false
		}
		sig, err := base64.RawURLEncoding.DecodeString(parts[2])
		if err != nil {
			return false
		}
		sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
		if rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA256, sum[:], sig) != nil {
			return false
		}
		claims, _ := base64.RawURLEncoding.DecodeString(parts[1])
		var c struct {
			Iss string `json:"iss"`
		}
		return json.Unmarshal(claims, &c) == nil && c.Iss == email
	}
	vt.Run(t, Verifier{}, vt.Case{
		ID: "gcp-service-account", Secret: secret, Parts: map[string]string{EmailRule: email},
		Method: "POST", Path: "/token", Authorized: validJWT,
		LiveBody:   `{"access_token":"ya29.c.a0AfH6SMB","expires_in":3599,"token_type":"Bearer"}`,
		Identity:   email,
		DeadStatus: 400, DeadBody: `{"error":"invalid_grant","error_description":"Invalid JWT Signature."}`,
	})
}

// TestTokenURIMustBeGoogle: a key file naming another token host is never
// sent anywhere; a whole key file as the secret is read for its parts.
func TestTokenURIMustBeGoogle(t *testing.T) {
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	pemText := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	s := vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"access_token":"ya29.x","expires_in":3599,"token_type":"Bearer"}`))
	})
	c := s.Client("gcp-service-account", 2*time.Second)
	file := func(uri string) string {
		b, _ := json.Marshal(map[string]string{"type": "service_account", "private_key": pemText, "client_email": email, "token_uri": uri})
		return string(b)
	}
	res := c.Verify(context.Background(), Verifier{}, verify.Request{Secret: file("https://evil.example.com/token")})
	if res.Status != verify.Unknown || !strings.Contains(res.Reason, "token_uri") {
		t.Fatalf("%+v", res)
	}
	res = c.Verify(context.Background(), Verifier{}, verify.Request{Secret: strings.ReplaceAll(pemText, "\n", `\n`), Parts: map[string]string{EmailRule: email, TokenURIRule: "https://oauth2.example.net/token"}})
	if res.Status != verify.Unknown {
		t.Fatalf("%+v", res)
	}
	if s.Hits.Load() != 0 {
		t.Fatal("a key was sent although its token_uri is not Google's")
	}
	res = c.Verify(context.Background(), Verifier{}, verify.Request{Secret: file("https://oauth2.googleapis.com/token")})
	if res.Status != verify.Live || res.Identity != email {
		t.Fatalf("%+v", res)
	}
}

// TestClockSkewIsNotDead: Google answers invalid_grant to a JWT whose
// times are off as well as to a deleted key; only the latter is dead.
func TestClockSkewIsNotDead(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	secret := strings.ReplaceAll(string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), "\n", `\n`)
	answer := `{"error":"invalid_grant","error_description":"Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim."}`
	s := vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(answer))
	})
	req := verify.Request{Secret: secret, Parts: map[string]string{EmailRule: email}}
	if res := s.Client("gcp-service-account", 2*time.Second).Verify(context.Background(), Verifier{}, req); res.Status != verify.Unknown || !strings.Contains(res.Reason, "short-lived") {
		t.Errorf("clock skew: %+v", res)
	}
	answer = `{"error":"invalid_grant","error_description":"Invalid grant: account not found"}`
	if res := s.Client("gcp-service-account", 2*time.Second).Verify(context.Background(), Verifier{}, req); res.Status != verify.Dead {
		t.Errorf("account not found: %+v", res)
	}
}
