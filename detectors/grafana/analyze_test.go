package grafana

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

const saTok = "glsa_yscW25imSKJIuav8zF37RZmnbiDvB05G_fcaaf58a"

type fakeGrafana struct {
	role        string // Admin, Editor or Viewer
	dashboards  int
	endless     bool
	sourcesFail int
	limitOnce   atomic.Bool
	searchPages atomic.Int64
}

// handler answers as Grafana's HTTP API: "Authorization: Bearer <token>",
// 401 {"message":"Invalid API key"} otherwise; 403 where the basic role
// lacks the permission; search paged by limit and page.
func (f *fakeGrafana) handler(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if r.Header.Get("Authorization") != "Bearer "+saTok {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"message":"Invalid API key","traceID":""}`)
		return
	}
	if f.limitOnce.CompareAndSwap(true, false) {
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
		fmt.Fprint(w, `{"message":"Too many requests"}`)
		return
	}
	forbidden := func() {
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, `{"accessErrorId":"ACE0947587429","message":"You'll need additional permissions to perform this action.","title":"Access denied"}`)
	}
	switch r.URL.Path {
	case "/api/org":
		fmt.Fprint(w, `{"id":1,"name":"Main Org.","address":{"address1":"","city":"","zipCode":"","state":"","country":""}}`)
	case "/api/serviceaccounts/search":
		if f.role != "Admin" {
			forbidden()
			return
		}
		fmt.Fprint(w, `{"totalCount":3,"serviceAccounts":[{"id":2,"name":"ci","login":"sa-ci","orgId":1,"isDisabled":false,"role":"Admin","tokens":1}],"page":1,"perPage":1}`)
	case "/api/datasources":
		if f.sourcesFail != 0 {
			w.WriteHeader(f.sourcesFail)
			fmt.Fprint(w, `{"message":"internal error"}`)
			return
		}
		if f.role == "Viewer" {
			forbidden()
			return
		}
		fmt.Fprint(w, `[{"id":1,"uid":"P8E80F9AEF21F6940","orgId":1,"name":"Prometheus","type":"prometheus","access":"proxy","url":"http://prometheus:9090","isDefault":true},{"id":2,"uid":"bd4a1f6e","orgId":1,"name":"Logs","type":"loki","access":"proxy","url":"http://loki:3100"}]`)
	case "/api/search":
		f.searchPages.Add(1)
		q := r.URL.Query()
		page, _ := strconv.Atoi(q.Get("page"))
		limit, _ := strconv.Atoi(q.Get("limit"))
		if q.Get("type") != "dash-db" || page < 1 || limit != 1000 {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		n := f.dashboards - (page-1)*limit
		if f.endless || n > limit {
			n = limit
		}
		items := make([]string, 0, n)
		for i := 0; i < n; i++ {
			folder := `"folderUid":"ops","folderTitle":"Ops",`
			if i%2 == 1 {
				folder = ""
			}
			items = append(items, fmt.Sprintf(`{"id":%d,"uid":"d%d-%d","title":"Board %d","type":"dash-db",%s"tags":[],"isStarred":false}`, i, page, i, i, folder))
		}
		fmt.Fprintf(w, "[%s]", strings.Join(items, ","))
	case "/api/dashboards/uid/d1-0":
		fmt.Fprintf(w, `{"dashboard":{"uid":"d1-0","title":"Board 0"},"meta":{"canSave":%t,"canEdit":%t,"canAdmin":false,"folderTitle":"Ops"}}`, f.role != "Viewer", f.role != "Viewer")
	default:
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"message":"Not found"}`)
	}
}

func analyzeGrafana(t *testing.T, f *fakeGrafana, tok string) (*analyze.Report, string, error) {
	s := vt.NewServer(t, f.handler)
	rep, err := Analyzer{}.Analyze(context.Background(), s.Client("grafana", 10*time.Second), verify.Request{Secret: tok})
	return rep, strings.TrimPrefix(s.URL, "https://"), err
}

