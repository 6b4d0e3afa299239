package datadog

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

// currentUserBody is shaped like Datadog's documented GET
// /api/v2/current_user answer: the user, its org and roles as
// relationships, and the roles, their permissions and the org in
// "included".
const currentUserBody = `{"data":{"type":"users","id":"3a1b2c3d-0000-4e5f-8a9b-0c1d2e3f4a5b",
 "attributes":{"email":"ada@example.com","handle":"ada@example.com","name":"Ada","status":"Active"},
 "relationships":{"roles":{"data":[{"type":"roles","id":"role-std"}]},"org":{"data":{"type":"orgs","id":"org-1"}}}},
 "included":[
  {"type":"roles","id":"role-std","attributes":{"name":"Datadog Standard Role","user_count":12},
   "relationships":{"permissions":{"data":[{"type":"permissions","id":"p1"},{"type":"permissions","id":"p2"},{"type":"permissions","id":"p3"}]}}},
  {"type":"permissions","id":"p1","attributes":{"name":"dashboards_read","display_name":"Dashboards Read"}},
  {"type":"permissions","id":"p2","attributes":{"name":"dashboards_write","display_name":"Dashboards Write"}},
  {"type":"permissions","id":"p3","attributes":{"name":"logs_read_data","display_name":"Logs Read Data"}},
  {"type":"orgs","id":"org-1","attributes":{"name":"Acme","public_id":"abc123"}}]}`

type fakeDatadog struct {
	userStatus int
	user       string
	limitOnce  atomic.Bool
}

// handler answers as Datadog's API: DD-API-KEY for validate (403 when
// unknown), both DD-API-KEY and DD-APPLICATION-KEY for current_user.
func (f *fakeDatadog) handler(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if f.limitOnce.CompareAndSwap(true, false) {
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
		fmt.Fprint(w, `{"errors":["Too many requests"]}`)
		return
	}
	if r.Header.Get("DD-API-KEY") != apiKey {
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, `{"errors":["Forbidden"]}`)
		return
	}
	switch r.URL.Path {
	case "/api/v1/validate":
		fmt.Fprint(w, `{"valid":true}`)
	case "/api/v2/current_user":
		if r.Header.Get("DD-APPLICATION-KEY") != appKey {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"errors":["Unauthorized"]}`)
			return
		}
		if f.userStatus != 0 {
			w.WriteHeader(f.userStatus)
			fmt.Fprint(w, `{"errors":["Forbidden"]}`)
			return
		}
		fmt.Fprint(w, f.user)
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

func analyzeDD(t *testing.T, f *fakeDatadog, req verify.Request) (*analyze.Report, error, *vt.Server) {
	s := vt.NewServer(t, f.handler)
	rep, err := Analyzer{}.Analyze(context.Background(), s.Client("datadog", 5*time.Second), req)
	return rep, err, s
}

func appReq(app string) verify.Request {
	return verify.Request{RuleID: AppKeyRule, Secret: app, Parts: map[string]string{APIKeyRule: apiKey}}
}

func TestAnalyzeAppKey(t *testing.T) {
	rep, err, s := analyzeDD(t, &fakeDatadog{user: currentUserBody}, appReq(appKey))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Identity != "ada@example.com in Acme on "+s.URL || rep.Kind != "application key" {
		t.Errorf("identity %q kind %q", rep.Identity, rep.Kind)
	}
	if rep.Count("role") != 1 || rep.Count("organization") != 1 {
		t.Fatalf("resources %+v", rep.Resources)
	}
	for _, r := range rep.Resources {
		if r.Kind == "role" && (r.Name != "Datadog Standard Role" || strings.Join(r.Permissions, ",") != "dashboards_read,dashboards_write,logs_read_data") {
			t.Errorf("role %+v", r)
		}
	}
	if rep.Severity != analyze.SeverityWrite || rep.Worst != "can change configuration of Acme on "+s.URL+" as ada@example.com (dashboards_write; roles Datadog Standard Role)" {
		t.Errorf("severity %s worst %q", rep.Severity, rep.Worst)
	}
}

func TestAnalyzeAdminRole(t *testing.T) {
	body := strings.Replace(currentUserBody, `"dashboards_write"`, `"user_access_manage"`, 1)
	rep, err, _ := analyzeDD(t, &fakeDatadog{user: body}, appReq(appKey))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Severity != analyze.SeverityAdmin || !strings.Contains(rep.Worst, "administers the Datadog organisation Acme") || !strings.Contains(rep.Worst, "user_access_manage") {
		t.Errorf("severity %s worst %q", rep.Severity, rep.Worst)
	}
}

func TestAnalyzeAPIKeyOnly(t *testing.T) {
	rep, err, s := analyzeDD(t, &fakeDatadog{}, verify.Request{RuleID: APIKeyRule, Secret: apiKey})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Kind != "API key" || rep.Severity != analyze.SeverityWrite || !strings.Contains(rep.Worst, "submit metrics") || rep.Resources[0].Name != s.URL {
		t.Errorf("%+v", rep)
	}
}

func TestAnalyzeScopedAppKey(t *testing.T) {
	rep, err, _ := analyzeDD(t, &fakeDatadog{userStatus: http.StatusForbidden}, appReq(appKey))
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Partial) != 1 || !strings.Contains(rep.Partial[0], "403") {
		t.Errorf("partial %v", rep.Partial)
	}
}

func TestAnalyzeRateLimited(t *testing.T) {
	f := &fakeDatadog{user: currentUserBody}
	f.limitOnce.Store(true)
	rep, err, _ := analyzeDD(t, f, appReq(appKey))
	if err != nil || f.limitOnce.Load() || rep.Count("role") != 1 {
		t.Fatalf("429 not retried: %+v, %v", rep, err)
	}
}

func TestAnalyzeInvalidKeys(t *testing.T) {
	wrongApp := appKey[:len(appKey)-1] + "Q"
	rep, err, _ := analyzeDD(t, &fakeDatadog{user: currentUserBody}, appReq(wrongApp))
	if err == nil || rep != nil || strings.Contains(err.Error(), wrongApp) || strings.Contains(err.Error(), apiKey) {
		t.Fatalf("wrong app key: %+v, %v", rep, err)
	}
	wrongAPI := apiKey[:len(apiKey)-1] + "0"
	rep, err, _ = analyzeDD(t, &fakeDatadog{}, verify.Request{RuleID: APIKeyRule, Secret: wrongAPI})
	if err == nil || rep != nil || strings.Contains(err.Error(), wrongAPI) {
		t.Fatalf("wrong API key: %+v, %v", rep, err)
	}
}
