package detectors

import (
	"encoding/base64"
	"testing"
)

func TestBasicAuthWellFormed(t *testing.T) {
	for _, ok := range []string{"deploy:Tr0ub4dor&3", "ci-bot:x", "émile:mot de passe", ":azure-devops-pat"} {
		if enc := base64.StdEncoding.EncodeToString([]byte(ok)); !BasicAuthWellFormed(enc) {
			t.Errorf("%q (%s) refused", ok, enc)
		}
	}
	for _, bad := range []string{
		"jpvcGVuc2VzYW1lYWxhZGRpb",                                       // shifted base64: garbage bytes
		base64.StdEncoding.EncodeToString([]byte("no colon here")),       // not user:password
		base64.StdEncoding.EncodeToString([]byte("user:\x00\x01binary")), // control bytes
		"not base64 at all!",
	} {
		if BasicAuthWellFormed(bad) {
			t.Errorf("%q accepted", bad)
		}
	}
}
