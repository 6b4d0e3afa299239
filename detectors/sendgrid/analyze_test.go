package sendgrid

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

const key = "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"

// fakeSendGrid answers as SendGrid's v3 API: a bearer key, 401 with an
// errors array otherwise, 403 for an endpoint the key's scopes do not
// cover.
func fakeSendGrid(t *testing.T, scopes []string, broken string, limitOnce *atomic.Bool) *vt.Server {
	allowed := map[string]bool{}
	for _, s := range scopes {
		allowed[s] = true
	}
	return vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("Authorization") != "Bearer "+key {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"errors":[{"field":null,"message":"authorization required"}]}`)
			return
		}
		if limitOnce != nil && limitOnce.CompareAndSwap(true, false) {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprint(w, `{"errors":[{"field":null,"message":"too many requests"}]}`)
			return
		}
		need := map[string]string{"/v3/user/username": "user.username.read", "/v3/user/email": "user.email.read", "/v3/user/account": "user.account.read"}
		if s, ok := need[r.URL.Path]; ok && !allowed[s] || r.URL.Path == broken {
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `{"errors":[{"field":null,"message":"access forbidden"}]}`)
			return
		}
		switch r.URL.Path {
		case "/v3/scopes":
			fmt.Fprintf(w, `{"scopes":["%s"]}`, strings.Join(scopes, `","`))
		case "/v3/user/username":
			fmt.Fprint(w, `{"username":"acme-mailer","user_id":1234567}`)
		case "/v3/user/email":
			fmt.Fprint(w, `{"email":"mail@acme.example"}`)
		case "/v3/user/account":
			fmt.Fprint(w, `{"type":"paid","reputation":99.7}`)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	})
}

func analyzeWith(s *vt.Server, secret string) (*analyze.Report, error) {
	return Analyzer{}.Analyze(context.Background(), s.Client("sendgrid", 5*time.Second), verify.Request{Secret: secret})
}

func TestAnalyzeFullAccess(t *testing.T) {
	scopes := []string{"mail.send", "api_keys.create", "api_keys.read", "templates.read", "templates.update", "user.username.read", "user.email.read", "user.account.read"}
	rep, err := analyzeWith(fakeSendGrid(t, scopes, "", nil), key)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Identity != "acme-mailer <mail@acme.example> (paid account, reputation 99.7)" {
		t.Errorf("identity %q", rep.Identity)
	}
	var groups []string
	for _, r := range rep.Resources {
		groups = append(groups, r.Name+"="+strings.Join(r.Permissions, "+"))
	}
	if got := strings.Join(groups, " "); got != "api_keys=create+read mail=send templates=read+update user.account=read user.email=read user.username=read" {
		t.Errorf("resources %s", got)
	}
	if rep.Severity != analyze.SeverityAdmin || rep.Worst != "can make credentials or users (api_keys.create) and send mail as acme-mailer <mail@acme.example> (8 scopes)" {
		t.Errorf("severity %s worst %q", rep.Severity, rep.Worst)
	}
}

func TestAnalyzeMailSendOnly(t *testing.T) {
	rep, err := analyzeWith(fakeSendGrid(t, []string{"mail.send"}, "", nil), key)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Kind != "API key (mail send only)" || rep.Severity != analyze.SeverityWrite || rep.Worst != "can send mail as the key's SendGrid account (1 scopes)" {
		t.Errorf("%+v", rep)
	}
}

func TestAnalyzePartialFailure(t *testing.T) {
	// The scopes promise the account, SendGrid refuses it: named, not fatal.
	rep, err := analyzeWith(fakeSendGrid(t, []string{"mail.send", "user.account.read", "user.username.read"}, "/v3/user/account", nil), key)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Partial) != 1 || !strings.Contains(rep.Partial[0], "account") || !strings.Contains(rep.Partial[0], "403") || rep.Identity != "acme-mailer" {
		t.Errorf("partial %v identity %q", rep.Partial, rep.Identity)
	}
}

func TestAnalyzeRateLimited(t *testing.T) {
	var once atomic.Bool
	once.Store(true)
	rep, err := analyzeWith(fakeSendGrid(t, []string{"mail.send"}, "", &once), key)
	if err != nil || once.Load() || rep.Severity != analyze.SeverityWrite {
		t.Fatalf("429 not retried: %+v, %v", rep, err)
	}
}

func TestAnalyzeInvalidKey(t *testing.T) {
	wrong := key[:len(key)-1] + "Q"
	rep, err := analyzeWith(fakeSendGrid(t, []string{"mail.send"}, "", nil), wrong)
	if err == nil || rep != nil || strings.Contains(err.Error(), wrong) {
		t.Fatalf("got %+v, %v", rep, err)
	}
}
