package digitalocean

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

const token = "dop_v1_8f3c2a9b7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a"

func fake(t *testing.T, volumes func(n int64) (int, string)) *vt.Server {
	var n atomic.Int64
	return vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("Authorization") != "Bearer "+token {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"id":"Unauthorized","message":"Unable to authenticate you."}`)
			return
		}
		switch r.URL.Path {
		case "/v2/account":
			fmt.Fprint(w, `{"account":{"droplet_limit":25,"floating_ip_limit":5,"email":"ada@example.com","name":"Ada","uuid":"b6fr89dbf6d9156cace5f3c78dc9851d957381ef","email_verified":true,"status":"active","team":{"uuid":"5df3e3004a17e242b7c20ca6c9fc25b701a47ece","name":"Acme"}}}`)
		case "/v2/droplets":
			fmt.Fprint(w, `{"droplets":[{"id":3164444,"name":"web-1","status":"active"},{"id":3164445,"name":"db-1","status":"active"}],"links":{"pages":{"next":"https://api.digitalocean.com/v2/droplets?page=2&per_page=2","last":"https://api.digitalocean.com/v2/droplets?page=7&per_page=2"}},"meta":{"total":14}}`)
		case "/v2/volumes":
			status, body := volumes(n.Add(1))
			if status == http.StatusTooManyRequests {
				w.Header().Set("Retry-After", "1")
			}
			w.WriteHeader(status)
			fmt.Fprint(w, body)
		case "/v2/kubernetes/clusters":
			fmt.Fprint(w, `{"kubernetes_clusters":[],"meta":{"total":0}}`)
		case "/v2/databases":
			fmt.Fprint(w, `{"databases":[{"id":"9cc10173-e9ea-4176-9dbc-a4cee4c4ff30","name":"backend","engine":"pg"}]}`)
		default:
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"id":"not_found","message":"The resource you were accessing could not be found."}`)
		}
	})
}

func TestAnalyze(t *testing.T) {
	s := fake(t, func(n int64) (int, string) {
		if n == 1 {
			return 429, `{"id":"too_many_requests","message":"API Rate limit exceeded."}`
		}
		return 200, `{"volumes":[{"id":"506f78a4-e098-11e5-ad9f-000f53306ae1","name":"data"}],"meta":{"total":1}}`
	})
	rep, err := Analyzer{}.Analyze(context.Background(), s.Client("digitalocean", 5*time.Second), verify.Request{Secret: token})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Identity != "ada@example.com (team Acme)" || rep.Count("droplet") != 2 || rep.Count("volume") != 1 || rep.Count("database cluster") != 1 {
		t.Errorf("%+v", rep)
	}
	if rep.Severity != analyze.SeverityRead || rep.Worst != "reads 14 droplets, 1 volume and 1 database cluster of team Acme; DigitalOcean does not say whether the token may also write" {
		t.Errorf("worst %q", rep.Worst)
	}
	if len(rep.Partial) != 1 || rep.Partial[0] != "/v2/droplets: only the first 2 of 14 listed" {
		t.Errorf("partial %v", rep.Partial)
	}
}

func TestAnalyzePartialAndInvalid(t *testing.T) {
	s := fake(t, func(int64) (int, string) {
		return 403, `{"id":"forbidden","message":"You are not authorized to perform this operation"}`
	})
	rep, err := Analyzer{}.Analyze(context.Background(), s.Client("digitalocean", 5*time.Second), verify.Request{Secret: token})
	if err != nil || !strings.Contains(strings.Join(rep.Partial, "|"), "/v2/volumes answered HTTP 403") || rep.Count("volume") != 0 {
		t.Fatalf("%+v %v", rep, err)
	}
	bad := token[:len(token)-1] + "b"
	rep, err = Analyzer{}.Analyze(context.Background(), s.Client("digitalocean", 5*time.Second), verify.Request{Secret: bad})
	if err == nil || rep != nil || strings.Contains(err.Error(), bad) {
		t.Fatalf("%+v %v", rep, err)
	}
}
