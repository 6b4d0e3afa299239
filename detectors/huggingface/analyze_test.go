package huggingface

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

const tok = "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"

const writeWhoami = `{"type":"user","id":"6123","name":"ada","fullname":"Ada Lovelace","email":"ada@example.com","emailVerified":true,"canPay":false,"isPro":false,"orgs":[{"type":"org","id":"6200","name":"acme","fullname":"Acme","roleInOrg":"admin"},{"type":"org","id":"6201","name":"friends","fullname":"Friends","roleInOrg":"read"}],"auth":{"type":"access_token","accessToken":{"displayName":"ci","role":"write","createdAt":"2024-05-01T00:00:00.000Z"}}}`

const fineWhoami = `{"type":"user","id":"6123","name":"ada","orgs":[{"type":"org","name":"acme","roleInOrg":"write"}],"auth":{"type":"access_token","accessToken":{"displayName":"deploy","role":"fineGrained","fineGrained":{"canReadGatedRepos":true,"global":["discussion.write"],"scoped":[{"entity":{"_id":"6200","type":"org","name":"acme"},"permissions":["repo.content.read","repo.write"]},{"entity":{"_id":"6300","type":"model","name":"ada/secret-model"},"permissions":["repo.content.read"]}]}}}}`

// fake answers as huggingface.co does. repos maps "kind/author" to the
// JSON list it answers; a listing with a second page links to it.
func fake(t *testing.T, me string, override func(w http.ResponseWriter, r *http.Request) bool) *vt.Server {
	var s *vt.Server
	s = vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Method != http.MethodGet {
			t.Errorf("%s %s: the analyzer must only read", r.Method, r.URL.Path)
		}
		if r.Header.Get("Authorization") != "Bearer "+tok {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":"Invalid credentials in Authorization header"}`)
			return
		}
		if override != nil && override(w, r) {
			return
		}
		q := r.URL.Query()
		switch r.URL.Path + "/" + q.Get("author") {
		case "/api/whoami-v2/":
			fmt.Fprint(w, me)
		case "/api/models/ada":
			if q.Get("cursor") == "" {
				w.Header().Set("Link", fmt.Sprintf(`<%s/api/models?author=ada&cursor=eyJwIjoxfQ>; rel="next"`, s.URL))
				fmt.Fprint(w, `[{"_id":"1","id":"ada/llm","private":true,"downloads":3}]`)
				return
			}
			fmt.Fprint(w, `[{"_id":"2","id":"ada/tiny","private":false,"downloads":1}]`)
		case "/api/datasets/ada":
			fmt.Fprint(w, `[{"_id":"3","id":"ada/corpus","private":true}]`)
		case "/api/models/acme":
			fmt.Fprint(w, `[{"_id":"4","id":"acme/prod","private":true}]`)
		case "/api/spaces/acme":
			fmt.Fprint(w, `[{"_id":"5","id":"acme/demo","private":false,"sdk":"gradio"}]`)
		case "/api/models/friends":
			fmt.Fprint(w, `[{"_id":"6","id":"friends/shared","private":true}]`)
		default:
			fmt.Fprint(w, `[]`)
		}
	})
	return s
}

