package terraformcloud

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

const tok = "Q2x9LmP4vR7sT1.atlasv1.uW3yZ5aB8cD6eF0g1h2i3jK4lM5nO6pQ7rS8tU9vW0xY1zA2bC3dE4fG5hI6jK7lM8"

type fake struct {
	pages     int
	failOrgs  bool
	limitOnce bool
	limited   atomic.Bool
	hits      atomic.Int64
}

// handler answers as app.terraform.io's JSON:API does: 401
// {"errors":[{"status":"401","title":"unauthorized"}]} without the Bearer
// token, page[number] pagination with meta.pagination.
func (f *fake) handler(t *testing.T) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f.hits.Add(1)
		w.Header().Set("Content-Type", "application/vnd.api+json")
		if r.Method != http.MethodGet {
			t.Errorf("%s %s", r.Method, r.URL.Path)
		}
		if r.Header.Get("Authorization") != "Bearer "+tok {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"errors":[{"status":"401","title":"unauthorized"}]}`)
			return
		}
		switch r.URL.Path {
		case "/api/v2/account/details":
			fmt.Fprint(w, `{"data":{"id":"user-V3R563qtJNcExAkN","type":"users","attributes":{"username":"ada","email":"ada@example.com","is-service-account":false}}}`)
		case "/api/v2/organizations":
			if f.limitOnce && f.limited.CompareAndSwap(false, true) {
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(http.StatusTooManyRequests)
				fmt.Fprint(w, `{"errors":[{"status":"429","title":"Too many requests"}]}`)
				return
			}
			if f.failOrgs {
				w.WriteHeader(http.StatusInternalServerError)
				fmt.Fprint(w, `{"errors":[{"status":"500","title":"internal server error"}]}`)
				return
			}
			page, _ := strconv.Atoi(r.URL.Query().Get("page[number]"))
			if page < 1 || r.URL.Query().Get("page[size]") != "100" {
				t.Errorf("query %q", r.URL.RawQuery)
			}
			next := "null"
			if page < f.pages {
				next = strconv.Itoa(page + 1)
			}
			perms := `"can-update":false,"can-destroy":false,"can-create-team":false,"can-create-workspace":true,"can-manage-users":false`
			if page == 1 {
				perms = `"can-update":true,"can-destroy":true,"can-create-team":true,"can-create-workspace":true,"can-manage-users":true`
			}
			fmt.Fprintf(w, `{"data":[{"id":"org-%d","type":"organizations","attributes":{"name":"org-%d","email":"ops@example.com","permissions":{%s}}}],
				"meta":{"pagination":{"current-page":%d,"prev-page":null,"next-page":%s,"total-pages":%d,"total-count":%d}}}`, page, page, perms, page, next, f.pages, f.pages)
		default:
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"errors":[{"status":"404","title":"not found"}]}`)
		}
	}
}

func run(t *testing.T, f *fake, secret string) (*analyze.Report, error) {
	s := vt.NewServer(t, f.handler(t))
	return Analyzer{}.Analyze(context.Background(), s.Client("terraform-cloud", 10*time.Second), verify.Request{RuleID: "terraform-cloud-token", Secret: secret})
}

func TestAnalyzeFull(t *testing.T) {
	rep, err := run(t, &fake{pages: 2}, tok)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Identity != "ada <ada@example.com>" || rep.Count("organization") != 2 {
		t.Errorf("report %+v", rep)
	}
	if got := strings.Join(rep.Resources[0].Permissions, ","); rep.Resources[0].Name != "org-1" || got != "can-create-team,can-create-workspace,can-destroy,can-manage-users,can-update" {
		t.Errorf("org-1 %q", got)
	}
	if got := strings.Join(rep.Resources[1].Permissions, ","); got != "can-create-workspace" {
		t.Errorf("org-2 %q", got)
	}
	if rep.Worst != "administers 1 of 2 HCP Terraform organizations (settings, teams, workspaces and their state and variables)" || rep.Severity != analyze.SeverityAdmin || len(rep.Partial) != 0 {
		t.Errorf("worst %q severity %v partial %q", rep.Worst, rep.Severity, rep.Partial)
	}
}

func TestAnalyzeBound(t *testing.T) {
	f := &fake{pages: 500}
	rep, err := run(t, f, tok)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Count("organization") != analyze.MaxPages || len(rep.Partial) != 1 || !strings.Contains(rep.Partial[0], "stopped after 20 pages") {
		t.Errorf("%d organizations, partial %q", rep.Count("organization"), rep.Partial)
	}
}

func TestAnalyzePartialAndRateLimit(t *testing.T) {
	rep, err := run(t, &fake{pages: 1, failOrgs: true}, tok)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Partial) != 1 || !strings.Contains(rep.Partial[0], "/api/v2/organizations answered HTTP 500") || rep.Identity != "ada <ada@example.com>" {
		t.Errorf("partial %q", rep.Partial)
	}
	f := &fake{pages: 1, limitOnce: true}
	rep, err = run(t, f, tok)
	if err != nil || !f.limited.Load() || rep.Count("organization") != 1 || len(rep.Partial) != 0 {
		t.Errorf("after a 429: %v %+v", err, rep)
	}
}

func TestAnalyzeInvalidToken(t *testing.T) {
	const wrong = "Wr0ngWr0ngWr0n.atlasv1.uW3yZ5aB8cD6eF0g1h2i3jK4lM5nO6pQ7rS8tU9vW0xY1zA2bC3dE4fG5hI6jK7lM8"
	f := &fake{pages: 1}
	rep, err := run(t, f, wrong)
	if err == nil || rep != nil || strings.Contains(err.Error(), wrong) || !strings.Contains(err.Error(), "401") || f.hits.Load() != 1 {
		t.Errorf("rep %+v err %v after %d requests", rep, err, f.hits.Load())
	}
}
