package discord

import (
	"net/http"
	"testing"

	vt "github.com/achilles-sec/achilles/detectors/verify/verifytest"
)

func TestWebhookVerifier(t *testing.T) {
	const path = "/api/webhooks/112233445566778899/Q2x9LmP4vR7sT1uW3yZ5aB8cD6eF0g1h2i3j4k5l6m7n8o9p0q1r2s3t4u5v6w7x8y9z0A1B2C3D4"
	vt.Run(t, WebhookVerifier{}, vt.Case{
		ID: "discord-webhook", Secret: "https://discord.com" + path, Path: path,
		Authorized: func(r *http.Request) bool { return r.URL.Path == path && r.Method == http.MethodGet },
		LiveBody:   `{"type":1,"id":"112233445566778899","name":"deploys","channel_id":"998877665544332211","guild_id":"1"}`,
		Identity:   "deploys (channel 998877665544332211)",
		DeadStatus: 404, DeadBody: `{"message":"Unknown Webhook","code":10015}`,
	})
}
