package telegram

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

const tok = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw8"

type fakeTelegram struct {
	webhook   string
	hookFail  bool
	limitOnce atomic.Bool
}

// handler answers as the Bot API: the token in the path
// (/bot<token>/<method>), 401 {"ok":false,"error_code":401} otherwise.
func (f *fakeTelegram) handler(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	method, ok := strings.CutPrefix(r.URL.Path, "/bot"+tok+"/")
	if !ok {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"ok":false,"error_code":401,"description":"Unauthorized"}`)
		return
	}
	if f.limitOnce.CompareAndSwap(true, false) {
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
		fmt.Fprint(w, `{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 1","parameters":{"retry_after":1}}`)
		return
	}
	switch method {
	case "getMe":
		fmt.Fprint(w, `{"ok":true,"result":{"id":123456789,"is_bot":true,"first_name":"Acme alerts","username":"acme_alerts_bot","can_join_groups":true,"can_read_all_group_messages":true,"supports_inline_queries":false}}`)
	case "getWebhookInfo":
		if f.hookFail {
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprint(w, `{"ok":false,"error_code":500,"description":"Internal Server Error"}`)
			return
		}
		fmt.Fprintf(w, `{"ok":true,"result":{"url":"%s","has_custom_certificate":false,"pending_update_count":7}}`, f.webhook)
	default:
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"ok":false,"error_code":404,"description":"Not Found"}`)
	}
}

func analyzeTG(t *testing.T, f *fakeTelegram, secret string) (*analyze.Report, error) {
	s := vt.NewServer(t, f.handler)
	return Analyzer{}.Analyze(context.Background(), s.Client("telegram", 5*time.Second), verify.Request{Secret: secret})
}

func TestAnalyzeFull(t *testing.T) {
	rep, err := analyzeTG(t, &fakeTelegram{}, tok)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Identity != "@acme_alerts_bot (Acme alerts, id 123456789)" || rep.Severity != analyze.SeverityWrite {
		t.Errorf("identity %q severity %s", rep.Identity, rep.Severity)
	}
	if got := strings.Join(rep.Resources[0].Permissions, ","); got != "can join groups,reads all group messages,send messages as the bot" {
		t.Errorf("permissions %s", got)
	}
	want := "can post as Telegram bot @acme_alerts_bot and reads every message in its groups (privacy mode off); no webhook: the holder can fetch its 7 pending updates (messages sent to the bot)"
	if rep.Worst != want {
		t.Errorf("worst %q", rep.Worst)
	}
}

func TestAnalyzeWebhook(t *testing.T) {
	rep, err := analyzeTG(t, &fakeTelegram{webhook: "https://hooks.acme.example/tg"}, tok)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Count("webhook") != 1 || !strings.Contains(rep.Worst, "redirect its webhook (now https://hooks.acme.example/tg)") {
		t.Errorf("%+v", rep)
	}
}

func TestAnalyzePartialAndRateLimit(t *testing.T) {
	f := &fakeTelegram{hookFail: true}
	f.limitOnce.Store(true)
	rep, err := analyzeTG(t, f, tok)
	if err != nil {
		t.Fatal(err)
	}
	if f.limitOnce.Load() || len(rep.Partial) != 1 || !strings.Contains(rep.Partial[0], "getWebhookInfo") || !strings.Contains(rep.Partial[0], "500") {
		t.Errorf("%+v", rep)
	}
	if strings.Contains(strings.Join(rep.Partial, ""), tok) {
		t.Error("partial shows the token")
	}
}

func TestAnalyzeInvalidToken(t *testing.T) {
	wrong := tok[:len(tok)-1] + "Q"
	rep, err := analyzeTG(t, &fakeTelegram{}, wrong)
	if err == nil || rep != nil || strings.Contains(err.Error(), wrong) {
		t.Fatalf("%+v, %v", rep, err)
	}
}