func TestAnalyzeAdmin(t *testing.T) {
	f := &fakeGrafana{role: "Admin", dashboards: 1003}
	rep, host, err := analyzeGrafana(t, f, saTok)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Identity != "organisation Main Org. (1) on "+host || rep.Kind != "service account token" {
		t.Errorf("identity %q", rep.Identity)
	}
	if f.searchPages.Load() != 2 || rep.Count("data source") != 2 || rep.Count("folder") != 2 || len(rep.Partial) != 0 {
		t.Fatalf("%d pages, resources %+v, partial %v", f.searchPages.Load(), rep.Resources, rep.Partial)
	}
	var folders []string
	for _, r := range rep.Resources {
		if r.Kind == "folder" {
			folders = append(folders, r.Name)
		}
		if r.Kind == "organization" && r.Permissions[0] != "Admin" {
			t.Errorf("%+v", r)
		}
	}
	if strings.Join(folders, "|") != "General (501 dashboards)|Ops (502 dashboards)" {
		t.Errorf("folders %v", folders)
	}
	want := "administers the Grafana organisation Main Org. on " + host + " (3 service accounts, 2 data sources, 1003 dashboards)"
	if rep.Severity != analyze.SeverityAdmin || rep.Worst != want {
		t.Errorf("%s %q", rep.Severity, rep.Worst)
	}
}

func TestAnalyzeEditorAndViewer(t *testing.T) {
	rep, _, err := analyzeGrafana(t, &fakeGrafana{role: "Editor", dashboards: 4}, saTok)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Severity != analyze.SeverityWrite || !strings.HasPrefix(rep.Worst, "can change dashboards of the Grafana organisation Main Org.") {
		t.Errorf("editor: %s %q", rep.Severity, rep.Worst)
	}
	rep, _, err = analyzeGrafana(t, &fakeGrafana{role: "Viewer", dashboards: 4}, saTok)
	if err != nil {
		t.Fatal(err)
	}
	// A viewer is refused the data sources: that listing is partial.
	if rep.Severity != analyze.SeverityRead || !strings.Contains(rep.Worst, "0 data sources, 4 dashboards") || len(rep.Partial) != 1 || !strings.Contains(rep.Partial[0], "data sources") {
		t.Errorf("viewer: %s %q %v", rep.Severity, rep.Worst, rep.Partial)
	}
}

func TestAnalyzeStopsAtPageLimit(t *testing.T) {
	f := &fakeGrafana{role: "Admin", endless: true}
	rep, _, err := analyzeGrafana(t, f, saTok)
	if err != nil {
		t.Fatal(err)
	}
	if f.searchPages.Load() != analyze.MaxPages || len(rep.Partial) != 1 || !strings.Contains(rep.Partial[0], "dashboards: stopped") || !strings.Contains(rep.Worst, "at least 20000 dashboards") {
		t.Errorf("%d pages, partial %v, worst %q", f.searchPages.Load(), rep.Partial, rep.Worst)
	}
}

func TestAnalyzePartialAndRateLimit(t *testing.T) {
	f := &fakeGrafana{role: "Admin", dashboards: 1, sourcesFail: http.StatusInternalServerError}
	f.limitOnce.Store(true)
	rep, _, err := analyzeGrafana(t, f, saTok)
	if err != nil {
		t.Fatal(err)
	}
	if f.limitOnce.Load() || len(rep.Partial) != 1 || !strings.Contains(rep.Partial[0], "data sources") || !strings.Contains(rep.Partial[0], "500") || rep.Severity != analyze.SeverityAdmin {
		t.Errorf("%+v", rep)
	}
}

func TestAnalyzeInvalidToken(t *testing.T) {
	wrong := saTok[:len(saTok)-1] + "Q"
	rep, _, err := analyzeGrafana(t, &fakeGrafana{role: "Admin"}, wrong)
	if err == nil || rep != nil || strings.Contains(err.Error(), wrong) {
		t.Fatalf("%+v, %v", rep, err)
	}
}
