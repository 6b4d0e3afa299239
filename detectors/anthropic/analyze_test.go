package anthropic

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
	apiKey   = "sk-ant-api03-JLf3expRDXfmekNC4JF4M47gvjUDqg2qYuGJAvHcjEQCvl3xCPG3W8DQQzp_IHjXz2apejyAjUUApNEfwoTFggZ5acUmxAA"
	adminKey = "sk-ant-admin01-zOhgAsOO_AGFBV35D_xAIUIe4C9FgeXfquyIydZOQ6D6Mv-eSZvrKa1hm0j4zaeSM174WjYAhUcECXnwe2xXUMjoNpej4AA"
)

const authError = `{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}`

// fake answers as api.anthropic.com does; override may answer first.
func fake(t *testing.T, key string, override func(w http.ResponseWriter, r *http.Request) bool) *vt.Server {
	return vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Method != http.MethodGet {
			t.Errorf("%s %s: the analyzer must only read", r.Method, r.URL.Path)
		}
		if r.Header.Get("x-api-key") != key || r.Header.Get("anthropic-version") != version {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, authError)
			return
		}
		if override != nil && override(w, r) {
			return
		}
		q := r.URL.Query()
		switch r.URL.Path {
		case "/v1/models":
			if q.Get("after_id") == "" {
				fmt.Fprint(w, `{"data":[{"type":"model","id":"claude-sonnet-4-20250514","display_name":"Claude Sonnet 4","created_at":"2025-05-22T00:00:00Z"}],"has_more":true,"first_id":"claude-sonnet-4-20250514","last_id":"claude-sonnet-4-20250514"}`)
				return
			}
			if q.Get("after_id") != "claude-sonnet-4-20250514" {
				t.Errorf("models page 2 asked with %q", r.URL.RawQuery)
			}
			fmt.Fprint(w, `{"data":[{"type":"model","id":"claude-3-5-haiku-20241022","display_name":"Claude Haiku 3.5","created_at":"2024-10-22T00:00:00Z"}],"has_more":false,"first_id":"claude-3-5-haiku-20241022","last_id":"claude-3-5-haiku-20241022"}`)
		case "/v1/organizations/me":
			fmt.Fprint(w, `{"id":"12345678-1234-5678-1234-567812345678","name":"Acme","type":"organization"}`)
		case "/v1/files":
			if r.Header.Get("anthropic-beta") != filesBeta {
				w.WriteHeader(http.StatusBadRequest)
				fmt.Fprint(w, `{"type":"error","error":{"type":"invalid_request_error","message":"the Files API is in beta"}}`)
				return
			}
			fmt.Fprint(w, `{"data":[{"type":"file","id":"file_011CNha8iCJcU1wXNR6q4V8w","filename":"notes.pdf","mime_type":"application/pdf","size_bytes":1024,"created_at":"2025-01-01T00:00:00Z"}],"has_more":true,"first_id":"file_011CNha8iCJcU1wXNR6q4V8w","last_id":"file_011CNha8iCJcU1wXNR6q4V8w"}`)
		case "/v1/messages/batches":
			fmt.Fprint(w, `{"data":[],"has_more":false,"first_id":null,"last_id":null}`)
		case "/v1/organizations/workspaces":
			fmt.Fprint(w, `{"data":[{"id":"wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ","type":"workspace","name":"Production","created_at":"2024-10-30T23:58:27.427722Z","archived_at":null,"display_color":"#6C5BB9"}],"has_more":false,"first_id":"wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ","last_id":"wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ"}`)
		case "/v1/organizations/users":
			fmt.Fprint(w, `{"data":[{"id":"user_01WCz1FkmYMm4gnmykNKUu3Q","type":"user","email":"ada@example.com","name":"Ada","role":"admin","added_at":"2024-10-30T23:58:27Z"},{"id":"user_02","type":"user","email":"bob@example.com","name":"Bob","role":"developer","added_at":"2024-10-30T23:58:27Z"}],"has_more":false,"first_id":"user_01WCz1FkmYMm4gnmykNKUu3Q","last_id":"user_02"}`)
		case "/v1/organizations/api_keys":
			fmt.Fprint(w, `{"data":[{"id":"apikey_01Rj2N8SVvo6BePZj99NhmiT","type":"api_key","name":"CI","status":"active","partial_key_hint":"sk-ant-api03-R2D...igAA","workspace_id":"wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ","created_at":"2024-10-30T23:58:27Z","created_by":{"id":"user_01WCz1FkmYMm4gnmykNKUu3Q","type":"user"}},{"id":"apikey_02","type":"api_key","name":"old","status":"archived","partial_key_hint":"sk-ant-api03-xyz...abAA","workspace_id":null,"created_at":"2024-10-30T23:58:27Z","created_by":{"id":"user_02","type":"user"}}],"has_more":false,"first_id":"apikey_01Rj2N8SVvo6BePZj99NhmiT","last_id":"apikey_02"}`)
		default:
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"type":"error","error":{"type":"not_found_error","message":"Not found"}}`)
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

func TestAPIKey(t *testing.T) {
	rep, err := run(t, Analyzer{}, fake(t, apiKey, nil), apiKey)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Identity != "Acme (12345678-1234-5678-1234-567812345678)" || rep.Severity != analyze.SeverityWrite {
		t.Errorf("identity %q severity %s", rep.Identity, rep.Severity)
	}
	if perms(rep, "api", "Messages (2 models)") != "use" || perms(rep, "api", "Files") != "read,write" || perms(rep, "api", "Message Batches") != "read,write" {
		t.Errorf("resources %+v", rep.Resources)
	}
	if rep.Worst != "can run 2 Claude models billed to Acme (12345678-1234-5678-1234-567812345678) and read and add the workspace's Files and Message Batches" {
		t.Errorf("worst %q", rep.Worst)
	}
	if len(rep.Partial) != 0 {
		t.Errorf("partial %q", rep.Partial)
	}
}

func TestAPIKeyPartial(t *testing.T) {
	s := fake(t, apiKey, func(w http.ResponseWriter, r *http.Request) bool {
		switch r.URL.Path {
		case "/v1/organizations/me":
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `{"type":"error","error":{"type":"permission_error","message":"Your API key does not have permission to use the specified resource."}}`)
			return true
		case "/v1/messages/batches":
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprint(w, `{"type":"error","error":{"type":"api_error","message":"Internal server error"}}`)
			return true
		}
		return false
	})
	rep, err := run(t, Analyzer{}, s, apiKey)
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(rep.Partial, "|")
	if !strings.Contains(joined, "organisation: /v1/organizations/me answered HTTP 403") || !strings.Contains(joined, "Message Batches: /v1/messages/batches answered HTTP 500") {
		t.Errorf("partial %q", rep.Partial)
	}
	if rep.Identity != "" || !strings.HasSuffix(rep.Worst, "its organisation and read and add the workspace's Files") {
		t.Errorf("identity %q worst %q", rep.Identity, rep.Worst)
	}
}

func TestRateLimited(t *testing.T) {
	var n atomic.Int64
	s := fake(t, adminKey, func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path == "/v1/organizations/users" && n.Add(1) == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprint(w, `{"type":"error","error":{"type":"rate_limit_error","message":"Number of requests has exceeded your rate limit"}}`)
			return true
		}
		return false
	})
	rep, err := run(t, AdminAnalyzer{}, s, adminKey)
	if err != nil {
		t.Fatal(err)
	}
	if n.Load() != 2 || rep.Count("user") != 2 {
		t.Errorf("users asked %d times, %d users", n.Load(), rep.Count("user"))
	}
}

func TestInvalidKey(t *testing.T) {
	for _, a := range []analyze.Analyzer{Analyzer{}, AdminAnalyzer{}} {
		key := apiKey
		if a.ID() == "anthropic-admin" {
			key = adminKey
		}
		wrong := key[:len(key)-3] + "QAA"
		rep, err := run(t, a, fake(t, key, nil), wrong)
		if err == nil || rep != nil || !strings.Contains(err.Error(), "401") {
			t.Errorf("%s: an invalid key gave %+v, %v", a.ID(), rep, err)
		}
	}
}

func TestAdminKey(t *testing.T) {
	rep, err := run(t, AdminAnalyzer{}, fake(t, adminKey, nil), adminKey)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Identity != "Acme (12345678-1234-5678-1234-567812345678)" || rep.Severity != analyze.SeverityAdmin || rep.Kind != "admin key" {
		t.Errorf("identity %q severity %s kind %q", rep.Identity, rep.Severity, rep.Kind)
	}
	if perms(rep, "user", "ada@example.com") != "admin" || perms(rep, "user", "bob@example.com") != "developer" {
		t.Errorf("users %+v", rep.Resources)
	}
	if perms(rep, "workspace", "Production (wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ)") != "admin" || perms(rep, "api key", "CI (sk-ant-api03-R2D...igAA)") != "active" {
		t.Errorf("resources %+v", rep.Resources)
	}
	if rep.Worst != "admin of the Anthropic organisation (1 workspaces, 2 members, 2 API keys): can invite members, change their roles, and disable or rename API keys (1 active)" {
		t.Errorf("worst %q", rep.Worst)
	}
}

func TestAdminBoundAndPartial(t *testing.T) {
	var pages atomic.Int64
	s := fake(t, adminKey, func(w http.ResponseWriter, r *http.Request) bool {
		switch r.URL.Path {
		case "/v1/organizations/workspaces":
			k := pages.Add(1)
			fmt.Fprintf(w, `{"data":[{"id":"wrkspc_%d","type":"workspace","name":"W%d","archived_at":null}],"has_more":true,"first_id":"wrkspc_%d","last_id":"wrkspc_%d"}`, k, k, k, k)
			return true
		case "/v1/organizations/api_keys":
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `{"type":"error","error":{"type":"permission_error","message":"forbidden"}}`)
			return true
		}
		return false
	})
	rep, err := run(t, AdminAnalyzer{}, s, adminKey)
	if err != nil {
		t.Fatal(err)
	}
	if pages.Load() != analyze.MaxPages || rep.Count("workspace") != analyze.MaxPages {
		t.Errorf("%d pages, %d workspaces", pages.Load(), rep.Count("workspace"))
	}
	joined := strings.Join(rep.Partial, "|")
	if !strings.Contains(joined, "workspaces: stopped after 20 pages") || !strings.Contains(joined, "API keys: /v1/organizations/api_keys answered HTTP 403") {
		t.Errorf("partial %q", rep.Partial)
	}
	if !strings.Contains(rep.Worst, "20+ workspaces") {
		t.Errorf("worst %q", rep.Worst)
	}
}
