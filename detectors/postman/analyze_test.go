package postman

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

const key = "PMAK-65f0c1d2e3a4b5c6d7e8f9a0-0123456789abcdef0123456789abcdef01"

// fake answers as api.getpostman.com does: 401 AuthenticationError
// without the X-Api-Key header.
func fake(t *testing.T, roles string, workspaces int, limitOnce bool, hits *atomic.Int64) *vt.Server {
	var limited atomic.Bool
	return vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		if r.Method != http.MethodGet {
			t.Errorf("%s %s", r.Method, r.URL.Path)
		}
		if r.Header.Get("X-Api-Key") != key {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":{"name":"AuthenticationError","message":"Invalid API Key. Every request requires a valid API Key to be sent."}}`)
			return
		}
		switch r.URL.Path {
		case "/me":
			fmt.Fprintf(w, `{"user":{"id":12345678,"username":"ada","email":"ada@example.com","fullName":"Ada Lovelace","avatar":"","isPublic":false,"teamId":123,"teamName":"Acme","teamDomain":"acme","roles":[%s]},"operations":[{"name":"api_usage","limit":1000,"usage":8,"overage":0}]}`, roles)
		case "/workspaces":
			if limitOnce && limited.CompareAndSwap(false, true) {
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(http.StatusTooManyRequests)
				fmt.Fprint(w, `{"error":"rateLimited","message":"Rate limit exceeded. Please retry after 1669048687"}`)
				return
			}
			if workspaces < 0 {
				w.WriteHeader(http.StatusInternalServerError)
				fmt.Fprint(w, `{"error":{"name":"serverError","message":"Something went wrong"}}`)
				return
			}
			var items []string
			for i := 0; i < workspaces; i++ {
				items = append(items, fmt.Sprintf(`{"id":"1f0df51a-8658-4ee8-a2a1-d2567dfa09a%d","name":"Team Workspace %d","createdBy":"12345678","type":"team","visibility":"team"}`, i, i))
			}
			fmt.Fprintf(w, `{"workspaces":[%s]}`, strings.Join(items, ","))
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	})
}

func run(t *testing.T, s *vt.Server, secret string) (*analyze.Report, error) {
	return Analyzer{}.Analyze(context.Background(), s.Client("postman", 10*time.Second), verify.Request{RuleID: "postman-api-key", Secret: secret})
}

func TestAnalyzeFull(t *testing.T) {
	var hits atomic.Int64
	rep, err := run(t, fake(t, `"user","admin"`, 2, false, &hits), key)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Identity != "ada <ada@example.com>" || rep.Count("workspace") != 2 || rep.Resources[0].Kind != "team" || strings.Join(rep.Resources[0].Permissions, ",") != "admin,user" {
		t.Errorf("report %+v", rep)
	}
	if !strings.HasPrefix(rep.Worst, "admin of the Postman team Acme; reads and edits 2 workspaces as ada") || rep.Severity != analyze.SeverityAdmin || len(rep.Partial) != 0 {
		t.Errorf("worst %q severity %v partial %q", rep.Worst, rep.Severity, rep.Partial)
	}
}

func TestAnalyzePartialAndRateLimit(t *testing.T) {
	var hits atomic.Int64
	rep, err := run(t, fake(t, `"user"`, -1, false, &hits), key)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Partial) != 1 || !strings.Contains(rep.Partial[0], "workspaces: /workspaces answered HTTP 500") || rep.Severity != analyze.SeverityWrite {
		t.Errorf("partial %q severity %v", rep.Partial, rep.Severity)
	}
	rep, err = run(t, fake(t, `"user"`, 3, true, &hits), key)
	if err != nil || rep.Count("workspace") != 3 || len(rep.Partial) != 0 {
		t.Errorf("after a 429: %v %+v", err, rep)
	}
}

func TestAnalyzeInvalidKey(t *testing.T) {
	var hits atomic.Int64
	const wrong = "PMAK-65f0c1d2e3a4b5c6d7e8f9a0-ffffffffffffffffffffffffffffffffff"
	rep, err := run(t, fake(t, `"user"`, 1, false, &hits), wrong)
	if err == nil || rep != nil || strings.Contains(err.Error(), wrong) || !strings.Contains(err.Error(), "401") || hits.Load() != 1 {
		t.Errorf("rep %+v err %v after %d requests", rep, err, hits.Load())
	}
}
