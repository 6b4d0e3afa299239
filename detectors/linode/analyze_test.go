package linode

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

const token = "3b5f7c9e1a2d4f6b8c0e2a4c6e8f0a2b4d6f8a0c2e4a6c8e0f2a4b6d8f0a2c4e"

func fake(t *testing.T, restricted bool, grants func(n int64) (int, string)) *vt.Server {
	var n atomic.Int64
	return vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("Authorization") != "Bearer "+token {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"errors":[{"reason":"Invalid Token"}]}`)
			return
		}
		switch r.URL.Path {
		case "/v4/profile":
			fmt.Fprintf(w, `{"uid":1234,"username":"ada","email":"ada@example.com","restricted":%t,"timezone":"UTC","two_factor_auth":true}`, restricted)
		case "/v4/profile/grants":
			status, body := grants(n.Add(1))
			if status == http.StatusTooManyRequests {
				w.Header().Set("Retry-After", "1")
			}
			w.WriteHeader(status)
			fmt.Fprint(w, body)
		default:
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"errors":[{"reason":"Not found"}]}`)
		}
	})
}

const grantsBody = `{"global":{"account_access":"read_only","add_domains":true,"add_linodes":false,"add_volumes":true,"cancel_account":false},
"linode":[{"id":123,"label":"web-1","permissions":"read_write"},{"id":124,"label":"db-1","permissions":"read_only"},{"id":125,"label":"old","permissions":null}],
"domain":[{"id":7,"label":"example.com","permissions":"read_write"}],"volume":[]}`

func TestAnalyzeRestricted(t *testing.T) {
	s := fake(t, true, func(n int64) (int, string) {
		if n == 1 {
			return 429, `{"errors":[{"reason":"Too many requests"}]}`
		}
		return 200, grantsBody
	})
	rep, err := Analyzer{}.Analyze(context.Background(), s.Client("linode", 5*time.Second), verify.Request{Secret: token})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Identity != "ada <ada@example.com>" || rep.Kind != "personal access token of a restricted user" {
		t.Errorf("%+v", rep)
	}
	want := "[{account ada [account_access:read_only add_domains add_volumes]} {domain example.com (7) [read_write]} {linode db-1 (124) [read_only]} {linode web-1 (123) [read_write]}]"
	if fmt.Sprint(rep.Resources) != want {
		t.Errorf("resources %v", rep.Resources)
	}
	if rep.Severity != analyze.SeverityWrite || rep.Worst != "read_write on 1 domain, 1 linode" {
		t.Errorf("worst %q %s", rep.Worst, rep.Severity)
	}
}

func TestAnalyzeUnrestrictedPartialInvalid(t *testing.T) {
	s := fake(t, false, nil)
	rep, err := Analyzer{}.Analyze(context.Background(), s.Client("linode", 5*time.Second), verify.Request{Secret: token})
	if err != nil || rep.Severity != analyze.SeverityAdmin || !strings.HasPrefix(rep.Worst, "unrestricted user ada") {
		t.Fatalf("%+v %v", rep, err)
	}
	s = fake(t, true, func(int64) (int, string) { return 500, `{"errors":[{"reason":"Server error"}]}` })
	rep, err = Analyzer{}.Analyze(context.Background(), s.Client("linode", 5*time.Second), verify.Request{Secret: token})
	if err != nil || len(rep.Partial) != 1 || rep.Partial[0] != "/v4/profile/grants answered HTTP 500" {
		t.Fatalf("%+v %v", rep, err)
	}
	bad := token[:len(token)-1] + "f"
	rep, err = Analyzer{}.Analyze(context.Background(), s.Client("linode", 5*time.Second), verify.Request{Secret: bad})
	if err == nil || rep != nil || strings.Contains(err.Error(), bad) {
		t.Fatalf("%+v %v", rep, err)
	}
}
