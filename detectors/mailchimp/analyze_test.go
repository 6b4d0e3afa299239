package mailchimp

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

const mcKey = "0123456789abcdef0123456789abcdef-us21"

// fakeMailchimp answers as the Marketing API: basic auth with any user and
// the key, 401 problem JSON otherwise; lists paged by count and offset.
func fakeMailchimp(t *testing.T, total, failOffset int, limitOnce *atomic.Bool) *vt.Server {
	return vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if _, p, ok := r.BasicAuth(); !ok || p != mcKey {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"type":"https://mailchimp.com/developer/marketing/docs/errors/","title":"API Key Invalid","status":401,"detail":"Your API key may be invalid, or you've attempted to access the wrong datacenter."}`)
			return
		}
		if limitOnce != nil && limitOnce.CompareAndSwap(true, false) {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		switch r.URL.Path {
		case "/3.0/":
			fmt.Fprint(w, `{"account_id":"8d3a3db4d97663a9074efcc16","login_id":"1","account_name":"Acme","email":"owner@acme.example","role":"owner","total_subscribers":3}`)
		case "/3.0/lists":
			count, _ := strconv.Atoi(r.URL.Query().Get("count"))
			offset, _ := strconv.Atoi(r.URL.Query().Get("offset"))
			if offset == failOffset {
				w.WriteHeader(http.StatusForbidden)
				fmt.Fprint(w, `{"title":"Forbidden","status":403,"detail":"You don't have permission to access this resource"}`)
				return
			}
			var ls []string
			for i := offset; i < total && i < offset+count; i++ {
				ls = append(ls, fmt.Sprintf(`{"id":"l%d","name":"List %d","stats":{"member_count":2}}`, i, i))
			}
			fmt.Fprintf(w, `{"lists":[%s],"total_items":%d}`, strings.Join(ls, ","), total)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	})
}

func analyzeMC(s *vt.Server, key string) (*analyze.Report, error) {
	return Analyzer{}.Analyze(context.Background(), s.Client("mailchimp", 5*time.Second), verify.Request{Secret: key})
}

func TestAnalyzeTwoPages(t *testing.T) {
	s := fakeMailchimp(t, 101, -1, nil)
	rep, err := analyzeMC(s, mcKey)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Identity != "Acme <owner@acme.example> (8d3a3db4d97663a9074efcc16, role owner)" || rep.Count("audience") != 101 || s.Hits.Load() != 3 {
		t.Errorf("identity %q, %d audiences, %d requests", rep.Identity, rep.Count("audience"), s.Hits.Load())
	}
	if rep.Severity != analyze.SeverityAdmin || rep.Worst != "full access to Mailchimp account Acme as owner: reads 202 contacts in 101 audiences and sends campaigns to them" {
		t.Errorf("severity %s worst %q", rep.Severity, rep.Worst)
	}
}

func TestAnalyzeStopsAtPageLimit(t *testing.T) {
	s := fakeMailchimp(t, 1000000, -1, nil)
	rep, err := analyzeMC(s, mcKey)
	if err != nil {
		t.Fatal(err)
	}
	if s.Hits.Load() != 1+analyze.MaxPages || len(rep.Partial) != 1 {
		t.Errorf("%d requests, partial %v", s.Hits.Load(), rep.Partial)
	}
}

func TestAnalyzePartialAndRateLimit(t *testing.T) {
	var once atomic.Bool
	once.Store(true)
	rep, err := analyzeMC(fakeMailchimp(t, 5, 0, &once), mcKey)
	if err != nil {
		t.Fatal(err)
	}
	if once.Load() || len(rep.Partial) != 1 || !strings.Contains(rep.Partial[0], "403") {
		t.Errorf("partial %v", rep.Partial)
	}
}

func TestAnalyzeInvalidKey(t *testing.T) {
	wrong := "f123456789abcdef0123456789abcdef-us21"
	rep, err := analyzeMC(fakeMailchimp(t, 1, -1, nil), wrong)
	if err == nil || rep != nil || strings.Contains(err.Error(), wrong) {
		t.Fatalf("%+v, %v", rep, err)
	}
}
