package discord

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/verify"
	vt "github.com/achilles-sec/achilles/detectors/verify/verifytest"
)

const hookPath = "/api/webhooks/123456789012345678/Q2x9LmP4vR7sT1uW3yZ5aB8cD6eF0g1h2i3jQ2x9LmP4vR7sT1uW3yZ5aB8cD6eF0g1h2i"

// deleteAPI fakes DELETE /api/webhooks/{id}/{token}: 204 once, then 404
// Unknown Webhook (code 10015), as for a token that never existed.
func deleteAPI(t *testing.T, first func(w http.ResponseWriter) bool) *vt.Server {
	var deleted atomic.Bool
	var n atomic.Int64
	return vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 && first != nil && first(w) {
			return
		}
		if r.Method != http.MethodDelete || r.URL.Path != hookPath || deleted.Load() {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"message":"Unknown Webhook","code":10015}`))
			return
		}
		deleted.Store(true)
		w.WriteHeader(http.StatusNoContent)
	})
}

func TestWebhookRevoke(t *testing.T) {
	s := deleteAPI(t, nil)
	c := s.Client("discord-webhook", 2*time.Second)
	req := verify.Request{Secret: "https://discord.com" + hookPath}
	o, err := WebhookRevoker{}.Revoke(context.Background(), c, req)
	if err != nil || o.Status != analyze.Revoked {
		t.Fatalf("%+v %v", o, err)
	}
	o, err = WebhookRevoker{}.Revoke(context.Background(), c, req)
	if err != nil || o.Status != analyze.AlreadyInvalid {
		t.Fatalf("%+v %v", o, err)
	}
	// Another host's URL is never sent anywhere.
	o, _ = WebhookRevoker{}.Revoke(context.Background(), c, verify.Request{Secret: "https://evil.example" + hookPath})
	if o.Status != analyze.RevokeFailed || !strings.Contains(o.Answer, "not sent") {
		t.Fatalf("%+v", o)
	}
	if c.Requests() != 2 || s.Hits.Load() != 2 {
		t.Fatalf("%d requests, %d at the fake", c.Requests(), s.Hits.Load())
	}
}

func TestWebhookRevokeRateLimited(t *testing.T) {
	s := deleteAPI(t, func(w http.ResponseWriter) bool {
		// Discord's documented 429: Retry-After and a JSON retry_after.
		w.Header().Set("Retry-After", "1")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTooManyRequests)
		w.Write([]byte(`{"message":"You are being rate limited.","retry_after":0.5,"global":false}`))
		return true
	})
	o, err := WebhookRevoker{}.Revoke(context.Background(), s.Client("discord-webhook", 3*time.Second), verify.Request{Secret: "https://discord.com" + hookPath})
	if err != nil || o.Status != analyze.Revoked || s.Hits.Load() != 2 {
		t.Fatalf("%+v %v %d", o, err, s.Hits.Load())
	}
}
