package replicate

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/verify"
	vt "github.com/achilles-sec/achilles/detectors/verify/verifytest"
)

const tok = "r8_lAecZBwa55KDDAvhuaHZd7UnijxJokkRDwVHp"

func fake(t *testing.T, override func(w http.ResponseWriter, r *http.Request) bool) *vt.Server {
	return vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Method != http.MethodGet {
			t.Errorf("%s %s: the analyzer must only read", r.Method, r.URL.Path)
		}
		if r.Header.Get("Authorization") != "Bearer "+tok {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"title":"Unauthenticated","detail":"You did not pass a valid authentication token","status":401}`)
			return
		}
		if override != nil && override(w, r) {
			return
		}
		switch r.URL.Path {
		case "/v1/account":
			fmt.Fprint(w, `{"type":"organization","username":"acme","name":"Acme Corp","github_url":"https://github.com/acme"}`)
		case "/v1/deployments":
			if r.URL.Query().Get("cursor") == "" {
				fmt.Fprintf(w, `{"next":"https://%s/v1/deployments?cursor=cD0yMDI0","previous":null,"results":[{"owner":"acme","name":"image-upscaler","current_release":{"number":1,"model":"acme/esrgan"}}]}`, r.Host)
				return
			}
			fmt.Fprint(w, `{"next":null,"previous":null,"results":[{"owner":"acme","name":"captioner","current_release":{"number":3,"model":"acme/blip"}}]}`)
		case "/v1/predictions":
			fmt.Fprintf(w, `{"next":"https://%s/v1/predictions?cursor=cD0yMDIy","previous":null,"results":[{"id":"gm3qorzdhgbfurvjtvhg6dckhu","model":"acme/esrgan","status":"succeeded","source":"api"}]}`, r.Host)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	})
}

func run(t *testing.T, s *vt.Server, secret string) (*analyze.Report, error) {
	t.Helper()
	rep, err := Analyzer{}.Analyze(context.Background(), s.Client("replicate", 5*time.Second), verify.Request{Secret: secret})
	if err != nil && strings.Contains(err.Error(), secret) {
		t.Fatalf("error shows the secret: %v", err)
	}
	return rep, err
}

func TestAccount(t *testing.T) {
	rep, err := run(t, fake(t, nil), tok)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Identity != "acme" || rep.Severity != analyze.SeverityWrite || rep.Count("deployment") != 2 || rep.Count("account (organization)") != 1 {
		t.Errorf("report %+v", rep)
	}
	if rep.Worst != "can run and create models billed to the Replicate account acme, change or delete its 2 deployments, read its predictions' inputs and outputs" {
		t.Errorf("worst %q", rep.Worst)
	}
}

func TestBoundPartialAndRateLimit(t *testing.T) {
	var pages, acct atomic.Int64
	s := fake(t, func(w http.ResponseWriter, r *http.Request) bool {
		switch r.URL.Path {
		case "/v1/account":
			if acct.Add(1) == 1 {
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(http.StatusTooManyRequests)
				fmt.Fprint(w, `{"title":"Request was throttled.","detail":"Request was throttled. Expected available in 1 second.","status":429}`)
				return true
			}
		case "/v1/deployments":
			n := pages.Add(1)
			fmt.Fprintf(w, `{"next":"https://%s/v1/deployments?cursor=%d","previous":null,"results":[{"owner":"acme","name":"d%d"}]}`, r.Host, n, n)
			return true
		case "/v1/predictions":
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `{"title":"Forbidden","detail":"You do not have permission to perform this action.","status":403}`)
			return true
		}
		return false
	})
	rep, err := run(t, s, tok)
	if err != nil {
		t.Fatal(err)
	}
	if acct.Load() != 2 || pages.Load() != analyze.MaxPages || rep.Count("deployment") != analyze.MaxPages {
		t.Errorf("account %d, %d pages, %d deployments", acct.Load(), pages.Load(), rep.Count("deployment"))
	}
	joined := strings.Join(rep.Partial, "|")
	if !strings.Contains(joined, "deployments: stopped after 20 pages") || !strings.Contains(joined, "predictions: /v1/predictions answered HTTP 403") {
		t.Errorf("partial %q", rep.Partial)
	}
}

func TestNextPageElsewhereRefused(t *testing.T) {
	s := fake(t, func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path == "/v1/deployments" {
			fmt.Fprint(w, `{"next":"https://attacker.example/v1/deployments?cursor=x","results":[{"owner":"acme","name":"d"}]}`)
			return true
		}
		return false
	})
	rep, err := run(t, s, tok)
	if err != nil || !strings.Contains(strings.Join(rep.Partial, "|"), "refusing a next page on another host") {
		t.Errorf("report %+v, %v", rep, err)
	}
}

func TestInvalidToken(t *testing.T) {
	rep, err := run(t, fake(t, nil), tok[:len(tok)-1]+"q")
	if err == nil || rep != nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("an invalid token gave %+v, %v", rep, err)
	}
}
