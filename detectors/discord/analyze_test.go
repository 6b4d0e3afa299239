package discord

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

const botToken = "MTA4NjQ1MTAyOTg3NzY1NzYwMA.GaBcDe.Q2x9LmP4vR7sT1uW3yZ5aB8cD6eF0gH1iJ2kL3"

type fakeDiscord struct {
	guilds    func(after string) (int, string)
	limitOnce atomic.Bool
}

// handler answers as Discord's API v10: "Authorization: Bot <token>",
// 401 {"message":"401: Unauthorized","code":0} otherwise.
func (f *fakeDiscord) handler(t *testing.T) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("Authorization") != "Bot "+botToken {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"message":"401: Unauthorized","code":0}`)
			return
		}
		if f.limitOnce.CompareAndSwap(true, false) {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprint(w, `{"message":"You are being rate limited.","retry_after":0.5,"global":false}`)
			return
		}
		switch r.URL.Path {
		case "/api/v10/users/@me":
			fmt.Fprint(w, `{"id":"1086451029877657600","username":"deploy-bot","discriminator":"0","bot":true}`)
		case "/api/v10/users/@me/guilds":
			if r.URL.Query().Get("limit") != "200" {
				t.Errorf("guilds asked with %q", r.URL.RawQuery)
			}
			status, body := f.guilds(r.URL.Query().Get("after"))
			w.WriteHeader(status)
			fmt.Fprint(w, body)
		default:
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"message":"404: Not Found","code":0}`)
		}
	}
}

// guildPage returns n guilds numbered from first; 3072 is VIEW_CHANNEL |
// SEND_MESSAGES, 8 ADMINISTRATOR.
func guildPage(first, n int, perms string) string {
	var gs []string
	for i := first; i < first+n; i++ {
		gs = append(gs, fmt.Sprintf(`{"id":"%d","name":"guild %d","icon":null,"owner":false,"permissions":"%s","features":[]}`, 1000+i, i, perms))
	}
	return "[" + strings.Join(gs, ",") + "]"
}

func analyzeDiscord(t *testing.T, f *fakeDiscord, tok string) (*analyze.Report, error) {
	s := vt.NewServer(t, f.handler(t))
	return Analyzer{}.Analyze(context.Background(), s.Client("discord", 5*time.Second), verify.Request{Secret: tok})
}

func TestAnalyzeFull(t *testing.T) {
	f := &fakeDiscord{guilds: func(after string) (int, string) {
		switch after {
		case "":
			return 200, strings.TrimSuffix(guildPage(0, 199, "3072"), "]") + `,{"id":"999","name":"Ops","owner":false,"permissions":"8"}]`
		case "999":
			return 200, `[{"id":"2000","name":"Lurk","owner":false,"permissions":"1024"}]`
		}
		return 400, `{"message":"bad after"}`
	}}
	rep, err := analyzeDiscord(t, f, botToken)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Identity != "deploy-bot (1086451029877657600)" || rep.Kind != "bot token" || rep.Count("guild") != 201 {
		t.Errorf("identity %q kind %q, %d guilds", rep.Identity, rep.Kind, rep.Count("guild"))
	}
	for _, r := range rep.Resources {
		if r.Name == "Ops (999)" && strings.Join(r.Permissions, ",") != "ADMINISTRATOR" {
			t.Errorf("Ops %v", r.Permissions)
		}
		if r.Name == "guild 0 (1000)" && strings.Join(r.Permissions, ",") != "SEND_MESSAGES,VIEW_CHANNEL" {
			t.Errorf("guild 0 %v", r.Permissions)
		}
	}
	if rep.Worst != "bot token administers 1 and posts in 199 more of 201 Discord servers as deploy-bot" || rep.Severity != analyze.SeverityAdmin {
		t.Errorf("worst %q severity %s", rep.Worst, rep.Severity)
	}
}

func TestAnalyzeStopsAtPageLimit(t *testing.T) {
	var pages atomic.Int64
	f := &fakeDiscord{guilds: func(string) (int, string) {
		n := int(pages.Add(1))
		return 200, guildPage(n*200, 200, "1024")
	}}
	rep, err := analyzeDiscord(t, f, botToken)
	if err != nil {
		t.Fatal(err)
	}
	if pages.Load() != analyze.MaxPages || len(rep.Partial) != 1 || !strings.Contains(rep.Partial[0], "stopped after") {
		t.Errorf("%d pages, partial %v", pages.Load(), rep.Partial)
	}
}

func TestAnalyzePartialAndRateLimit(t *testing.T) {
	f := &fakeDiscord{guilds: func(string) (int, string) { return 500, `{"message":"500: Internal Server Error","code":0}` }}
	f.limitOnce.Store(true)
	rep, err := analyzeDiscord(t, f, botToken)
	if err != nil {
		t.Fatal(err)
	}
	if f.limitOnce.Load() || len(rep.Partial) != 1 || !strings.Contains(rep.Partial[0], "500") || rep.Severity != analyze.SeverityInfo {
		t.Errorf("%+v", rep)
	}
}

func TestAnalyzeInvalidToken(t *testing.T) {
	wrong := botToken[:len(botToken)-1] + "Q"
	rep, err := analyzeDiscord(t, &fakeDiscord{}, wrong)
	if err == nil || rep != nil || strings.Contains(err.Error(), wrong) {
		t.Fatalf("%+v, %v", rep, err)
	}
}
