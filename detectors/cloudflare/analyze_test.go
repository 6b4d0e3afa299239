package cloudflare

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/verify"
	vt "github.com/achilles-sec/achilles/detectors/verify/verifytest"
)

const (
	token   = "Xq7bY2mN9pL4kR8sT1vW6zA3cD5eF0gH2jK4lM6n"
	tokenID = "f267e341f3dd4697bd3b9f71dd96247f"
)

type cf struct {
	zonePages  int // total_pages the zone listing announces
	tokenRead  int // status of GET /user/tokens/{id}
	zoneHits   atomic.Int64
	verifyHits atomic.Int64
	limitOnce  bool
}

func (f *cf) handler(t *testing.T) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("Authorization") != "Bearer "+token {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"success":false,"errors":[{"code":1000,"message":"Invalid API Token"}],"messages":[],"result":null}`)
			return
		}
		switch r.URL.Path {
		case "/client/v4/user/tokens/verify":
			if f.verifyHits.Add(1) == 1 && f.limitOnce {
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(http.StatusTooManyRequests)
				fmt.Fprint(w, `{"success":false,"errors":[{"code":10000,"message":"Rate limited"}]}`)
				return
			}
			fmt.Fprintf(w, `{"result":{"id":"%s","status":"active","expires_on":"2027-01-01T00:00:00Z"},"success":true,"errors":[],"messages":[{"code":10000,"message":"This API Token is valid and active"}]}`, tokenID)
		case "/client/v4/user/tokens/" + tokenID:
			if f.tokenRead != 0 {
				w.WriteHeader(f.tokenRead)
				fmt.Fprint(w, `{"success":false,"errors":[{"code":9109,"message":"Unauthorized to access requested resource"}]}`)
				return
			}
			fmt.Fprintf(w, `{"success":true,"errors":[],"result":{"id":"%s","name":"deploy dns","status":"active","policies":[{"id":"f267e341f3dd4697bd3b9f71dd96247f","effect":"allow","resources":{"com.cloudflare.api.account.zone.eb78d65290b24279ba6f44721b3ea3c4":"*"},"permission_groups":[{"id":"c8fed203ed3043cba015a93ad1616f1f","name":"Zone Read"},{"id":"82e64a83756745bbbb1c9c2701bf816b","name":"DNS Edit"}]}]}}`, tokenID)
		case "/client/v4/zones":
			f.zoneHits.Add(1)
			page, _ := strconv.Atoi(r.URL.Query().Get("page"))
			if r.URL.Query().Get("per_page") != "50" || page < 1 {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			fmt.Fprintf(w, `{"success":true,"errors":[],"result":[{"id":"023e105f4ecef8ad9ca31a8372d0c353","name":"site%d.example","status":"active","account":{"id":"01a7362d577a6c3019a474fd6f485823","name":"Acme"}}],"result_info":{"page":%d,"per_page":50,"count":1,"total_count":%d,"total_pages":%d}}`, page, page, f.zonePages, f.zonePages)
		case "/client/v4/accounts":
			fmt.Fprint(w, `{"success":true,"errors":[],"result":[{"id":"01a7362d577a6c3019a474fd6f485823","name":"Acme","type":"standard"}],"result_info":{"page":1,"per_page":50,"count":1,"total_count":1,"total_pages":1}}`)
		default:
			t.Errorf("unexpected %s", r.URL.Path)
			w.WriteHeader(http.StatusNotFound)
		}
	}
}

func analyzeWith(t *testing.T, f *cf, secret string) (*analyze.Report, error) {
	s := vt.NewServer(t, f.handler(t))
	return Analyzer{}.Analyze(context.Background(), s.Client("cloudflare", 5*time.Second), verify.Request{Secret: secret})
}

func TestAnalyzePolicies(t *testing.T) {
	f := &cf{zonePages: 2, limitOnce: true}
	rep, err := analyzeWith(t, f, token)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Identity != "token "+tokenID+" (deploy dns)" || rep.Kind != "API token expiring 2027-01-01T00:00:00Z" || f.verifyHits.Load() != 2 {
		t.Errorf("%+v", rep)
	}
	if rep.Count("zone") != 2 || rep.Count("account") != 1 || f.zoneHits.Load() != 2 {
		t.Errorf("resources %v", rep.Resources)
	}
	pol := rep.Resources[1]
	if pol.Kind != "policy" || pol.Name != "com.cloudflare.api.account.zone.eb78d65290b24279ba6f44721b3ea3c4" || strings.Join(pol.Permissions, ",") != "DNS Edit,Zone Read" {
		t.Errorf("policy %v", pol)
	}
	if rep.Severity != analyze.SeverityWrite || rep.Worst != "DNS Edit on 2 zones in 1 account" || len(rep.Partial) != 0 {
		t.Errorf("worst %q %s %v", rep.Worst, rep.Severity, rep.Partial)
	}
}

func TestAnalyzeBoundAndPartial(t *testing.T) {
	f := &cf{zonePages: 100, tokenRead: http.StatusForbidden}
	rep, err := analyzeWith(t, f, token)
	if err != nil {
		t.Fatal(err)
	}
	if f.zoneHits.Load() != analyze.MaxPages || rep.Count("zone") != analyze.MaxPages {
		t.Errorf("%d zone pages", f.zoneHits.Load())
	}
	p := strings.Join(rep.Partial, "|")
	if !strings.Contains(p, "the token's policies: /client/v4/user/tokens/"+tokenID+" answered HTTP 403") || !strings.Contains(p, "/client/v4/zones: stopped after 20 pages") {
		t.Errorf("partial %v", rep.Partial)
	}
	if rep.Severity != analyze.SeverityRead || rep.Worst != "can read 20 zones in 1 account" {
		t.Errorf("worst %q", rep.Worst)
	}
}

func TestAnalyzeInvalid(t *testing.T) {
	bad := token[:len(token)-1] + "x"
	rep, err := analyzeWith(t, &cf{}, bad)
	if err == nil || rep != nil || strings.Contains(err.Error(), bad) {
		t.Fatalf("%+v %v", rep, err)
	}
}
