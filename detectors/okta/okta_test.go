package okta

import (
	"testing"

	vt "github.com/achilles-sec/achilles/detectors/verify/verifytest"
)

func TestVerifier(t *testing.T) {
	const tok = "00QCjAl4MlV-WPXM8Bo_N3Ru1zCJ9gBQ41ojsKnqzx"
	vt.Run(t, Verifier{}, vt.Case{
		ID: "okta", Secret: tok, Parts: map[string]string{DomainRule: "acme.okta.com"},
		Path: "/api/v1/users/me", Authorized: vt.Header("Authorization", "SSWS "+tok),
		LiveBody:   `{"id":"00ub0oNGTSWTBKOLGLNR","status":"ACTIVE","profile":{"login":"isaac.brock@example.com","email":"isaac.brock@example.com"}}`,
		Identity:   "isaac.brock@example.com",
		DeadStatus: 401, DeadBody: `{"errorCode":"E0000011","errorSummary":"Invalid token provided","errorLink":"E0000011","errorId":"oaeGCk","errorCauses":[]}`,
	})
}
