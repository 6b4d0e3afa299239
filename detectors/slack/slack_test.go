package slack

import (
	"net/http"
	"testing"

	vt "github.com/achilles-sec/achilles/detectors/verify/verifytest"
)

func TestVerifier(t *testing.T) {
	const tok = "xoxb-123456789012-1234567890123-Q2x9LmP4vR7sT1uW3yZ5aB8c"
	vt.Run(t, Verifier{}, vt.Case{
		ID: "slack", Secret: tok, Method: "POST", Path: "/api/auth.test", Authorized: vt.Bearer(tok),
		LiveBody:    `{"ok":true,"url":"https://acme.slack.com/","team":"Acme","user":"deploybot","team_id":"T12345","user_id":"U12345","bot_id":"B12345"}`,
		LiveHeaders: map[string]string{"X-OAuth-Scopes": "chat:write,channels:read"},
		Identity:    "deploybot in Acme (https://acme.slack.com/)", Scopes: []string{"chat:write", "channels:read"},
		DeadStatus: 200, DeadBody: `{"ok":false,"error":"invalid_auth"}`,
	})
}

func TestWebhookVerifier(t *testing.T) {
	const hook = "https://hooks.slack.com/services/T0ABCDEF12/B0ABCDEF12/Q2x9LmP4vR7sT1uW3yZ5aB8c"
	const path = "/services/T0ABCDEF12/B0ABCDEF12/Q2x9LmP4vR7sT1uW3yZ5aB8c"
	vt.Run(t, WebhookVerifier{}, vt.Case{
		ID: "slack-webhook", Secret: hook, Method: "POST", Path: path,
		Authorized: func(r *http.Request) bool {
			// The probe is an empty object: Slack refuses it without posting.
			return r.URL.Path == path && r.Header.Get("Content-Type") == "application/json"
		},
		LiveStatus: 400, LiveBody: "no_text", ContentTypes: "text/html",
		DeadStatus: 404, DeadBody: "no_service",
	})
}
