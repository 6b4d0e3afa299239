package circleci

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

const tok = "CCIPAT_rLOe0zdpMz69bMjmcYXDdf_f857f9015138e8c3582e89d9c8d1512aec04d053"

// fake answers as circleci.com's API v2 does: 401 "You must log in
// first." without the Circle-Token header.
func fake(t *testing.T, failCollabs bool, hits *atomic.Int64) *vt.Server {
	var limited atomic.Bool
	return vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		if r.Method != http.MethodGet {
			t.Errorf("%s %s", r.Method, r.URL.Path)
		}
		if r.Header.Get("Circle-Token") != tok {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"message":"You must log in first."}`)
			return
		}
		switch r.URL.Path {
		case "/api/v2/me":
			fmt.Fprint(w, `{"id":"b2d1d1a2-6a1e-4f4b-9a3c-2f1e0d9c8b7a","login":"ada","name":"Ada Lovelace"}`)
		case "/api/v2/me/collaborations":
			if limited.CompareAndSwap(false, true) {
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(http.StatusTooManyRequests)
				fmt.Fprint(w, `{"message":"Rate limit exceeded"}`)
				return
			}
			if failCollabs {
				w.WriteHeader(http.StatusInternalServerError)
				fmt.Fprint(w, `{"message":"Internal server error"}`)
				return
			}
			fmt.Fprint(w, `[{"id":"a1b2","vcs-type":"github","name":"acme","avatar_url":"https://avatars.example/acme","slug":"gh/acme"},
				{"id":"c3d4","vcs-type":"circleci","name":"globex","avatar_url":"","slug":"circleci/9YytKzouJxzu4TjCRFqAoD"}]`)
		default:
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"message":"Not found."}`)
		}
	})
}

func run(s *vt.Server, secret string) (*analyze.Report, error) {
	return Analyzer{}.Analyze(context.Background(), s.Client("circleci", 10*time.Second), verify.Request{RuleID: "circleci-personal-token", Secret: secret})
}

func TestAnalyzeFullAfterRateLimit(t *testing.T) {
	var hits atomic.Int64
	rep, err := run(fake(t, false, &hits), tok)
	if err != nil {
		t.Fatal(err)
	}
	var orgs []string
	for _, r := range rep.Resources {
		orgs = append(orgs, r.Name+"="+strings.Join(r.Permissions, ","))
	}
	if rep.Identity != "ada" || strings.Join(orgs, " ") != "circleci/9YytKzouJxzu4TjCRFqAoD=circleci,member gh/acme=github,member" {
		t.Errorf("identity %q orgs %q", rep.Identity, orgs)
	}
	if !strings.HasPrefix(rep.Worst, "acts as ada in 2 organizations") || rep.Severity != analyze.SeverityWrite || len(rep.Partial) != 0 || hits.Load() != 3 {
		t.Errorf("worst %q severity %v partial %q hits %d", rep.Worst, rep.Severity, rep.Partial, hits.Load())
	}
}

func TestAnalyzePartial(t *testing.T) {
	var hits atomic.Int64
	rep, err := run(fake(t, true, &hits), tok)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Partial) != 1 || !strings.Contains(rep.Partial[0], "collaborations: /api/v2/me/collaborations answered HTTP 500") {
		t.Errorf("partial %q", rep.Partial)
	}
}

func TestAnalyzeInvalidToken(t *testing.T) {
	var hits atomic.Int64
	const wrong = "CCIPAT_rLOe0zdpMz69bMjmcYXDdf_0000000000000000000000000000000000000000"
	rep, err := run(fake(t, false, &hits), wrong)
	if err == nil || rep != nil || strings.Contains(err.Error(), wrong) || !strings.Contains(err.Error(), "401") || hits.Load() != 1 {
		t.Errorf("rep %+v err %v after %d requests", rep, err, hits.Load())
	}
}
