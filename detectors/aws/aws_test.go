package aws

import (
	"crypto/sha256"
	"encoding/hex"
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
