package dockerhub

import (
	"context"
	"encoding/base64"
	"encoding/json"
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

const pat = "dckr_pat_Q2x9LmP4vR7sT1uW3yZ5aB8cD6e"

// fakeJWT builds an access token shaped like Docker Hub's: claims only,
// the signature is not checked by anyone here.
func fakeJWT(claims map[string]any) string {
	enc := base64.RawURLEncoding
	h := enc.EncodeToString([]byte(`{"alg":"RS256","typ":"JWT"}`))
	b, _ := json.Marshal(claims)
	return h + "." + enc.EncodeToString(b) + ".c2lnbmF0dXJl"
}

// fakeHub answers as hub.docker.com does: the exchange takes the
// identifier and the PAT, the listing only the short-lived token.
type fakeHub struct {
	scope    string
	pages    int // pages of repositories, two per page
	failList int // status for the listing, 0 for 200
	limited  atomic.Bool
	limitOne bool
	hits     atomic.Int64
}

func (f *fakeHub) handler(t *testing.T) http.HandlerFunc {
	jwt := fakeJWT(map[string]any{"sub": "7f3134", "scope": f.scope, "https://hub.docker.com": map[string]any{"username": "ada", "source": map[string]any{"type": "pat"}}})
	return func(w http.ResponseWriter, r *http.Request) {
		f.hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/v2/auth/token":
			var in struct{ Identifier, Secret string }
			_ = json.NewDecoder(r.Body).Decode(&in)
			if in.Identifier != "ada" || in.Secret != pat {
				w.WriteHeader(http.StatusUnauthorized)
				fmt.Fprint(w, `{"errinfo":null,"message":"unauthorized"}`)
				return
			}
			fmt.Fprintf(w, `{"access_token":%q}`, jwt)
		case r.Method == http.MethodGet && r.URL.Path == "/v2/namespaces/ada/repositories":
			if r.Header.Get("Authorization") != "Bearer "+jwt {
				w.WriteHeader(http.StatusUnauthorized)
				fmt.Fprint(w, `{"errinfo":null,"message":"unauthorized"}`)
				return
			}
			if f.limitOne && f.limited.CompareAndSwap(false, true) {
				w.Header().Set("Retry-After", "1")
				w.Header().Set("X-RateLimit-Remaining", "0")
				w.WriteHeader(http.StatusTooManyRequests)
				fmt.Fprint(w, `{"message":"rate limit exceeded"}`)
				return
			}
			if f.failList != 0 {
				w.WriteHeader(f.failList)
				fmt.Fprint(w, `{"errinfo":null,"message":"permission denied"}`)
				return
			}
			page, _ := strconv.Atoi(r.URL.Query().Get("page"))
			if r.URL.Query().Get("page_size") != "100" || page < 1 {
				t.Errorf("listing query %q", r.URL.RawQuery)
			}
			next := "null"
			if page < f.pages {
				next = fmt.Sprintf(`"https://hub.docker.com/v2/namespaces/ada/repositories?page=%d&page_size=100"`, page+1)
			}
			fmt.Fprintf(w, `{"count":%d,"next":%s,"previous":null,"results":[
				{"name":"api-%d","namespace":"ada","repository_type":"image","is_private":true,"pull_count":10},
				{"name":"web-%d","namespace":"ada","repository_type":"image","is_private":false,"pull_count":99}]}`, 2*f.pages, next, page, page)
		default:
			t.Errorf("unexpected %s %s", r.Method, r.URL.Path)
			w.WriteHeader(http.StatusNotFound)
		}
	}
}

func run(t *testing.T, f *fakeHub, secret string) (*analyze.Report, error) {
	t.Helper()
	s := vt.NewServer(t, f.handler(t))
	return Analyzer{}.Analyze(context.Background(), s.Client("dockerhub", 10*time.Second),
		verify.Request{RuleID: "dockerhub-pat", Secret: secret, Parts: map[string]string{UserRule: "ada"}})
}

func TestAnalyzeFull(t *testing.T) {
	rep, err := run(t, &fakeHub{scope: "repo:write", pages: 2}, pat)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Identity != "ada" || rep.Kind != "personal access token" || rep.Count("repository") != 4 {
		t.Errorf("report %+v", rep)
	}
	var privs []string
	for _, r := range rep.Resources {
		if r.Kind == "repository" {
			privs = append(privs, r.Name+"="+strings.Join(r.Permissions, ","))
		}
	}
	if got := strings.Join(privs, " "); got != "ada/api-1=private,write ada/api-2=private,write ada/web-1=write ada/web-2=write" {
		t.Errorf("repositories %s", got)
	}
	if rep.Worst != "can push images to 4 repositories in ada" || rep.Severity != analyze.SeverityWrite || len(rep.Partial) != 0 {
		t.Errorf("worst %q severity %v partial %q", rep.Worst, rep.Severity, rep.Partial)
	}
	if strings.Contains(fmt.Sprint(rep), pat) {
		t.Error("report holds the token")
	}
}

func TestAnalyzeReadScopeAndBound(t *testing.T) {
	f := &fakeHub{scope: "repo:read", pages: 1000}
	rep, err := run(t, f, pat)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Count("repository") != 2*analyze.MaxPages || f.hits.Load() != int64(1+analyze.MaxPages) {
		t.Errorf("%d repositories in %d requests", rep.Count("repository"), f.hits.Load())
	}
	if len(rep.Partial) != 1 || !strings.Contains(rep.Partial[0], "stopped after 20 pages") {
		t.Errorf("partial %q", rep.Partial)
	}
	if rep.Severity != analyze.SeverityRead || !strings.HasPrefix(rep.Worst, "pulls 40 repositories in ada (20 private)") {
		t.Errorf("worst %q severity %v", rep.Worst, rep.Severity)
	}
}

func TestAnalyzeListingRefused(t *testing.T) {
	rep, err := run(t, &fakeHub{scope: "repo:admin", pages: 1, failList: http.StatusForbidden}, pat)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Partial) != 1 || !strings.Contains(rep.Partial[0], "answered HTTP 403") || rep.Severity != analyze.SeverityAdmin {
		t.Errorf("partial %q severity %v", rep.Partial, rep.Severity)
	}
}

func TestAnalyzeRateLimited(t *testing.T) {
	f := &fakeHub{scope: "repo:write", pages: 1, limitOne: true}
	rep, err := run(t, f, pat)
	if err != nil {
		t.Fatal(err)
	}
	if !f.limited.Load() || rep.Count("repository") != 2 || len(rep.Partial) != 0 {
		t.Errorf("repositories %d partial %q", rep.Count("repository"), rep.Partial)
	}
}

func TestAnalyzeInvalidToken(t *testing.T) {
	const wrong = "dckr_pat_Wr0ngWr0ngWr0ngWr0ngWr0ngWr0"
	f := &fakeHub{scope: "repo:write", pages: 1}
	rep, err := run(t, f, wrong)
	if err == nil || rep != nil {
		t.Fatalf("report for a rejected token: %+v", rep)
	}
	if strings.Contains(err.Error(), wrong) || !strings.Contains(err.Error(), "401") || f.hits.Load() != 1 {
		t.Errorf("error %q after %d requests", err, f.hits.Load())
	}
}
