package aws

import (
	"context"

	"crypto/sha256"
	"encoding/hex"
	"github.com/achilles-sec/achilles/detectors/verify"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	vt "github.com/achilles-sec/achilles/detectors/verify/verifytest"
	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

const (
	keyID  = "AKIAZ3MSJV4WQPTHKR7N"
	secret = "Q2x9LmP4vR7sT1uW3yZ5aB8cD6eF0g1h2i3j4k5l"
)

// validSigV4 is the fake STS's check: it signs the same request again with
// the key it knows and compares the Authorization header.
func validSigV4(r *http.Request) bool {
	body, _ := io.ReadAll(r.Body)
	if string(body) != "Action=GetCallerIdentity&Version=2011-06-15" {
		return false
	}
	when, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil || !strings.Contains(r.Header.Get("Authorization"), "Credential="+keyID+"/") {
		return false
	}
	clone, _ := http.NewRequest(r.Method, "https://"+r.Host+r.URL.RequestURI(), strings.NewReader(string(body)))
	clone.Header.Set("Content-Type", r.Header.Get("Content-Type"))
	sum := sha256.Sum256(body)
	err = v4.NewSigner().SignHTTP(r.Context(), aws.Credentials{AccessKeyID: keyID, SecretAccessKey: secret}, clone, hex.EncodeToString(sum[:]), "sts", "us-east-1", when)
	return err == nil && clone.Header.Get("Authorization") == r.Header.Get("Authorization")
}

func TestVerifier(t *testing.T) {
	vt.Run(t, Verifier{}, vt.Case{
		ID: "aws", Secret: secret, Parts: map[string]string{KeyIDRule: keyID},
		Method: "POST", Path: "/", Authorized: validSigV4, ContentTypes: "text/xml",
		LiveBody: `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetCallerIdentityResult>
    <Arn>arn:aws:iam::123456789012:user/deployer</Arn>
    <UserId>AIDACKCEVSQ6C2EXAMPLE</UserId>
    <Account>123456789012</Account>
  </GetCallerIdentityResult>
  <ResponseMetadata><RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId></ResponseMetadata>
</GetCallerIdentityResponse>`,
		Identity:   "arn:aws:iam::123456789012:user/deployer (account 123456789012)",
		DeadStatus: 403,
		DeadBody: `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error><Type>Sender</Type><Code>InvalidClientTokenId</Code><Message>The security token included in the request is invalid.</Message></Error>
</ErrorResponse>`,
	})
}

// TestKeyIDAndSecretAreOneRequest: a finding of the key id (with the secret
// key as its companion) and a finding of the secret key (with the key id)
// are the same credential: STS is asked once, and both are live.
func TestKeyIDAndSecretAreOneRequest(t *testing.T) {
	s := vt.NewServer(t, answerSignedCallerIdentity)
	c := s.Client("aws", 2*time.Second)
	fromID := c.Verify(context.Background(), Verifier{}, verify.Request{RuleID: KeyIDRule, Secret: keyID, Parts: map[string]string{SecretRule: secret}})
	fromSecret := c.Verify(context.Background(), Verifier{}, verify.Request{RuleID: SecretRule, Secret: secret, Parts: map[string]string{KeyIDRule: keyID}})
	if fromID.Status != verify.Live || fromSecret.Status != verify.Live || fromSecret.Extra["account"] != "123456789012" {
		t.Fatalf("%+v / %+v", fromID, fromSecret)
	}
	if s.Hits.Load() != 1 {
		t.Fatalf("%d requests for one credential", s.Hits.Load())
	}
	alone := c.Verify(context.Background(), Verifier{}, verify.Request{RuleID: KeyIDRule, Secret: keyID})
	if alone.Status != verify.Unknown || s.Hits.Load() != 1 {
		t.Fatalf("a key id alone: %+v", alone)
	}
	temp := c.Verify(context.Background(), Verifier{}, verify.Request{RuleID: SecretRule, Secret: secret, Parts: map[string]string{KeyIDRule: "ASIAZ3MSJV4WQPTHKR7N"}})
	if temp.Status != verify.Unknown || !strings.Contains(temp.Reason, "session token") || s.Hits.Load() != 1 {
		t.Fatalf("temporary key without session token: %+v", temp)
	}
}

// TestSessionTokenIsSigned: temporary credentials carry their session
// token in X-Amz-Security-Token, inside the signature.
func TestSessionTokenIsSigned(t *testing.T) {
	const tempID, token = "ASIAZ3MSJV4WQPTHKR7N", "FwoGZXIvYXdzEJr//////////wEaDM1example"
	s := vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		when, _ := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
		clone, _ := http.NewRequest(r.Method, "https://"+r.Host+r.URL.RequestURI(), strings.NewReader(string(body)))
		clone.Header.Set("Content-Type", r.Header.Get("Content-Type"))
		sum := sha256.Sum256(body)
		_ = v4.NewSigner().SignHTTP(r.Context(), aws.Credentials{AccessKeyID: tempID, SecretAccessKey: secret, SessionToken: token}, clone, hex.EncodeToString(sum[:]), "sts", "us-east-1", when)
		if r.Header.Get("X-Amz-Security-Token") != token || clone.Header.Get("Authorization") != r.Header.Get("Authorization") {
			w.WriteHeader(http.StatusForbidden)
			w.Write([]byte(`<ErrorResponse><Error><Code>InvalidClientTokenId</Code></Error></ErrorResponse>`))
			return
		}
		w.Write([]byte(`<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:sts::123456789012:assumed-role/ci/session</Arn><UserId>AROAX:session</UserId><Account>123456789012</Account></GetCallerIdentityResult></GetCallerIdentityResponse>`))
	})
	res := s.Client("aws", 2*time.Second).Verify(context.Background(), Verifier{}, verify.Request{RuleID: SecretRule, Secret: secret, Parts: map[string]string{KeyIDRule: tempID, SessionTokenRule: token}})
	if res.Status != verify.Live || res.Kind != "temporary credentials" {
		t.Fatalf("%+v", res)
	}
}

// answerSignedCallerIdentity is STS as documented: GetCallerIdentity for a
// request whose SigV4 signature holds, SignatureDoesNotMatch otherwise.
func answerSignedCallerIdentity(w http.ResponseWriter, r *http.Request) {
	if !validSigV4(r) {
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte(`<ErrorResponse><Error><Code>SignatureDoesNotMatch</Code></Error></ErrorResponse>`))
		return
	}
	w.Write([]byte(`<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/ci</Arn><UserId>AIDAX</UserId><Account>123456789012</Account></GetCallerIdentityResult></GetCallerIdentityResponse>`))
}

// TestSignatureDoesNotMatchIsNotDead: STS answers SignatureDoesNotMatch
// when the key id exists and the secret paired with it is not its own: the
// pairing is unknown, and the key id is not shown dead.
func TestSignatureDoesNotMatchIsNotDead(t *testing.T) {
	s := vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte(`<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided.</Message></Error></ErrorResponse>`))
	})
	for _, req := range []verify.Request{
		{RuleID: SecretRule, Secret: secret, Parts: map[string]string{KeyIDRule: keyID}},
		{RuleID: KeyIDRule, Secret: keyID, Parts: map[string]string{SecretRule: secret}},
	} {
		res := s.Client("aws", 2*time.Second).Verify(context.Background(), Verifier{}, req)
		if res.Status != verify.Unknown || !strings.Contains(res.Reason, "key id exists") {
			t.Errorf("%s: %+v", req.RuleID, res)
		}
	}
}
