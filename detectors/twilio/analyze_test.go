package twilio

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
	sid   = "AC0123456789abcdef0123456789abcdef"
	token = "9f8e7d6c5b4a39281706f5e4d3c2b1a0"
)

type fakeTwilio struct {
	numbersPage func(page string) string
	subStatus   int
	limitOnce   atomic.Bool
}

// handler answers as Twilio's REST API: basic auth with the account SID
// and auth token, 401 code 20003 otherwise, lists paged by next_page_uri.
func (f *fakeTwilio) handler(t *testing.T) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if u, p, ok := r.BasicAuth(); !ok || u != sid || p != token {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"code":20003,"message":"Authenticate","more_info":"https://www.twilio.com/docs/errors/20003","status":401}`)
			return
		}
		if f.limitOnce.CompareAndSwap(true, false) {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprint(w, `{"code":20429,"message":"Too Many Requests","status":429}`)
			return
		}
		switch r.URL.Path {
		case "/2010-04-01/Accounts/" + sid + ".json":
			fmt.Fprintf(w, `{"sid":"%s","friendly_name":"Acme prod","status":"active","type":"Full","owner_account_sid":"%s","auth_token":"redacted"}`, sid, sid)
		case "/2010-04-01/Accounts.json":
			if f.subStatus != 0 {
				w.WriteHeader(f.subStatus)
				fmt.Fprintf(w, `{"code":20003,"message":"Permission denied","status":%d}`, f.subStatus)
				return
			}
			fmt.Fprintf(w, `{"accounts":[{"sid":"%s","friendly_name":"Acme prod","status":"active"},{"sid":"ACffffffffffffffffffffffffffffffff","friendly_name":"Acme staging","status":"suspended"}],"next_page_uri":null,"page":0,"page_size":200}`, sid)
		case "/2010-04-01/Accounts/" + sid + "/IncomingPhoneNumbers.json":
			if r.URL.Query().Get("PageSize") != "200" {
				t.Errorf("numbers asked with %s", r.URL.RawQuery)
			}
			fmt.Fprint(w, f.numbersPage(r.URL.Query().Get("Page")))
		default:
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"code":20404,"message":"The requested resource was not found","status":404}`)
		}
	}
}

func twoNumberPages(page string) string {
	if page == "" {
		return `{"incoming_phone_numbers":[{"sid":"PN1","phone_number":"+15005550006","friendly_name":"support","capabilities":{"voice":true,"sms":true,"mms":false,"fax":false}}],
		"next_page_uri":"/2010-04-01/Accounts/` + sid + `/IncomingPhoneNumbers.json?PageSize=200&Page=1&PageToken=PAPN1","page":0,"page_size":200}`
	}
	return `{"incoming_phone_numbers":[{"sid":"PN2","phone_number":"+15005550007","friendly_name":"alerts","capabilities":{"voice":false,"sms":true,"mms":true,"fax":false}}],"next_page_uri":null,"page":1,"page_size":200}`
}

func analyzeWith(t *testing.T, f *fakeTwilio, tok string) (*analyze.Report, error, *vt.Server) {
	s := vt.NewServer(t, f.handler(t))
	rep, err := Analyzer{}.Analyze(context.Background(), s.Client("twilio", 5*time.Second), verify.Request{Secret: tok, Parts: map[string]string{SIDRule: sid}})
	return rep, err, s
}

func TestAnalyzeFull(t *testing.T) {
	rep, err, _ := analyzeWith(t, &fakeTwilio{numbersPage: twoNumberPages}, token)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Identity != "Acme prod ("+sid+", full active)" || rep.Kind != "auth token" {
		t.Errorf("identity %q kind %q", rep.Identity, rep.Kind)
	}
	if rep.Count("phone number") != 2 || rep.Count("subaccount") != 1 || rep.Count("account") != 1 {
		t.Errorf("resources %+v", rep.Resources)
	}
	for _, r := range rep.Resources {
		if r.Name == "+15005550007" && strings.Join(r.Permissions, ",") != "mms,sms" {
			t.Errorf("capabilities %v", r.Permissions)
		}
	}
	want := "full access to Twilio account Acme prod (" + sid + ", active): sends SMS from 2 and calls from 1 of its 2 numbers, 1 subaccounts"
	if rep.Worst != want || rep.Severity != analyze.SeverityAdmin || len(rep.Partial) != 0 {
		t.Errorf("worst %q severity %s partial %v", rep.Worst, rep.Severity, rep.Partial)
	}
}

func TestAnalyzeStopsAtPageLimit(t *testing.T) {
	var asked atomic.Int64
	f := &fakeTwilio{numbersPage: func(page string) string {
		n := asked.Add(1)
		return fmt.Sprintf(`{"incoming_phone_numbers":[{"phone_number":"+1500555%04d","capabilities":{"sms":true}}],"next_page_uri":"/2010-04-01/Accounts/%s/IncomingPhoneNumbers.json?PageSize=200&Page=%d"}`, n, sid, n)
	}}
	rep, err, _ := analyzeWith(t, f, token)
	if err != nil {
		t.Fatal(err)
	}
	if asked.Load() != analyze.MaxPages || rep.Count("phone number") != analyze.MaxPages {
		t.Errorf("%d pages, %d numbers", asked.Load(), rep.Count("phone number"))
	}
	if len(rep.Partial) != 1 || !strings.Contains(rep.Partial[0], "incoming phone numbers: stopped after") {
		t.Errorf("partial %v", rep.Partial)
	}
}

func TestAnalyzePartialFailure(t *testing.T) {
	rep, err, _ := analyzeWith(t, &fakeTwilio{numbersPage: twoNumberPages, subStatus: http.StatusForbidden}, token)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Partial) != 1 || !strings.Contains(rep.Partial[0], "subaccounts") || !strings.Contains(rep.Partial[0], "403") {
		t.Errorf("partial %v", rep.Partial)
	}
	if rep.Count("phone number") != 2 {
		t.Errorf("numbers still listed: %+v", rep.Resources)
	}
}

func TestAnalyzeRateLimited(t *testing.T) {
	f := &fakeTwilio{numbersPage: twoNumberPages}
	f.limitOnce.Store(true)
	rep, err, _ := analyzeWith(t, f, token)
	if err != nil {
		t.Fatal(err)
	}
	if f.limitOnce.Load() || rep.Count("phone number") != 2 {
		t.Errorf("429 not retried: %+v", rep)
	}
}

func TestAnalyzeInvalidToken(t *testing.T) {
	wrong := token[:len(token)-1] + "f"
	rep, err, _ := analyzeWith(t, &fakeTwilio{numbersPage: twoNumberPages}, wrong)
	if err == nil || rep != nil {
		t.Fatalf("got %+v, %v", rep, err)
	}
	if strings.Contains(err.Error(), wrong) || !strings.Contains(err.Error(), "401") {
		t.Errorf("error %q", err)
	}
}