func run(t *testing.T, s *vt.Server, key string) (*analyze.Report, error) {
	t.Helper()
	rep, err := Analyzer{}.Analyze(context.Background(), s.Client("huggingface", 5*time.Second), verify.Request{Secret: key})
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

func TestWriteToken(t *testing.T) {
	rep, err := run(t, fake(t, writeWhoami, nil), tok)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Identity != "ada" || rep.Kind != `write access token "ci"` {
		t.Errorf("identity %q kind %q", rep.Identity, rep.Kind)
	}
	if perms(rep, "organization", "acme") != "admin" || perms(rep, "organization", "friends") != "read" {
		t.Errorf("organisations %+v", rep.Resources)
	}
	// Two pages of models through the Link header.
	if perms(rep, "model", "ada/llm") != "private,write" || perms(rep, "model", "ada/tiny") != "write" {
		t.Errorf("models %+v", rep.Resources)
	}
	if perms(rep, "space", "acme/demo") != "write" || perms(rep, "model", "friends/shared") != "private,read" {
		t.Errorf("resources %+v", rep.Resources)
	}
	if rep.Severity != analyze.SeverityAdmin || rep.Worst != "can push to 5 repositories (3 private) in 2 namespaces, as an admin of an organisation" {
		t.Errorf("worst %q severity %s", rep.Worst, rep.Severity)
	}
	if len(rep.Partial) != 0 {
		t.Errorf("partial %q", rep.Partial)
	}
}

func TestFineGrainedToken(t *testing.T) {
	rep, err := run(t, fake(t, fineWhoami, nil), tok)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Kind != `fine-grained access token "deploy"` {
		t.Errorf("kind %q", rep.Kind)
	}
	if perms(rep, "scope (org)", "acme") != "repo.content.read,repo.write" || perms(rep, "model", "ada/secret-model") != "repo.content.read" {
		t.Errorf("scopes %+v", rep.Resources)
	}
	if perms(rep, "global", "account") != "discussion.write" || perms(rep, "global", "gated repositories") != "read" {
		t.Errorf("global %+v", rep.Resources)
	}
	// Only acme's repositories are listed: the token has no scope on ada.
	if perms(rep, "model", "acme/prod") != "private,write" || perms(rep, "model", "ada/llm") != "<absent>" {
		t.Errorf("repositories %+v", rep.Resources)
	}
	if rep.Severity != analyze.SeverityWrite || rep.Worst != "can push to 2 repositories (1 private) in 1 namespaces" {
		t.Errorf("worst %q severity %s", rep.Worst, rep.Severity)
	}
}

func TestBoundAndPartial(t *testing.T) {
	var pages atomic.Int64
	s := fake(t, writeWhoami, func(w http.ResponseWriter, r *http.Request) bool {
		switch r.URL.Path + "/" + r.URL.Query().Get("author") {
		case "/api/datasets/ada":
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprint(w, `{"error":"Internal Error"}`)
			return true
		case "/api/spaces/ada":
			n := pages.Add(1)
			w.Header().Set("Link", fmt.Sprintf(`<https://%s/api/spaces?author=ada&cursor=%d>; rel="next"`, r.Host, n))
			fmt.Fprintf(w, `[{"_id":"s%d","id":"ada/space-%d","private":false}]`, n, n)
			return true
		}
		return false
	})
	rep, err := run(t, s, tok)
	if err != nil {
		t.Fatal(err)
	}
	if pages.Load() != analyze.MaxPages || rep.Count("space") != analyze.MaxPages+1 {
		t.Errorf("%d pages, %d spaces", pages.Load(), rep.Count("space"))
	}
	joined := strings.Join(rep.Partial, "|")
	if !strings.Contains(joined, "datasets of ada: /api/datasets answered HTTP 500") || !strings.Contains(joined, "spaces of ada: stopped after 20 pages") {
		t.Errorf("partial %q", rep.Partial)
	}
}

func TestRateLimited(t *testing.T) {
	var n atomic.Int64
	s := fake(t, writeWhoami, func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path == "/api/whoami-v2" && n.Add(1) == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprint(w, `{"error":"You have exceeded our hourly quotas for action: whoami-v2"}`)
			return true
		}
		return false
	})
	rep, err := run(t, s, tok)
	if err != nil {
		t.Fatal(err)
	}
	if n.Load() != 2 || rep.Identity != "ada" {
		t.Errorf("whoami asked %d times, identity %q", n.Load(), rep.Identity)
	}
}

func TestInvalidToken(t *testing.T) {
	rep, err := run(t, fake(t, writeWhoami, nil), "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")
	if err == nil || rep != nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("an invalid token gave %+v, %v", rep, err)
	}
}
