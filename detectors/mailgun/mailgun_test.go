package mailgun

import (
	"testing"

	vt "github.com/achilles-sec/achilles/detectors/verify/verifytest"
)

func TestVerifier(t *testing.T) {
	const key = "key-0123456789abcdef0123456789abcdef"
	vt.Run(t, Verifier{}, vt.Case{
		ID: "mailgun", Secret: key, Path: "/v3/domains", Authorized: vt.Basic("api", key),
		LiveBody: `{"total_count":1,"items":[{"name":"mg.example.com","state":"active"}]}`, Identity: "mg.example.com",
		DeadStatus: 401, DeadBody: `Forbidden`,
	})
}
