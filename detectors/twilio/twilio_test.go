package twilio

import (
	"testing"

	vt "github.com/achilles-sec/achilles/detectors/verify/verifytest"
)

func TestVerifier(t *testing.T) {
	const sid, tok = "AC0123456789abcdef0123456789abcdef", "f1e2d3c4b5a69788796a5b4c3d2e1f00"
	vt.Run(t, Verifier{}, vt.Case{
		ID: "twilio", Secret: tok, Parts: map[string]string{SIDRule: sid},
		Path: "/2010-04-01/Accounts/" + sid + ".json", Authorized: vt.Basic(sid, tok),
		LiveBody:   `{"sid":"` + sid + `","friendly_name":"Acme prod","status":"active","type":"Full"}`,
		Identity:   "Acme prod (" + sid + ", active)",
		DeadStatus: 401, DeadBody: `{"code":20003,"message":"Authenticate","status":401}`,
	})
}
