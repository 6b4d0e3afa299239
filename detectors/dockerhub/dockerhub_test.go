package dockerhub

import (
	"encoding/json"
	"net/http"
	"testing"

	vt "github.com/achilles-sec/achilles/detectors/verify/verifytest"
)

func TestVerifier(t *testing.T) {
	const tok = "dckr_pat_2b3e36beeb386dfdaacb9b46004ccb7c"
	authorized := func(r *http.Request) bool {
		var body struct{ Identifier, Secret string }
		return r.Header.Get("Content-Type") == "application/json" &&
			json.NewDecoder(r.Body).Decode(&body) == nil && body.Identifier == "ada" && body.Secret == tok
	}
	vt.Run(t, Verifier{}, vt.Case{
		ID: "dockerhub", Secret: tok, Parts: map[string]string{UserRule: "ada"},
		Method: "POST", Path: "/v2/auth/token", Authorized: authorized,
		LiveBody:   `{"access_token":"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI2ZjFlM2EiLCJodHRwczovL2h1Yi5kb2NrZXIuY29tIjp7InVzZXJuYW1lIjoiYWRhLW9yZyIsImVtYWlsIjoiYWRhQGV4YW1wbGUuY29tIiwic2NvcGUiOiJyZXBvOnJlYWQgcmVwbzp3cml0ZSJ9fQ.sig"}`,
		Identity:   "ada-org",
		Scopes:     []string{"repo:read", "repo:write"},
		DeadStatus: 401, DeadBody: `{"errinfo":{},"detail":"Incorrect authentication credentials","message":"Incorrect authentication credentials"}`,
	})
}
