package analyze_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/verify"
	vt "github.com/achilles-sec/achilles/detectors/verify/verifytest"
)

// TestPagesFollowsLinksOnTheSameHostOnly: pages are followed through the
// Link header up to MaxPages, and a next page on another host is refused
// (the key would leave its provider).
func TestPagesFollowsLinksOnTheSameHostOnly(t *testing.T) {
	var s *vt.Server
	s = vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("page") {
		case "", "1":
			w.Header().Set("Link", `<`+s.URL+`/items?page=2>; rel="next", <`+s.URL+`/items?page=9>; rel="last"`)
		case "2":
			w.Header().Set("Link", `<https://elsewhere.example/items?page=3>; rel="next"`)
		}
		w.Write([]byte(`[]`))
	})
	c := s.Client("p", 5*time.Second)
	req := verify.Request{Secret: "sekret-value"}
	pages := 0
	_, err := analyze.Pages(context.Background(), c, req, verify.Call{Verifier: "p", Official: "https://api.p.example", Path: "/items?page=1"}, func(*verify.Response) error {
		pages++
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), "another host") || pages != 2 || s.Hits.Load() != 2 {
		t.Fatalf("pages %d, hits %d, err %v: want two pages and a refusal", pages, s.Hits.Load(), err)
	}

	// A listing that never ends stops at MaxPages and says so.
	s2 := vt.NewServer(t, nil)
	s2.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", `<`+s2.URL+`/items?n=`+r.URL.Query().Get("n")+`x>; rel="next"`)
		w.Write([]byte(`[]`))
	})
	truncated, err := analyze.Pages(context.Background(), s2.Client("p", 5*time.Second), req, verify.Call{Verifier: "p", Official: "https://api.p.example", Path: "/items?n=1"}, func(*verify.Response) error { return nil })
	if err != nil || !truncated {
		t.Fatalf("endless listing: truncated %v, err %v", truncated, err)
	}
}

// TestStatusErrorsAreScrubbed: a provider that takes the key in the path
// must not see it quoted back in an error.
func TestStatusErrorsAreScrubbed(t *testing.T) {
	s := vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusUnauthorized) })
	const secret = "123456:AAbbCCddEEffGGhhIIjjKKllMMnnOOpp"
	req := verify.Request{Secret: secret}
	_, err := analyze.GetJSON(context.Background(), s.Client("t", 5*time.Second), req, verify.Call{Verifier: "t", Official: "https://api.t.example", Path: "/bot" + secret + "/getMe"}, nil)
	if !analyze.IsStatus(err, http.StatusUnauthorized) || strings.Contains(err.Error(), secret) {
		t.Fatalf("err %v: want a 401 StatusError without the secret", err)
	}
}
