package atlassian

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
	atlTok   = "ATATT3xFfGF0T4bJkQm9VbXp2Lr8sNw5cYd1eZu7oHa6iKj3gMq0tPvRy"
	atlEmail = "mia@acme.test"
)

type fakeJira struct {
	srv       *vt.Server
	jiraAdmin bool
	projects  int // browsable; the first half create issues, the first one is administered
	endless   bool
	permsFail bool
	limitOnce atomic.Bool
	pages     atomic.Int64
	offSite   bool
}

// handler answers as Jira Cloud's REST API v3: basic auth e-mail:token,
// 401 otherwise; the project search paged with startAt/maxResults and an
// absolute nextPage until isLast.
func (f *fakeJira) handler(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	if u, p, ok := r.BasicAuth(); !ok || u != atlEmail || p != atlTok {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `Client must be authenticated to access this resource.`)
		return
	}
	if f.limitOnce.CompareAndSwap(true, false) {
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
		return
	}
	q := r.URL.Query()
	switch r.URL.Path {
	case "/rest/api/3/myself":
		fmt.Fprint(w, `{"self":"https://acme.atlassian.net/rest/api/3/user?accountId=5b10a2844c20165700ede21g","accountId":"5b10a2844c20165700ede21g","accountType":"atlassian","emailAddress":"mia@acme.test","displayName":"Mia Krystof","active":true,"timeZone":"Australia/Sydney"}`)
	case "/rest/api/3/mypermissions":
		if f.permsFail {
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprint(w, `{"errorMessages":["Internal server error"],"errors":{}}`)
			return
		}
		var out []string
		for _, k := range strings.Split(q.Get("permissions"), ",") {
			typ := "PROJECT"
			if k == "ADMINISTER" || k == "SYSTEM_ADMIN" || k == "USER_PICKER" {
				typ = "GLOBAL"
			}
			have := k == "BROWSE_PROJECTS" || k == "CREATE_ISSUES" || k == "USER_PICKER" || (f.jiraAdmin && k == "ADMINISTER")
			out = append(out, fmt.Sprintf(`%q:{"id":"1","key":%q,"name":%q,"type":%q,"description":"","havePermission":%t}`, k, k, k, typ, have))
		}
		fmt.Fprintf(w, `{"permissions":{%s}}`, strings.Join(out, ","))
	case "/rest/api/3/project/search":
		f.pages.Add(1)
		start, _ := strconv.Atoi(q.Get("startAt"))
		max, _ := strconv.Atoi(q.Get("maxResults"))
		total := f.projects
		switch q.Get("action") {
		case "create":
			total = f.projects / 2
		case "edit":
			total = 1
		case "browse":
		default:
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		var vals []string
		for i := start; i < start+max && i < total; i++ {
			vals = append(vals, fmt.Sprintf(`{"self":"https://acme.atlassian.net/rest/api/3/project/%d","id":"%d","key":"P%d","name":"Project %d","projectTypeKey":"software","simplified":false}`, 10000+i, 10000+i, i, i))
		}
		last := !f.endless && start+max >= total
		next := ""
		if !last {
			host := f.srv.URL
			if f.offSite {
				host = "https://evil.example"
			}
			next = fmt.Sprintf(`"nextPage":"%s/rest/api/3/project/search?action=%s&startAt=%d&maxResults=%d",`, host, q.Get("action"), start+max, max)
		}
		fmt.Fprintf(w, `{"self":"%s%s",%s"maxResults":%d,"startAt":%d,"total":%d,"isLast":%t,"values":[%s]}`, f.srv.URL, r.URL.RequestURI(), next, max, start, total, last, strings.Join(vals, ","))
	default:
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"errorMessages":["Not found"],"errors":{}}`)
	}
}

func analyzeJira(t *testing.T, f *fakeJira, tok string) (*analyze.Report, error) {
	f.srv = vt.NewServer(t, f.handler)
	return Analyzer{}.Analyze(context.Background(), f.srv.Client("atlassian", 5*time.Second),
		verify.Request{Secret: tok, Parts: map[string]string{EmailRule: atlEmail, DomainRule: "acme.atlassian.net"}})
}

func TestAnalyzeFull(t *testing.T) {
	f := &fakeJira{projects: 60}
	rep, err := analyzeJira(t, f, atlTok)
	if err != nil {
		t.Fatal(err)
	}
	site := strings.TrimPrefix(f.srv.URL, "https://")
	if rep.Identity != "Mia Krystof <mia@acme.test> (5b10a2844c20165700ede21g) on "+site {
		t.Errorf("identity %q", rep.Identity)
	}
	if strings.Join(rep.Scopes, ",") != "BROWSE_PROJECTS,CREATE_ISSUES,USER_PICKER" {
		t.Errorf("scopes %v", rep.Scopes)
	}
	// browse: 2 pages, create: 1, edit: 1.
	if f.pages.Load() != 4 || rep.Count("project") != 60 || len(rep.Partial) != 0 {
		t.Fatalf("%d pages, %d projects, partial %v", f.pages.Load(), rep.Count("project"), rep.Partial)
	}
	for _, r := range rep.Resources {
		if r.Name == "P0 (Project 0)" && strings.Join(r.Permissions, ",") != "administer project,browse,create issues" {
			t.Errorf("%+v", r)
		}
		if r.Name == "P59 (Project 59)" && strings.Join(r.Permissions, ",") != "browse" {
			t.Errorf("%+v", r)
		}
	}
	want := "administers 1 Jira projects on the Atlassian site " + site + " as Mia Krystof (creates issues in 30, browses 60)"
	if rep.Severity != analyze.SeverityAdmin || rep.Worst != want {
		t.Errorf("%s %q", rep.Severity, rep.Worst)
	}
}

func TestAnalyzeJiraAdmin(t *testing.T) {
	rep, err := analyzeJira(t, &fakeJira{projects: 4, jiraAdmin: true}, atlTok)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Severity != analyze.SeverityAdmin || !strings.HasPrefix(rep.Worst, "administers Jira (ADMINISTER) on the Atlassian site") || !strings.HasSuffix(rep.Worst, ": 4 projects") {
		t.Errorf("%s %q", rep.Severity, rep.Worst)
	}
}

func TestAnalyzeStopsAtPageLimitAndStaysOnSite(t *testing.T) {
	f := &fakeJira{projects: 10, endless: true}
	rep, err := analyzeJira(t, f, atlTok)
	if err != nil {
		t.Fatal(err)
	}
	if f.pages.Load() != 3*analyze.MaxPages || len(rep.Partial) != 3 || !strings.Contains(rep.Partial[0], "stopped after") || !strings.Contains(rep.Worst, "at least") {
		t.Errorf("%d pages, partial %v, worst %q", f.pages.Load(), rep.Partial, rep.Worst)
	}
	f = &fakeJira{projects: 60, offSite: true}
	rep, err = analyzeJira(t, f, atlTok)
	if err != nil {
		t.Fatal(err)
	}
	if f.pages.Load() != 3 || len(rep.Partial) != 1 || !strings.Contains(rep.Partial[0], "another host") {
		t.Errorf("%d pages, partial %v", f.pages.Load(), rep.Partial)
	}
}

func TestAnalyzePartialAndRateLimit(t *testing.T) {
	f := &fakeJira{projects: 2, permsFail: true}
	f.limitOnce.Store(true)
	rep, err := analyzeJira(t, f, atlTok)
	if err != nil {
		t.Fatal(err)
	}
	if f.limitOnce.Load() || len(rep.Partial) != 1 || !strings.Contains(rep.Partial[0], "permissions") || !strings.Contains(rep.Partial[0], "500") || rep.Count("project") != 2 {
		t.Errorf("%+v", rep)
	}
}

func TestAnalyzeInvalidToken(t *testing.T) {
	wrong := atlTok[:len(atlTok)-1] + "Q"
	rep, err := analyzeJira(t, &fakeJira{}, wrong)
	if err == nil || rep != nil || strings.Contains(err.Error(), wrong) {
		t.Fatalf("%+v, %v", rep, err)
	}
	_, err = Analyzer{}.Analyze(context.Background(), verify.NewClient(verify.Options{}), verify.Request{Secret: atlTok})
	if err == nil {
		t.Fatal("analyzed without the owner's e-mail")
	}
}
