package slack

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

const analyzeTok = "xoxb-123456789012-1234567890123-Q2x9LmP4vR7sT1uW3yZ5aB8c"

// fakeSlack answers as Slack's Web API: every method over HTTPS with the
// token as a bearer header, ok:false with an error code in a 200 answer,
// cursor pagination in response_metadata.next_cursor.
type fakeSlack struct {
	scopes      string
	channels    func(cursor string) string // conversations.list body
	usersStatus int
	limited     atomic.Bool // answer the first auth.test with a 429
}

func (f *fakeSlack) handler(t *testing.T) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("Authorization") != "Bearer "+analyzeTok {
			fmt.Fprint(w, `{"ok":false,"error":"invalid_auth"}`)
			return
		}
		w.Header().Set("X-OAuth-Scopes", f.scopes)
		switch r.URL.Path {
		case "/api/auth.test":
			if f.limited.CompareAndSwap(true, false) {
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(http.StatusTooManyRequests)
				return
			}
			fmt.Fprint(w, `{"ok":true,"url":"https://acme.slack.com/","team":"Acme","user":"deploybot","team_id":"T0ACME","user_id":"U0BOT","bot_id":"B0BOT","is_enterprise_install":false}`)
		case "/api/conversations.list":
			if r.Method != http.MethodGet || r.URL.Query().Get("types") != "public_channel,private_channel" || r.URL.Query().Get("limit") != "200" {
				t.Errorf("conversations.list asked as %s %s", r.Method, r.URL.RawQuery)
			}
			fmt.Fprint(w, f.channels(r.URL.Query().Get("cursor")))
		case "/api/users.list":
			if f.usersStatus != 0 {
				w.WriteHeader(f.usersStatus)
				return
			}
			fmt.Fprint(w, `{"ok":true,"members":[{"id":"U1","name":"ada","deleted":false},{"id":"U2","name":"bob","deleted":false},{"id":"U3","name":"old","deleted":true}],"response_metadata":{"next_cursor":""}}`)
		default:
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"ok":false,"error":"unknown_method"}`)
		}
	}
}

func twoPages(cursor string) string {
	if cursor == "" {
		return `{"ok":true,"channels":[
			{"id":"C01","name":"general","is_channel":true,"is_private":false,"is_member":true},
			{"id":"C02","name":"random","is_channel":true,"is_private":false,"is_member":false},
			{"id":"G01","name":"payroll","is_channel":true,"is_private":true,"is_member":true}],
			"response_metadata":{"next_cursor":"dGVhbTpDMDI="}}`
	}
	if cursor != "dGVhbTpDMDI=" {
		return `{"ok":false,"error":"invalid_cursor"}`
	}
	return `{"ok":true,"channels":[{"id":"G02","name":"incidents","is_channel":true,"is_private":true,"is_member":true}],"response_metadata":{"next_cursor":""}}`
}

func run(t *testing.T, f *fakeSlack, secret string) (*analyze.Report, error, *vt.Server) {
	t.Helper()
	s := vt.NewServer(t, f.handler(t))
	rep, err := Analyzer{}.Analyze(context.Background(), s.Client("slack", 5*time.Second), verify.Request{Secret: secret})
	return rep, err, s
}

func TestAnalyzeFull(t *testing.T) {
	f := &fakeSlack{scopes: "chat:write,channels:read,groups:read,groups:history,users:read", channels: twoPages}
	rep, err, _ := run(t, f, analyzeTok)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Identity != "deploybot (bot B0BOT) in Acme (T0ACME)" || rep.Kind != "bot token" {
		t.Errorf("identity %q kind %q", rep.Identity, rep.Kind)
	}
	if rep.Count("private channel") != 2 || rep.Count("channel") != 1 {
		t.Errorf("resources %+v", rep.Resources)
	}
	var payroll *analyze.Resource
	for i, r := range rep.Resources {
		if strings.HasPrefix(r.Name, "#payroll") {
			payroll = &rep.Resources[i]
		}
	}
	if payroll == nil || strings.Join(payroll.Permissions, ",") != "chat:write,groups:history,member" {
		t.Errorf("payroll channel %+v", payroll)
	}
	want := "can post messages; reads 2 private channels, sees 2 public channels (member of 1), lists 2 members in team Acme"
	if rep.Worst != want {
		t.Errorf("worst %q\nwant  %q", rep.Worst, want)
	}
	if rep.Severity != analyze.SeverityWrite || len(rep.Partial) != 0 {
		t.Errorf("severity %s partial %v", rep.Severity, rep.Partial)
	}
}

func TestAnalyzeStopsAtPageLimit(t *testing.T) {
	var pages atomic.Int64
	f := &fakeSlack{scopes: "channels:read", channels: func(cursor string) string {
		n := pages.Add(1)
		return fmt.Sprintf(`{"ok":true,"channels":[{"id":"C%d","name":"c%d","is_private":false,"is_member":true}],"response_metadata":{"next_cursor":"next%d"}}`, n, n, n)
	}}
	rep, err, _ := run(t, f, analyzeTok)
	if err != nil {
		t.Fatal(err)
	}
	if pages.Load() != analyze.MaxPages || rep.Count("channel") != analyze.MaxPages {
		t.Errorf("%d pages asked, %d channels", pages.Load(), rep.Count("channel"))
	}
	if len(rep.Partial) != 1 || !strings.Contains(rep.Partial[0], "conversations.list: stopped after") {
		t.Errorf("partial %v", rep.Partial)
	}
}

func TestAnalyzePartial(t *testing.T) {
	// Without channels:read Slack answers missing_scope; users.list fails
	// with a server error: both are named, the report still comes.
	f := &fakeSlack{scopes: "users:read,admin", usersStatus: http.StatusInternalServerError, channels: func(string) string {
		return `{"ok":false,"error":"missing_scope","needed":"channels:read","provided":"users:read,admin"}`
	}}
	rep, err, _ := run(t, f, analyzeTok)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(rep.Partial, "; ")
	if !strings.Contains(got, "conversations.list: missing_scope (needs channels:read)") || !strings.Contains(got, "users.list") || !strings.Contains(got, "500") {
		t.Errorf("partial %q", got)
	}
	if rep.Severity != analyze.SeverityAdmin || !strings.HasPrefix(rep.Worst, "administers the workspace") {
		t.Errorf("severity %s worst %q", rep.Severity, rep.Worst)
	}
}

func TestAnalyzeRateLimited(t *testing.T) {
	f := &fakeSlack{scopes: "channels:read", channels: twoPages}
	f.limited.Store(true)
	rep, err, s := run(t, f, analyzeTok)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Identity == "" || f.limited.Load() || s.Hits.Load() < 4 {
		t.Errorf("the 429 was not retried: %+v, %d hits", rep, s.Hits.Load())
	}
}

func TestAnalyzeInvalidToken(t *testing.T) {
	wrong := strings.TrimSuffix(analyzeTok, "c") + "Q"
	rep, err, _ := run(t, &fakeSlack{channels: twoPages}, wrong)
	if err == nil || rep != nil {
		t.Fatalf("a rejected token gave %+v, %v", rep, err)
	}
	if !strings.Contains(err.Error(), "invalid_auth") || strings.Contains(err.Error(), wrong) {
		t.Errorf("error %q", err)
	}
}
