package image

import (
	"errors"
	"net/http"
	"strings"
	"testing"
)

type refuseAll struct{}

var errReached = errors.New("reached the network")

func (refuseAll) RoundTrip(*http.Request) (*http.Response, error) { return nil, errReached }

// Plain http goes only to loopback registries unless insecure registries
// are allowed; https always goes through.
func TestHTTPGuard(t *testing.T) {
	for _, c := range []struct {
		url      string
		insecure bool
		passes   bool
	}{
		{"http://10.1.2.3:5000/v2/", false, false},
		{"http://registry.local/v2/", false, false},
		{"http://10.1.2.3:5000/v2/", true, true},
		{"http://127.0.0.1:5000/v2/", false, true},
		{"http://localhost:5000/v2/", false, true},
		{"http://[::1]:5000/v2/", false, true},
		{"https://10.1.2.3/v2/", false, true},
	} {
		req, _ := http.NewRequest("GET", c.url, nil)
		_, err := httpGuard{next: refuseAll{}, insecure: c.insecure}.RoundTrip(req)
		if passes := errors.Is(err, errReached); passes != c.passes {
			t.Errorf("%s insecure=%v: %v", c.url, c.insecure, err)
		}
		if !c.passes && (err == nil || !strings.Contains(err.Error(), "--insecure-registry")) {
			t.Errorf("%s: refusal %v does not say how to allow it", c.url, err)
		}
	}
}
