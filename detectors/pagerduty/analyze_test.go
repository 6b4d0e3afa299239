package pagerduty

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
	accountKey = "y_NbAkKc66ryYTWUXYEu"
	userToken  = "u+zPfF8hXz4sQ9kbRyWd"
)

type fakePD struct {
	role         string // empty: the key is the account's general access key
	services     int    // how many services the account has
	endless      bool
	usersFail    bool
	limitOnce    atomic.Bool
	servicePages atomic.Int64
}

// handler answers as PagerDuty's REST API v2: "Authorization: Token
// token=<key>" and the version 2 Accept header, 401 error 2006 otherwise;
// classic offset pagination with "more".
func (f *fakePD) handler(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	key := accountKey
	if f.role != "" {
		key = userToken
	}
	if r.Header.Get("Authorization") != "Token token="+key || r.Header.Get("Accept") != "application/vnd.pagerduty+json;version=2" {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"error":{"message":"Authentication failed","code":2006}}`)
		return
	}
	if f.limitOnce.CompareAndSwap(true, false) {
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
		fmt.Fprint(w, `{"error":{"message":"Rate Limit Exceeded","code":2020}}`)
		return
	}
	switch r.URL.Path {
	case "/abilities":
		fmt.Fprint(w, `{"abilities":["teams","read_only_users","urgencies"]}`)
	case "/users/me":
		if f.role == "" {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"error":{"message":"Invalid Input Provided","code":2001,"errors":["This endpoint requires a user-level API token."]}}`)
			return
		}
		fmt.Fprintf(w, `{"user":{"id":"PXPGF42","type":"user","name":"Earline Greenholt","email":"earline@example.com","role":%q}}`, f.role)
	case "/services":
		f.servicePages.Add(1)
		q := r.URL.Query()
		offset, _ := strconv.Atoi(q.Get("offset"))
		if q.Get("limit") != "100" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		n := f.services - offset
		if n > 100 {
			n = 100
		}
		var items []string
		for i := 0; i < n; i++ {
			items = append(items, fmt.Sprintf(`{"id":"PSVC%d","type":"service","name":"Service %d","status":"active"}`, offset+i, offset+i))
		}
		more := f.endless || offset+n < f.services
		fmt.Fprintf(w, `{"services":[%s],"limit":100,"offset":%d,"more":%t,"total":null}`, strings.Join(items, ","), offset, more)
	case "/users":
		if f.usersFail {
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `{"error":{"message":"Access Denied","code":2010}}`)
			return
		}
		fmt.Fprint(w, `{"users":[{"id":"PXPGF42","type":"user"}],"limit":1,"offset":0,"more":true,"total":57}`)
	default:
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"error":{"message":"Not Found","code":2100}}`)
	}
}

func analyzePD(t *testing.T, f *fakePD, key string) (*analyze.Report, error) {
	s := vt.NewServer(t, f.handler)
	return Analyzer{}.Analyze(context.Background(), s.Client("pagerduty", 5*time.Second), verify.Request{Secret: key})
}

func TestAnalyzeAccountKey(t *testing.T) {
	f := &fakePD{services: 150}
	rep, err := analyzePD(t, f, accountKey)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Kind != "general access REST API key" || strings.Join(rep.Scopes, ",") != "read_only_users,teams,urgencies" {
		t.Errorf("kind %q scopes %v", rep.Kind, rep.Scopes)
	}
	if f.servicePages.Load() != 2 || rep.Count("service") != 150 || len(rep.Partial) != 0 {
		t.Errorf("%d pages, %d services, partial %v", f.servicePages.Load(), rep.Count("service"), rep.Partial)
	}
	if rep.Resources[0].Permissions[0] != "general access" {
		t.Errorf("%+v", rep.Resources[0])
	}
	want := "acts on the whole PagerDuty account (150 services and 57 users) with a general access key: full access unless it was made read-only"
	if rep.Severity != analyze.SeverityAdmin || rep.Worst != want {
		t.Errorf("%s %q", rep.Severity, rep.Worst)
	}
}

func TestAnalyzeUserTokenRoles(t *testing.T) {
	for role, sev := range map[string]analyze.Severity{"admin": analyze.SeverityAdmin, "user": analyze.SeverityWrite, "observer": analyze.SeverityRead} {
		rep, err := analyzePD(t, &fakePD{role: role, services: 2}, userToken)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Kind != "user API token" || rep.Identity != "Earline Greenholt <earline@example.com> (PXPGF42, role "+role+")" {
			t.Errorf("%s: %q %q", role, rep.Kind, rep.Identity)
		}
		if rep.Severity != sev || !strings.Contains(rep.Worst, "as earline@example.com ("+role+"): 2 services and 57 users") {
			t.Errorf("%s: %s %q", role, rep.Severity, rep.Worst)
		}
	}
}

func TestAnalyzeStopsAtPageLimit(t *testing.T) {
	f := &fakePD{services: 5000, endless: true}
	rep, err := analyzePD(t, f, accountKey)
	if err != nil {
		t.Fatal(err)
	}
	if f.servicePages.Load() != analyze.MaxPages || len(rep.Partial) != 1 || !strings.Contains(rep.Partial[0], "services: stopped") || !strings.Contains(rep.Worst, "at least 2000 services") {
		t.Errorf("%d pages, partial %v, worst %q", f.servicePages.Load(), rep.Partial, rep.Worst)
	}
}

func TestAnalyzePartialAndRateLimit(t *testing.T) {
	f := &fakePD{role: "manager", services: 1, usersFail: true}
	f.limitOnce.Store(true)
	rep, err := analyzePD(t, f, userToken)
	if err != nil {
		t.Fatal(err)
	}
	if f.limitOnce.Load() || len(rep.Partial) != 1 || !strings.Contains(rep.Partial[0], "users") || !strings.Contains(rep.Partial[0], "403") {
		t.Fatalf("partial %v", rep.Partial)
	}
	if rep.Count("service") != 1 || rep.Severity != analyze.SeverityWrite || strings.Contains(rep.Worst, "users") {
		t.Errorf("%+v", rep)
	}
}

func TestAnalyzeInvalidKey(t *testing.T) {
	wrong := accountKey[:len(accountKey)-1] + "Q"
	rep, err := analyzePD(t, &fakePD{}, wrong)
	if err == nil || rep != nil || strings.Contains(err.Error(), wrong) {
		t.Fatalf("%+v, %v", rep, err)
	}
}
