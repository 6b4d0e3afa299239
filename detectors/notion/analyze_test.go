package notion

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/verify"
	vt "github.com/achilles-sec/achilles/detectors/verify/verifytest"
)

const tok = "ntn_4567890123456789012345678901234567890123456789"

func fake(t *testing.T, override func(w http.ResponseWriter, r *http.Request, cursor string) bool) *vt.Server {
	return vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("Authorization") != "Bearer "+tok || r.Header.Get("Notion-Version") != version {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"object":"error","status":401,"code":"unauthorized","message":"API token is invalid."}`)
			return
		}
		var body struct {
			PageSize    int    `json:"page_size"`
			StartCursor string `json:"start_cursor"`
		}
		if r.Method == http.MethodPost {
			b, _ := io.ReadAll(r.Body)
			if err := json.Unmarshal(b, &body); err != nil || body.PageSize != 100 {
				t.Errorf("search body %q", b)
			}
		}
		if override != nil && override(w, r, body.StartCursor) {
			return
		}
		switch r.Method + " " + r.URL.Path {
		case "GET /v1/users/me":
			fmt.Fprint(w, `{"object":"user","id":"16d84278-ab0e-484c-9bdd-b35da3bd8905","name":"Deploy integration","avatar_url":null,"type":"bot","bot":{"owner":{"type":"workspace","workspace":true},"workspace_name":"Acme HQ"}}`)
		case "POST /v1/search":
			if body.StartCursor == "" {
				fmt.Fprint(w, `{"object":"list","results":[{"object":"page","id":"954b67f9-3f87-41db-8874-23b92bbd31ee","url":"https://www.notion.so/Roadmap-954b67f93f8741db887423b92bbd31ee"},{"object":"database","id":"668d797c-76fa-4934-9b05-ad288df2d136","url":"https://www.notion.so/668d797c76fa49349b05ad288df2d136"}],"next_cursor":"e6c6f5b7-1e8f-4a35-a1d0-c0a1d9e1b7f0","has_more":true,"type":"page_or_database","page_or_database":{}}`)
				return
			}
			if body.StartCursor != "e6c6f5b7-1e8f-4a35-a1d0-c0a1d9e1b7f0" {
				t.Errorf("second page asked with %q", body.StartCursor)
			}
			fmt.Fprint(w, `{"object":"list","results":[{"object":"page","id":"e6c6f5b7-1e8f-4a35-a1d0-c0a1d9e1b7f0","url":"https://www.notion.so/Payroll-e6c6f5b71e8f4a35a1d0c0a1d9e1b7f0"}],"next_cursor":null,"has_more":false}`)
		default:
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprintf(w, `{"object":"error","status":404,"code":"object_not_found","message":"%s not found"}`, r.Method)
			t.Errorf("unexpected %s %s", r.Method, r.URL.Path)
		}
	})
}

func run(t *testing.T, s *vt.Server, secret string) (*analyze.Report, error) {
	t.Helper()
	rep, err := Analyzer{}.Analyze(context.Background(), s.Client("notion", 5*time.Second), verify.Request{Secret: secret})
	if err != nil && strings.Contains(err.Error(), secret) {
		t.Fatalf("error shows the secret: %v", err)
	}
	return rep, err
}

func TestShared(t *testing.T) {
	rep, err := run(t, fake(t, nil), tok)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Identity != "Deploy integration in workspace Acme HQ" || rep.Kind != "internal integration token" {
		t.Errorf("identity %q kind %q", rep.Identity, rep.Kind)
	}
	if rep.Count("page") != 2 || rep.Count("database") != 1 || rep.Resources[0].Name != "https://www.notion.so/668d797c76fa49349b05ad288df2d136" {
		t.Errorf("resources %+v", rep.Resources)
	}
	if rep.Severity != analyze.SeverityRead || !strings.HasPrefix(rep.Worst, "reads 2 pages and 1 databases shared") {
		t.Errorf("worst %q severity %s", rep.Worst, rep.Severity)
	}
}

func TestBoundPartialAndRateLimit(t *testing.T) {
	var pages, me atomic.Int64
	s := fake(t, func(w http.ResponseWriter, r *http.Request, cursor string) bool {
		if r.URL.Path == "/v1/users/me" && me.Add(1) == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprint(w, `{"object":"error","status":429,"code":"rate_limited","message":"You have been rate limited. Please try again in a few minutes."}`)
			return true
		}
		if r.URL.Path == "/v1/search" {
			n := pages.Add(1)
			fmt.Fprintf(w, `{"object":"list","results":[{"object":"page","id":"p%d","url":"https://www.notion.so/p%d"}],"next_cursor":"c%d","has_more":true}`, n, n, n)
			return true
		}
		return false
	})
	rep, err := run(t, s, tok)
	if err != nil {
		t.Fatal(err)
	}
	if me.Load() != 2 || pages.Load() != analyze.MaxPages || rep.Count("page") != analyze.MaxPages {
		t.Errorf("me %d, %d pages, %d pages listed", me.Load(), pages.Load(), rep.Count("page"))
	}
	if len(rep.Partial) != 1 || rep.Partial[0] != "search: stopped after 20 pages" || !strings.HasPrefix(rep.Worst, "reads 20+ pages") {
		t.Errorf("partial %q worst %q", rep.Partial, rep.Worst)
	}

	s = fake(t, func(w http.ResponseWriter, r *http.Request, cursor string) bool {
		if r.URL.Path == "/v1/search" {
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprint(w, `{"object":"error","status":500,"code":"internal_server_error","message":"Unexpected error occurred."}`)
			return true
		}
		return false
	})
	rep, err = run(t, s, tok)
	if err != nil || len(rep.Partial) != 1 || rep.Partial[0] != "search: /v1/search answered HTTP 500" {
		t.Errorf("partial failure: %+v, %v", rep, err)
	}
}

func TestInvalidToken(t *testing.T) {
	rep, err := run(t, fake(t, nil), tok[:len(tok)-1]+"0")
	if err == nil || rep != nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("an invalid token gave %+v, %v", rep, err)
	}
}
