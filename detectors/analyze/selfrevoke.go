package analyze

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/achilles-sec/achilles/detectors/verify"
)

// SelfRevokeOutcome maps the answer to a call with which a credential
// revokes itself (DELETE /tokens/self and the like): the documented
// success status is Revoked, 401 AlreadyInvalid (the key did not work),
// 429 a failure saying when to retry (the client has already honoured
// a short Retry-After), anything else a failure quoting the status and
// the start of the body, scrubbed of the secret.
func SelfRevokeOutcome(resp *verify.Response, req verify.Request, success int) Outcome {
	switch {
	case resp.Status == success:
		return Outcome{Status: Revoked, Answer: fmt.Sprintf("%d %s", resp.Status, http.StatusText(resp.Status))}
	case resp.Status == http.StatusUnauthorized:
		return Outcome{Status: AlreadyInvalid, Answer: "401: the provider does not accept the credential"}
	case resp.Status == http.StatusTooManyRequests:
		when := "later"
		if s := strings.TrimSpace(resp.Header.Get("Retry-After")); s != "" {
			when = "after " + s + " s"
		}
		return Outcome{Status: RevokeFailed, Answer: "rate-limited (429): retry " + when}
	}
	body := strings.TrimSpace(string(resp.Body))
	if len(body) > 200 {
		body = body[:200] + "..."
	}
	return Outcome{Status: RevokeFailed, Answer: verify.Scrub(fmt.Sprintf("HTTP %d: %s", resp.Status, body), req)}
}
