package pinecone

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

const key = "pcsk_3Xy7Qm_9kLpR2sT4vW6zB8nD1fH3jK5mP7rS9uV2xZ4bC6eG8iL0oQ2tU4wY6a"

const indexes = `{"indexes":[{"name":"docs","vector_type":"dense","metric":"cosine","dimension":1536,"status":{"ready":true,"state":"Ready"},"host":"docs-abc123.svc.aped-4627-b74a.pinecone.io","spec":{"serverless":{"region":"us-east-1","cloud":"aws"}},"deletion_protection":"disabled","tags":{"env":"prod"}},{"name":"faq","metric":"dotproduct","dimension":768,"status":{"ready":true,"state":"Ready"},"host":"faq-def456.svc.aped-4627-b74a.pinecone.io","spec":{"serverless":{"region":"us-east-1","cloud":"aws"}},"deletion_protection":"enabled"}]}`

func fake(t *testing.T, override func(w http.ResponseWriter, r *http.Request) bool) *vt.Server {
	return vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Method != http.MethodGet {
			t.Errorf("%s %s: the analyzer must only read", r.Method, r.URL.Path)
		}
		if r.Header.Get("Api-Key") != key {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":{"code":"UNAUTHENTICATED","message":"Invalid API Key"},"status":401}`)
			return
		}
		if r.Header.Get("X-Pinecone-API-Version") != apiVersion {
			t.Errorf("API version %q", r.Header.Get("X-Pinecone-API-Version"))
		}
		if override != nil && override(w, r) {
			return
		}
		switch r.URL.Path {
		case "/indexes":
			fmt.Fprint(w, indexes)
		case "/collections":
			fmt.Fprint(w, `{"collections":[{"name":"docs-snapshot","size":3126700,"status":"Ready","dimension":1536,"vector_count":99,"environment":"us-east1-gcp"}]}`)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	})
}

func run(t *testing.T, s *vt.Server, secret string) (*analyze.Report, error) {
	t.Helper()
	rep, err := Analyzer{}.Analyze(context.Background(), s.Client("pinecone", 5*time.Second), verify.Request{Secret: secret})
	if err != nil && strings.Contains(err.Error(), secret) {
		t.Fatalf("error shows the secret: %v", err)
	}
	return rep, err
}

func TestIndexes(t *testing.T) {
	rep, err := run(t, fake(t, nil), key)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Count("index") != 2 || rep.Count("collection") != 1 {
		t.Errorf("resources %+v", rep.Resources)
	}
	if rep.Resources[1].Name != "docs (docs-abc123.svc.aped-4627-b74a.pinecone.io)" || rep.Resources[0].Name != "docs-snapshot" {
		t.Errorf("resources %+v", rep.Resources)
	}
	if rep.Severity != analyze.SeverityRead || rep.Worst != "reaches 2 indexes and 1 collections of a Pinecone project; 1 indexes have no deletion protection (a key with the default role can read, write and delete them)" {
		t.Errorf("worst %q severity %s", rep.Worst, rep.Severity)
	}
}

func TestPartialAndRateLimit(t *testing.T) {
	var n atomic.Int64
	s := fake(t, func(w http.ResponseWriter, r *http.Request) bool {
		switch r.URL.Path {
		case "/indexes":
			if n.Add(1) == 1 {
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(http.StatusTooManyRequests)
				fmt.Fprint(w, `{"error":{"code":"RESOURCE_EXHAUSTED","message":"Request failed. You've reached your control plane request rate limit."},"status":429}`)
				return true
			}
		case "/collections":
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `{"error":{"code":"FORBIDDEN","message":"Collections are not available on this plan"},"status":403}`)
			return true
		}
		return false
	})
	rep, err := run(t, s, key)
	if err != nil {
		t.Fatal(err)
	}
	if n.Load() != 2 || rep.Count("index") != 2 {
		t.Errorf("indexes asked %d times, %d indexes", n.Load(), rep.Count("index"))
	}
	if len(rep.Partial) != 1 || rep.Partial[0] != "collections: /collections answered HTTP 403" {
		t.Errorf("partial %q", rep.Partial)
	}
}

func TestInvalidKey(t *testing.T) {
	rep, err := run(t, fake(t, nil), key[:len(key)-1]+"b")
	if err == nil || rep != nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("an invalid key gave %+v, %v", rep, err)
	}
}
