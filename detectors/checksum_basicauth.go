package detectors

import (
	"encoding/base64"
	"strings"
)

// BasicAuthWellFormed checks the credentials of an HTTP Basic header:
// base64 of "user:password" (RFC 7617), printable, with the colon (the user
// may be empty: Azure DevOps takes ":<PAT>"). Random base64 in a test of
// header parsing is not a credential.
func BasicAuthWellFormed(cred string) bool {
	raw, err := base64.StdEncoding.DecodeString(cred)
	if err != nil {
		raw, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(cred, "="))
		if err != nil {
			return false
		}
	}
	colon := false
	for _, c := range raw {
		switch {
		case c == ':':
			colon = true
		case c < 0x20 || c == 0x7f:
			return false
		}
	}
	return colon
}
