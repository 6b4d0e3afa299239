package asana

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

const pat = "2/7356353644579562/2176226451767992:1732b8d77549726debf574d8795651f7"

type fakeAsana struct {
	projects     int // per page count of the "Acme" workspace: two pages of 100, then this many
	endless      bool
	personalFail bool
	limitOnce    atomic.Bool
	acmePages    atomic.Int64
}

// handler answers as Asana's API: "Authorization: Bearer <token>", 401
// {"errors":[{"message":"Not Authorized"}]} otherwise; lists wrapped in
// data, paged with next_page.offset.
func (f *fakeAsana) handler(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	if r.Header.Get("Authorization") != "Bearer "+pat {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"errors":[{"message":"Not Authorized","help":"For more information on API status codes and how to handle them, read the docs on errors: https://developers.asana.com/docs/errors"}]}`)
		return
	}
	if f.limitOnce.CompareAndSwap(true, false) {
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
		fmt.Fprint(w, `{"errors":[{"message":"You have made too many requests recently. Please, be chill."}]}`)
		return
	}
	q := r.URL.Query()
	switch r.URL.Path {
	case "/api/1.0/users/me":
		fmt.Fprint(w, `{"data":{"gid":"12345","resource_type":"user","name":"Greg Sanchez","email":"gsanchez@example.com","workspaces":[{"gid":"1001","resource_type":"workspace","name":"Acme"},{"gid":"1002","resource_type":"workspace","name":"Personal Projects"}]}}`)
	case "/api/1.0/users/me/workspace_memberships":
		fmt.Fprint(w, `{"data":[{"gid":"9001","resource_type":"workspace_membership","workspace":{"gid":"1001","resource_type":"workspace","name":"Acme"},"is_admin":true,"is_guest":false,"is_active":true},{"gid":"9002","resource_type":"workspace_membership","workspace":{"gid":"1002","resource_type":"workspace","name":"Personal Projects"},"is_admin":false,"is_guest":false,"is_active":true}],"next_page":null}`)
	case "/api/1.0/projects":
		if q.Get("limit") != "100" {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"errors":[{"message":"limit: Not a valid page size"}]}`)
			return
		}
		switch q.Get("workspace") {
		case "1002":
			if f.personalFail {
				w.WriteHeader(http.StatusForbidden)
				fmt.Fprint(w, `{"errors":[{"message":"You do not have access to this workspace"}]}`)
				return
			}
			fmt.Fprint(w, `{"data":[{"gid":"2001","resource_type":"project","name":"Garden","archived":true}],"next_page":null}`)
		case "1001":
			n := f.acmePages.Add(1)
			off := q.Get("offset")
			if (n == 1) != (off == "") || (n > 1 && off != fmt.Sprintf("eyJ0eXAiOiJKV1Qi%d", n-1)) {
				w.WriteHeader(http.StatusBadRequest)
				fmt.Fprint(w, `{"errors":[{"message":"offset: Your pagination token is invalid."}]}`)
				return
			}
			count := 100
			if n == 3 && !f.endless {
				count = f.projects
			}
			items := make([]string, 0, count)
			for i := 0; i < count; i++ {
				items = append(items, fmt.Sprintf(`{"gid":"3%d%03d","resource_type":"project","name":"Roadmap %d-%d","archived":false}`, n, i, n, i))
			}
			next := "null"
			if n < 3 || f.endless {
				next = fmt.Sprintf(`{"offset":"eyJ0eXAiOiJKV1Qi%d","path":"/projects?limit=100&offset=eyJ0eXAiOiJKV1Qi%d","uri":"https://app.asana.com/api/1.0/projects?limit=100&offset=eyJ0eXAiOiJKV1Qi%d"}`, n, n, n)
			}
			fmt.Fprintf(w, `{"data":[%s],"next_page":%s}`, strings.Join(items, ","), next)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	default:
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"errors":[{"message":"No matching route for request"}]}`)
	}
}

func analyzeAsana(t *testing.T, f *fakeAsana, tok string) (*analyze.Report, error) {
	s := vt.NewServer(t, f.handler)
	return Analyzer{}.Analyze(context.Background(), s.Client("asana", 5*time.Second), verify.Request{Secret: tok})
}

func TestAnalyzeFull(t *testing.T) {
	f := &fakeAsana{projects: 7}
	rep, err := analyzeAsana(t, f, pat)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Identity != "Greg Sanchez <gsanchez@example.com> (12345)" || rep.Kind != "personal access token" {
		t.Errorf("identity %q", rep.Identity)
	}
	if f.acmePages.Load() != 3 || rep.Count("project") != 208 || rep.Count("workspace") != 2 || len(rep.Partial) != 0 {
		t.Fatalf("%d pages, %d projects, partial %v", f.acmePages.Load(), rep.Count("project"), rep.Partial)
	}
	for _, r := range rep.Resources {
		if r.Kind == "workspace" && r.Name == "Acme (1001)" && r.Permissions[0] != "admin" {
			t.Errorf("%+v", r)
		}
		if r.Kind == "project" && strings.HasPrefix(r.Name, "Personal Projects/Garden") && strings.Join(r.Permissions, ",") != "archived,read,write" {
			t.Errorf("%+v", r)
		}
	}
	want := "administers the Asana workspace Acme as gsanchez@example.com; reads and changes 208 projects in 2 workspaces"
	if rep.Severity != analyze.SeverityAdmin || rep.Worst != want {
		t.Errorf("%s %q", rep.Severity, rep.Worst)
	}
}

func TestAnalyzeStopsAtPageLimit(t *testing.T) {
	f := &fakeAsana{endless: true}
	rep, err := analyzeAsana(t, f, pat)
	if err != nil {
		t.Fatal(err)
	}
	if f.acmePages.Load() != analyze.MaxPages || len(rep.Partial) != 1 || !strings.Contains(rep.Partial[0], "projects of Acme: stopped") || !strings.Contains(rep.Worst, "at least 2001 projects") {
		t.Errorf("%d pages, partial %v, worst %q", f.acmePages.Load(), rep.Partial, rep.Worst)
	}
}

func TestAnalyzePartialAndRateLimit(t *testing.T) {
	f := &fakeAsana{projects: 1, personalFail: true}
	f.limitOnce.Store(true)
	rep, err := analyzeAsana(t, f, pat)
	if err != nil {
		t.Fatal(err)
	}
	if f.limitOnce.Load() || len(rep.Partial) != 1 || !strings.Contains(rep.Partial[0], "projects of Personal Projects") || !strings.Contains(rep.Partial[0], "403") || rep.Count("project") != 201 {
		t.Errorf("%+v", rep.Partial)
	}
}

func TestAnalyzeInvalidToken(t *testing.T) {
	wrong := pat[:len(pat)-1] + "0"
	rep, err := analyzeAsana(t, &fakeAsana{}, wrong)
	if err == nil || rep != nil || strings.Contains(err.Error(), wrong) {
		t.Fatalf("%+v, %v", rep, err)
	}
}
