package atlassian

import (
	"context"
	"testing"
	"time"

	"github.com/achilles-sec/achilles/detectors/verify"
	vt "github.com/achilles-sec/achilles/detectors/verify/verifytest"
)

const tok = "ATATT3xFfGF0iDMHKssYByNpbunlHymoLyrgT9DwBEUn6me-FG01mNGi-idKTM_pNtKitnhKGw9lfyo9qmBzJUhhHvUbJHwMw9yUTb7vQfUBbwsgn6JfmoqYRubdq=E74E85CE"

func TestVerifier(t *testing.T) {
	vt.Run(t, Verifier{}, vt.Case{
		ID: "atlassian", Secret: tok, Parts: map[string]string{EmailRule: "ada@example.com", DomainRule: "acme.atlassian.net"},
		Path: "/rest/api/3/myself", Authorized: vt.Basic("ada@example.com", tok),
		LiveBody:   `{"accountId":"5b10a2844c20165700ede21g","accountType":"atlassian","emailAddress":"ada@example.com","displayName":"Ada Lovelace","active":true}`,
		Identity:   "Ada Lovelace <ada@example.com>",
		DeadStatus: 401, DeadBody: `Client must be authenticated to access this resource.`,
	})
}

func TestNeedsEmailAndAnAtlassianSite(t *testing.T) {
	c := verify.NewClient(verify.Options{Timeout: time.Second})
	for _, parts := range []map[string]string{
		{DomainRule: "acme.atlassian.net"},
		{EmailRule: "ada@example.com"},
		{EmailRule: "ada@example.com", DomainRule: "jira.example.com"},
	} {
		if res := c.Verify(context.Background(), Verifier{}, verify.Request{Secret: tok, Parts: parts}); res.Status != verify.Unknown {
			t.Fatalf("%v: %+v", parts, res)
		}
	}
	if c.Requests() != 0 {
		t.Fatalf("%d requests", c.Requests())
	}
}
