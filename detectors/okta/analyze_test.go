package okta

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

const oktaTok = "00QCjAl4MlV-WPXM8Bo_N3Ru1zCJ9gBQ41ojsKnqzx"

type fakeOkta struct {
	srv        *vt.Server
	rolesFail  bool
	endless    bool
	limitOnce  atomic.Bool
	groupPages atomic.Int64
}

// handler answers as Okta's management API: "Authorization: SSWS
// <token>", 401 E0000011 otherwise, group lists paged by Link rel="next".
func (f *fakeOkta) handler(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if r.Header.Get("Authorization") != "SSWS "+oktaTok {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"errorCode":"E0000011","errorSummary":"Invalid token provided","errorLink":"E0000011","errorId":"oae1","errorCauses":[]}`)
		return
	}
	if f.limitOnce.CompareAndSwap(true, false) {
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
		fmt.Fprint(w, `{"errorCode":"E0000047","errorSummary":"API call exceeded rate limit due to too many requests."}`)
		return
	}
	switch r.URL.Path {
	case "/api/v1/users/me":
		fmt.Fprint(w, `{"id":"00ub0oNGTSWTBKOLGLNR","status":"ACTIVE","profile":{"login":"isaac.brock@example.com"}}`)
	case "/api/v1/users/00ub0oNGTSWTBKOLGLNR/roles":
		if f.rolesFail {
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `{"errorCode":"E0000006","errorSummary":"You do not have permission to perform the requested action"}`)
			return
		}
		fmt.Fprint(w, `[{"id":"ra1","label":"Super Organization Administrator","type":"SUPER_ADMIN","status":"ACTIVE","assignmentType":"USER"}]`)
	case "/api/v1/users/00ub0oNGTSWTBKOLGLNR/groups":
		n := f.groupPages.Add(1)
		if f.endless || r.URL.Query().Get("after") == "" {
			w.Header().Set("Link", fmt.Sprintf(`<%s/api/v1/users/00ub0oNGTSWTBKOLGLNR/groups?limit=200&after=g%d>; rel="next"`, f.srv.URL, n))
		}
		fmt.Fprintf(w, `[{"id":"g%d","type":"OKTA_GROUP","profile":{"name":"Group %d"}}]`, n, n)
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

func analyzeOkta(t *testing.T, f *fakeOkta, tok string) (*analyze.Report, error) {
	f.srv = vt.NewServer(t, f.handler)
	return Analyzer{}.Analyze(context.Background(), f.srv.Client("okta", 5*time.Second), verify.Request{Secret: tok, Parts: map[string]string{DomainRule: "acme.okta.com"}})
}

func TestAnalyzeFull(t *testing.T) {
	f := &fakeOkta{}
	rep, err := analyzeOkta(t, f, oktaTok)
	if err != nil {
		t.Fatal(err)
	}
	org := strings.TrimPrefix(f.srv.URL, "https://")
	if rep.Identity != "isaac.brock@example.com in "+org+" (ACTIVE)" || rep.Count("group") != 2 || rep.Count("admin role") != 1 {
		t.Errorf("identity %q resources %+v", rep.Identity, rep.Resources)
	}
	if rep.Severity != analyze.SeverityAdmin || rep.Worst != "administers the Okta org "+org+" as isaac.brock@example.com (SUPER_ADMIN)" {
		t.Errorf("severity %s worst %q", rep.Severity, rep.Worst)
	}
}

func TestAnalyzeStopsAtPageLimit(t *testing.T) {
	f := &fakeOkta{endless: true}
	rep, err := analyzeOkta(t, f, oktaTok)
	if err != nil {
		t.Fatal(err)
	}
	if f.groupPages.Load() != analyze.MaxPages || len(rep.Partial) != 1 || !strings.Contains(rep.Partial[0], "groups: stopped") {
		t.Errorf("%d pages, partial %v", f.groupPages.Load(), rep.Partial)
	}
}

func TestAnalyzePartialAndRateLimit(t *testing.T) {
	f := &fakeOkta{rolesFail: true}
	f.limitOnce.Store(true)
	rep, err := analyzeOkta(t, f, oktaTok)
	if err != nil {
		t.Fatal(err)
	}
	if f.limitOnce.Load() || len(rep.Partial) != 1 || !strings.Contains(rep.Partial[0], "roles") || !strings.Contains(rep.Partial[0], "403") || rep.Severity != analyze.SeverityRead {
		t.Errorf("%+v", rep)
	}
}

func TestAnalyzeInvalidToken(t *testing.T) {
	wrong := oktaTok[:len(oktaTok)-1] + "Q"
	rep, err := analyzeOkta(t, &fakeOkta{}, wrong)
	if err == nil || rep != nil || strings.Contains(err.Error(), wrong) {
		t.Fatalf("%+v, %v", rep, err)
	}
}
