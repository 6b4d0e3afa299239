package openai

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

const (
	projKey  = "sk-proj-q7Vb2MzK9xLwR4tYp0NcE8sHdJ3fGu6AiQo1ZkTy5Bm"
	adminKey = "sk-admin-JtL4vQ8zR2mX6cB0nW5yK9sD3fH7gA1pE4uI8oT2rZ6xC0vB5nM9qL3wS7dF1gH5jK9"
)

const invalidKey = `{"error":{"message":"Incorrect API key provided: sk-proj-****5Bm.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`

const missingScope = `{"error":{"message":"You have insufficient permissions for this operation. Missing scopes: api.files.read. Check that you have the correct role in your organization (Reader, Writer, Owner) and project (Member, Owner), and if you're using a restricted API key, that it has the necessary scopes.","type":"invalid_request_error","param":null,"code":null}}`

// fakeOpenAI answers as api.openai.com does for a key; refuse names the
// paths a restricted key may not list.
func fakeOpenAI(t *testing.T, key string, refuse map[string]bool, override func(w http.ResponseWriter, r *http.Request) bool) *vt.Server {
	return vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Method != http.MethodGet {
			t.Errorf("%s %s: the analyzer must only read", r.Method, r.URL.Path)
		}
		if r.Header.Get("Authorization") != "Bearer "+key {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, invalidKey)
			return
		}
		if override != nil && override(w, r) {
			return
		}
		if refuse[r.URL.Path] {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, missingScope)
			return
		}
		switch r.URL.Path {
		case "/v1/models":
			fmt.Fprint(w, `{"object":"list","data":[{"id":"gpt-4o","object":"model","created":1715367049,"owned_by":"system"},{"id":"ft:gpt-4o-mini:acme::abc","object":"model","created":1725367049,"owned_by":"acme"}]}`)
		case "/v1/me":
			fmt.Fprint(w, `{"object":"user","id":"user-Ab12","email":"ada@example.com","name":"Ada Lovelace","orgs":{"object":"list","data":[{"object":"organization","id":"org-XyZ9","title":"Acme","personal":false,"is_default":true,"role":"owner"}]}}`)
		case "/v1/files":
			fmt.Fprint(w, `{"object":"list","data":[{"id":"file-abc123","object":"file","bytes":175,"created_at":1613677385,"filename":"train.jsonl","purpose":"fine-tune"}],"first_id":"file-abc123","last_id":"file-abc123","has_more":true}`)
		case "/v1/fine_tuning/jobs":
			fmt.Fprint(w, `{"object":"list","data":[],"has_more":false}`)
		case "/v1/assistants":
			if r.Header.Get("OpenAI-Beta") != "assistants=v2" {
				w.WriteHeader(http.StatusBadRequest)
				fmt.Fprint(w, `{"error":{"message":"You must provide the 'OpenAI-Beta' header to access the Assistants API.","type":"invalid_request_error"}}`)
				return
			}
			fmt.Fprint(w, `{"object":"list","data":[],"first_id":null,"last_id":null,"has_more":false}`)
		case "/v1/batches":
			fmt.Fprint(w, `{"object":"list","data":[],"first_id":null,"last_id":null,"has_more":false}`)
		default:
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"error":{"message":"Invalid URL","type":"invalid_request_error"}}`)
		}
	})
}

func run(t *testing.T, a analyze.Analyzer, s *vt.Server, key string) (*analyze.Report, error) {
	t.Helper()
	rep, err := a.Analyze(context.Background(), s.Client(a.ID(), 5*time.Second), verify.Request{Secret: key})
	if err != nil && strings.Contains(err.Error(), key) {
		t.Fatalf("error shows the secret: %v", err)
	}
	return rep, err
}

func perms(rep *analyze.Report, kind, name string) string {
	for _, r := range rep.Resources {
		if r.Kind == kind && r.Name == name {
			return strings.Join(r.Permissions, ",")
		}
	}
	return "<absent>"
}

func TestFullKey(t *testing.T) {
	rep, err := run(t, Analyzer{}, fakeOpenAI(t, projKey, nil, nil), projKey)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Identity != "ada@example.com" || rep.Kind != "project key" {
		t.Errorf("identity %q kind %q", rep.Identity, rep.Kind)
	}
	if p := perms(rep, "organization", "Acme (org-XyZ9)"); p != "owner" {
		t.Errorf("organisation role %q", p)
	}
	for _, n := range []string{"Models", "Files", "Fine-tuning", "Assistants", "Batch"} {
		if p := perms(rep, "permission", n); p != "read" {
			t.Errorf("%s: %q", n, p)
		}
	}
	if rep.Severity != analyze.SeverityWrite || !strings.Contains(rep.Worst, "likely full access") || !strings.Contains(rep.Worst, "Acme (org-XyZ9)") {
		t.Errorf("worst %q severity %s", rep.Worst, rep.Severity)
	}
	if len(rep.Partial) != 0 {
		t.Errorf("partial %q", rep.Partial)
	}
}

func TestRestrictedKey(t *testing.T) {
	refuse := map[string]bool{"/v1/models": true, "/v1/fine_tuning/jobs": true, "/v1/assistants": true, "/v1/batches": true}
	rep, err := run(t, Analyzer{}, fakeOpenAI(t, projKey, refuse, nil), projKey)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Kind != "project key, restricted" || rep.Severity != analyze.SeverityRead {
		t.Errorf("kind %q severity %s", rep.Kind, rep.Severity)
	}
	if perms(rep, "permission", "Files") != "read" || perms(rep, "permission", "Models") != "<absent>" {
		t.Errorf("resources %+v", rep.Resources)
	}
	if !strings.Contains(rep.Worst, "reads Files") || !strings.Contains(rep.Worst, "Models") {
		t.Errorf("worst %q", rep.Worst)
	}
}

func TestPartialIdentity(t *testing.T) {
	s := fakeOpenAI(t, projKey, nil, func(w http.ResponseWriter, r *http.Request) bool {
		switch r.URL.Path {
		case "/v1/me":
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `{"error":{"message":"This key is not allowed to read the user.","type":"invalid_request_error"}}`)
			return true
		case "/v1/batches":
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprint(w, `{"error":{"message":"The server had an error while processing your request.","type":"server_error"}}`)
			return true
		}
		return false
	})
	rep, err := run(t, Analyzer{}, s, projKey)
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(rep.Partial, "|")
	if !strings.Contains(joined, "identity: /v1/me answered HTTP 403") || !strings.Contains(joined, "Batch: /v1/batches answered HTTP 500") {
		t.Errorf("partial %q", rep.Partial)
	}
	if rep.Identity != "" || !strings.Contains(rep.Worst, "its organisation") {
		t.Errorf("identity %q worst %q", rep.Identity, rep.Worst)
	}
}

func TestRateLimited(t *testing.T) {
	var n atomic.Int64
	s := fakeOpenAI(t, projKey, nil, func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path == "/v1/models" && n.Add(1) == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprint(w, `{"error":{"message":"Rate limit reached for requests","type":"requests","code":"rate_limit_exceeded"}}`)
			return true
		}
		return false
	})
	rep, err := run(t, Analyzer{}, s, projKey)
	if err != nil {
		t.Fatal(err)
	}
	if n.Load() != 2 || perms(rep, "permission", "Models") != "read" {
		t.Errorf("models asked %d times, resources %+v", n.Load(), rep.Resources)
	}
}

func TestInvalidKey(t *testing.T) {
	s := fakeOpenAI(t, projKey, nil, nil)
	wrong := projKey[:len(projKey)-1] + "x"
	rep, err := run(t, Analyzer{}, s, wrong)
	if err == nil || rep != nil {
		t.Fatalf("an invalid key gave %+v, %v", rep, err)
	}
	if !strings.Contains(err.Error(), "401") {
		t.Errorf("error %v", err)
	}
	if _, err := run(t, AdminAnalyzer{}, fakeAdmin(t, nil), wrong); err == nil {
		t.Fatal("admin analyzer accepted an invalid key")
	}
}

// fakeAdmin answers the Admin API; users holds every member, served in
// pages of the requested limit from after=<id>.
func fakeAdmin(t *testing.T, override func(w http.ResponseWriter, r *http.Request) bool) *vt.Server {
	return vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Method != http.MethodGet {
			t.Errorf("%s %s: the analyzer must only read", r.Method, r.URL.Path)
		}
		if r.Header.Get("Authorization") != "Bearer "+adminKey {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, invalidKey)
			return
		}
		if r.URL.Query().Get("limit") != "100" {
			t.Errorf("%s asked without limit=100", r.URL)
		}
		if override != nil && override(w, r) {
			return
		}
		switch r.URL.Path {
		case "/v1/organization/users":
			if r.URL.Query().Get("after") == "" {
				fmt.Fprint(w, `{"object":"list","data":[{"object":"organization.user","id":"user-1","name":"Ada","email":"ada@example.com","role":"owner","added_at":1711471533}],"first_id":"user-1","last_id":"user-1","has_more":true}`)
				return
			}
			if r.URL.Query().Get("after") != "user-1" {
				t.Errorf("second page asked with %q", r.URL.RawQuery)
			}
			fmt.Fprint(w, `{"object":"list","data":[{"object":"organization.user","id":"user-2","name":"Bob","email":"bob@example.com","role":"reader","added_at":1711471533}],"first_id":"user-2","last_id":"user-2","has_more":false}`)
		case "/v1/organization/projects":
			fmt.Fprint(w, `{"object":"list","data":[{"id":"proj_abc","object":"organization.project","name":"Default project","created_at":1711471533,"archived_at":null,"status":"active"},{"id":"proj_old","object":"organization.project","name":"Old","created_at":1711471533,"archived_at":1711471600,"status":"archived"}],"first_id":"proj_abc","last_id":"proj_old","has_more":false}`)
		case "/v1/organization/admin_api_keys":
			fmt.Fprint(w, `{"object":"list","data":[{"object":"organization.admin_api_key","id":"key_abc","name":"Main Admin Key","redacted_value":"sk-admin...xyz","created_at":1711471533,"last_used_at":1711471534,"owner":{"type":"user","object":"organization.user","id":"user-1","name":"Ada","created_at":1711471533,"role":"owner"}}],"first_id":"key_abc","last_id":"key_abc","has_more":false}`)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	})
}

func TestAdminKey(t *testing.T) {
	rep, err := run(t, AdminAnalyzer{}, fakeAdmin(t, nil), adminKey)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Identity != "organisation owned by ada@example.com" || rep.Severity != analyze.SeverityAdmin {
		t.Errorf("identity %q severity %s", rep.Identity, rep.Severity)
	}
	if perms(rep, "user", "bob@example.com") != "reader" || perms(rep, "user", "ada@example.com") != "owner" {
		t.Errorf("users over two pages: %+v", rep.Resources)
	}
	if perms(rep, "project", "Old (proj_old)") != "admin,archived" || rep.Count("admin api key") != 1 {
		t.Errorf("resources %+v", rep.Resources)
	}
	if rep.Worst != "admin of the OpenAI organisation (2 members, 2 projects, 1 admin API keys): can create API keys, add projects and change members' roles" {
		t.Errorf("worst %q", rep.Worst)
	}
}

func TestAdminBoundAndPartial(t *testing.T) {
	var pages atomic.Int64
	s := fakeAdmin(t, func(w http.ResponseWriter, r *http.Request) bool {
		switch r.URL.Path {
		case "/v1/organization/projects":
			// A listing that never ends.
			n := pages.Add(1)
			fmt.Fprintf(w, `{"object":"list","data":[{"id":"proj_%d","object":"organization.project","name":"P%d","status":"active"}],"last_id":"proj_%d","has_more":true}`, n, n, n)
			return true
		case "/v1/organization/admin_api_keys":
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `{"error":{"message":"Insufficient permissions","type":"invalid_request_error"}}`)
			return true
		}
		return false
	})
	rep, err := run(t, AdminAnalyzer{}, s, adminKey)
	if err != nil {
		t.Fatal(err)
	}
	if pages.Load() != analyze.MaxPages || rep.Count("project") != analyze.MaxPages {
		t.Errorf("%d pages asked, %d projects", pages.Load(), rep.Count("project"))
	}
	if !strings.Contains(rep.Worst, "20+ projects") || strings.Contains(rep.Worst, "admin API keys") {
		t.Errorf("worst %q", rep.Worst)
	}
	joined := strings.Join(rep.Partial, "|")
	if !strings.Contains(joined, "projects: stopped after 20 pages") || !strings.Contains(joined, "admin API keys: /v1/organization/admin_api_keys answered HTTP 403") {
		t.Errorf("partial %q", rep.Partial)
	}
}
