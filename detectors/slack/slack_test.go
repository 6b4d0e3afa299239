package slack

import (
	"context"
	"time"

	"encoding/json"
	"github.com/achilles-sec/achilles/detectors/verify"
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
			// The probe is an empty object, nothing a message could be made
			// of: Slack refuses it (no_text) without posting.
			var payload map[string]any
			if json.NewDecoder(r.Body).Decode(&payload) != nil || len(payload) != 0 {
				return false
			}
			return r.URL.Path == path && r.Header.Get("Content-Type") == "application/json"
		},
		LiveStatus: 400, LiveBody: "no_text", ContentTypes: "text/html",
		DeadStatus: 404, DeadBody: "no_service",
	})
}

func TestWebhookOnlyToSlackServicesPaths(t *testing.T) {
	for _, u := range []string{
		"https://hooks.slack.com.evil.example/services/T0/B0/x",
		"http://hooks.slack.com/services/T0/B0/x",
		"https://hooks.slack.com/api/chat.postMessage",
		"https://hooks.slack.com/services/T0/B0/x?text=hi",
	} {
		c := verify.NewClient(verify.Options{Timeout: time.Second})
		if res := c.Verify(context.Background(), WebhookVerifier{}, verify.Request{Secret: u}); res.Status != verify.Unknown || c.Requests() != 0 {
			t.Errorf("%s: %+v", u, res)
		}
	}
}
