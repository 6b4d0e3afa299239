package linear

import (
	"context"
	"encoding/json"
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

const key = "lin_api_Xq7nB2kR9vT4mW6yZ1cD8fH3jL5pS0aE2gU4iO6"

type fakeLinear struct {
	admin      bool
	teams      int
	endless    bool
	teamsFail  bool
	limitOnce  atomic.Bool
	teamsPages atomic.Int64
}

// handler answers as Linear's GraphQL API: the personal key as the whole
// Authorization header; an unauthenticated request is answered 400 with
// an "authentication error"; teams paged by first/after with pageInfo.
func (f *fakeLinear) handler(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if r.Header.Get("Authorization") != key {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"errors":[{"message":"Authentication required, not authenticated","extensions":{"type":"authentication error","code":"AUTHENTICATION_ERROR","userPresentableMessage":"You need to authenticate to access this operation."}}]}`)
		return
	}
	if r.Method != http.MethodPost || r.URL.Path != "/graphql" {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	if f.limitOnce.CompareAndSwap(true, false) {
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
		fmt.Fprint(w, `{"errors":[{"message":"Rate limit exceeded","extensions":{"code":"RATELIMITED"}}]}`)
		return
	}
	var q struct {
		Query     string         `json:"query"`
		Variables map[string]any `json:"variables"`
	}
	if json.NewDecoder(r.Body).Decode(&q) != nil || strings.Contains(q.Query, "mutation") {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	switch {
	case strings.Contains(q.Query, "viewer"):
		fmt.Fprintf(w, `{"data":{"viewer":{"id":"2b8a7d5e-1c3f-4e6a-9b0d-7f1e2c3a4b5d","name":"Ada Lovelace","email":"ada@acme.test","admin":%t,"guest":false,"active":true},"organization":{"id":"8f6e5d4c-3b2a-1908-7f6e-5d4c3b2a1908","name":"Acme","urlKey":"acme"}}}`, f.admin)
	case strings.Contains(q.Query, "teams(first: 100"):
		if f.teamsFail {
			fmt.Fprint(w, `{"data":null,"errors":[{"message":"Internal server error","extensions":{"code":"INTERNAL_SERVER_ERROR"}}]}`)
			return
		}
		n := f.teamsPages.Add(1)
		after, _ := q.Variables["after"].(string)
		if (n == 1) != (after == "") {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		start := int(n-1) * 100
		var nodes []string
		for i := start; i < start+100 && i < f.teams; i++ {
			nodes = append(nodes, fmt.Sprintf(`{"id":"t%d","key":"T%d","name":"Team %d","private":%t}`, i, i, i, i == 0))
		}
		more := f.endless || start+100 < f.teams
		fmt.Fprintf(w, `{"data":{"teams":{"nodes":[%s],"pageInfo":{"hasNextPage":%t,"endCursor":"cursor-%d"}}}}`, strings.Join(nodes, ","), more, n)
	default:
		w.WriteHeader(http.StatusBadRequest)
	}
}

func analyzeLinear(t *testing.T, f *fakeLinear, secret string) (*analyze.Report, error) {
	s := vt.NewServer(t, f.handler)
	return Analyzer{}.Analyze(context.Background(), s.Client("linear", 5*time.Second), verify.Request{Secret: secret})
}

func TestAnalyzeFull(t *testing.T) {
	f := &fakeLinear{teams: 130}
	rep, err := analyzeLinear(t, f, key)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Identity != "Ada Lovelace <ada@acme.test> (member) in the Linear workspace Acme (acme)" || rep.Kind != "personal API key" {
		t.Errorf("identity %q kind %q", rep.Identity, rep.Kind)
	}
	if f.teamsPages.Load() != 2 || rep.Count("team") != 130 || rep.Count("workspace") != 1 || len(rep.Partial) != 0 {
		t.Fatalf("%d pages, %d teams, partial %v", f.teamsPages.Load(), rep.Count("team"), rep.Partial)
	}
	want := "can read and change issues of 130 teams (1 private) in the Linear workspace Acme (acme) as ada@acme.test (member)"
	if rep.Severity != analyze.SeverityWrite || rep.Worst != want {
		t.Errorf("%s %q", rep.Severity, rep.Worst)
	}
}

func TestAnalyzeAdmin(t *testing.T) {
	rep, err := analyzeLinear(t, &fakeLinear{admin: true, teams: 3}, key)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Severity != analyze.SeverityAdmin || rep.Worst != "administers the Linear workspace Acme (acme) as ada@acme.test: 3 teams (1 private)" {
		t.Errorf("%s %q", rep.Severity, rep.Worst)
	}
}

func TestAnalyzeStopsAtPageLimit(t *testing.T) {
	f := &fakeLinear{teams: 5000, endless: true}
	rep, err := analyzeLinear(t, f, key)
	if err != nil {
		t.Fatal(err)
	}
	if f.teamsPages.Load() != analyze.MaxPages || len(rep.Partial) != 1 || !strings.Contains(rep.Partial[0], "teams: stopped") || !strings.Contains(rep.Worst, "at least 2000 teams") {
		t.Errorf("%d pages, partial %v, worst %q", f.teamsPages.Load(), rep.Partial, rep.Worst)
	}
}

func TestAnalyzePartialAndRateLimit(t *testing.T) {
	f := &fakeLinear{teamsFail: true}
	f.limitOnce.Store(true)
	rep, err := analyzeLinear(t, f, key)
	if err != nil {
		t.Fatal(err)
	}
	if f.limitOnce.Load() || len(rep.Partial) != 1 || rep.Partial[0] != "teams: Internal server error (INTERNAL_SERVER_ERROR)" || rep.Count("team") != 0 {
		t.Errorf("%+v", rep)
	}
}

func TestAnalyzeInvalidKey(t *testing.T) {
	wrong := key[:len(key)-1] + "Q"
	rep, err := analyzeLinear(t, &fakeLinear{}, wrong)
	if err == nil || rep != nil || strings.Contains(err.Error(), wrong) || !strings.Contains(err.Error(), "invalid API key") {
		t.Fatalf("%+v, %v", rep, err)
	}
}
