package grafana

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/achilles-sec/achilles/detectors/verify"
	vt "github.com/achilles-sec/achilles/detectors/verify/verifytest"
)

const tok = "glsa_ugBe9cATK8KKI1i59qGCb2x3g59Pncmu_b3fd472b"

func TestVerifier(t *testing.T) {
	vt.Run(t, Verifier{}, vt.Case{
		ID: "grafana", Secret: tok,
		Path: "/api/org", Authorized: vt.Bearer(tok),
		LiveBody:   `{"id":1,"name":"Main Org.","address":{"address1":"","city":""}}`,
		DeadStatus: 401, DeadBody: `{"message":"Invalid API key","traceID":""}`,
	})
}

// TestContentHostNeedsOptIn: a self-hosted Grafana named in the scanned
// content is not sent the token unless the user opted in.
func TestContentHostNeedsOptIn(t *testing.T) {
	c := verify.NewClient(verify.Options{Timeout: time.Second})
	res := c.Verify(context.Background(), Verifier{}, verify.Request{Secret: tok, Parts: map[string]string{URLRule: "https://grafana.internal.example.com"}})
	if res.Status != verify.Unknown || !strings.Contains(res.Reason, "not sent") || c.Requests() != 0 {
		t.Fatalf("%+v", res)
	}
	res = c.Verify(context.Background(), Verifier{}, verify.Request{Secret: tok})
	if res.Status != verify.Unknown || c.Requests() != 0 {
		t.Fatalf("%+v", res)
	}
}
