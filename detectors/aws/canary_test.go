package aws

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/achilles-sec/achilles/detectors/verify"
	vt "github.com/achilles-sec/achilles/detectors/verify/verifytest"
)

// canaryKeyID is the access key id of a canarytokens.org AWS token shown in
// TruffleHog's published output (account 052310077262).
const canaryKeyID = "AKIAQYLPMN5HHHFPZAM2"

// TestAccountID checks the offline decoding against published pairs of key
// id and account (Aidan Steele's and Tal Be'ery's example, TruffleHog's
// canary output, Kingfisher's test) and refuses what carries no account.
func TestAccountID(t *testing.T) {
	for keyID, want := range map[string]string{
		"ASIAY34FZKBOKMUTVV7A": "609629065308",
		canaryKeyID:            "052310077262",
		"AKIAAYLPMN5HAAAAAAAA": "052310077262", // the top bit is not part of the account
		"AKIAXYZDQCEN4B6JSJQI": "534261010715",
	} {
		if got, ok := AccountID(keyID); !ok || got != want {
			t.Errorf("%s: account %q (%v), want %s", keyID, got, ok, want)
		}
	}
	for _, keyID := range []string{
		"AKIAIOSFODNN7EXAMPLE", // the older format (fifth character I or J) holds no account
		"AKIAJ3MSJV4WQPTHKR7N",
		"AKIAZ3MSJV4WQPTHKR7",   // short
		"AKIAZ3MSJV4WQPTHKR7NX", // long
		"ABIAZ3MSJV4WQPTHKR7N",  // another prefix
		"AKIAZ3MSJV4WQPTHKR70",  // 0 is not base32
		"akiaz3msjv4wqpthkr7n",
		"",
	} {
		if got, ok := AccountID(keyID); ok {
			t.Errorf("%q decoded to account %s", keyID, got)
		}
	}
}

// TestCanaryListIsWellFormed: every line of canary_accounts.txt that is not
// a comment is a 12-digit account with a vendor, none twice.
func TestCanaryListIsWellFormed(t *testing.T) {
	seen := map[string]bool{}
	for _, line := range strings.Split(canaryData, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		id, vendor, _ := strings.Cut(line, " ")
		if !isAccountID(id) || strings.TrimSpace(vendor) == "" || seen[id] {
			t.Errorf("bad or repeated line %q", line)
		}
		seen[id] = true
	}
	if got := len(canaryAccounts()); got != len(seen) || got < 25 {
		t.Fatalf("%d canary accounts loaded from %d lines", got, len(seen))
	}
}

// TestCanaryKeyIsNeverSent: a key of a canary account is reported canary
// with a reason, whichever finding asks (the secret key with the key id as
// companion, the key id with the secret, the key id alone) and the fake STS
// receives nothing; a key of another account is still verified live.
func TestCanaryKeyIsNeverSent(t *testing.T) {
	s := vt.NewServer(t, answerSignedCallerIdentity)
	c := s.Client("aws", 2*time.Second)
	ctx := context.Background()
	for name, req := range map[string]verify.Request{
		"secret first": {RuleID: SecretRule, Secret: secret, Parts: map[string]string{KeyIDRule: canaryKeyID}},
		"key id first": {RuleID: KeyIDRule, Secret: canaryKeyID, Parts: map[string]string{SecretRule: secret}},
		"key id alone": {RuleID: KeyIDRule, Secret: canaryKeyID},
		"temporary":    {RuleID: SecretRule, Secret: secret, Parts: map[string]string{KeyIDRule: "ASIAQYLPMN5HHHFPZAM2"}},
	} {
		res := c.Verify(ctx, Verifier{}, req)
		if res.Status != verify.Canary || !strings.Contains(res.Reason, "052310077262") || !strings.Contains(res.Reason, "Canarytokens") {
			t.Errorf("%s: %+v", name, res)
		}
		if strings.Contains(res.Reason, canaryKeyID) || strings.Contains(res.Reason, secret) {
			t.Errorf("%s: the reason quotes the credential", name)
		}
	}
	if n := s.Hits.Load(); n != 0 {
		t.Fatalf("the fake STS received %d requests for a canary key", n)
	}
	if res := c.Verify(ctx, Verifier{}, verify.Request{RuleID: SecretRule, Secret: secret, Parts: map[string]string{KeyIDRule: keyID}}); res.Status != verify.Live {
		t.Fatalf("a key of another account: %+v", res)
	}
	if n := s.Hits.Load(); n != 1 {
		t.Fatalf("%d requests for one ordinary key", n)
	}
}
