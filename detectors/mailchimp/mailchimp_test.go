package mailchimp

import (
	"net/http"
	"testing"

	vt "github.com/achilles-sec/achilles/detectors/verify/verifytest"
)

func TestVerifier(t *testing.T) {
	const key = "0123456789abcdef0123456789abcdef-us6"
	vt.Run(t, Verifier{}, vt.Case{
		ID: "mailchimp", Secret: key, Path: "/3.0/",
		Authorized: func(r *http.Request) bool { _, p, ok := r.BasicAuth(); return ok && p == key },
		LiveBody:   `{"account_id":"8d3a3db4d97663a9074efcc16","account_name":"Acme","email":"ops@example.com"}`,
		Identity:   "Acme <ops@example.com>",
		DeadStatus: 401, DeadBody: `{"type":"https://mailchimp.com/developer/marketing/docs/errors/","title":"API Key Invalid","status":401}`,
	})
}
