package newrelic

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

const key = "NRAK-7JQ2XCZ1T0MUV5B8K3H4W6YDGEA"

type fakeNerdGraph struct {
	accountsErr bool
	noAccounts  bool
	limitOnce   atomic.Bool
	queries     atomic.Int64
}

// handler answers as NerdGraph: POST /graphql with the key in the API-Key
// header, 401 otherwise; a field that fails is null in data and named in
// errors with its path.
func (f *fakeNerdGraph) handler(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if r.Header.Get("API-Key") != key {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"errors":[{"message":"Invalid API key","extensions":{"errorClass":"UNAUTHORIZED"}}]}`)
		return
	}
	if r.Method != http.MethodPost || r.URL.Path != "/graphql" || r.Header.Get("Content-Type") != "application/json" {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	if f.limitOnce.CompareAndSwap(true, false) {
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
		fmt.Fprint(w, `{"errors":[{"message":"Too many requests"}]}`)
		return
	}
	var q struct {
		Query string `json:"query"`
	}
	if json.NewDecoder(r.Body).Decode(&q) != nil || strings.Contains(q.Query, "mutation") || !strings.Contains(q.Query, "accounts { id name }") {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	f.queries.Add(1)
	accounts := `[{"id":1234567,"name":"Acme Production"},{"id":7654321,"name":"Acme Staging"}]`
	errs := ""
	switch {
	case f.accountsErr:
		accounts = "null"
		errs = `,"errors":[{"message":"Internal Server Error","path":["actor","accounts"]}]`
	case f.noAccounts:
		accounts = "[]"
	}
	fmt.Fprintf(w, `{"data":{"actor":{"user":{"id":1000123,"name":"Ada Lovelace","email":"ada@example.com"},"organization":{"id":"f8c1a1a0-1b2c-4d5e-8f9a-0b1c2d3e4f50","name":"Acme Corp"},"accounts":%s}}%s}`, accounts, errs)
}

func analyzeNR(t *testing.T, f *fakeNerdGraph, secret string) (*analyze.Report, error) {
	s := vt.NewServer(t, f.handler)
	return Analyzer{}.Analyze(context.Background(), s.Client("newrelic", 5*time.Second), verify.Request{Secret: secret})
}

func TestAnalyzeFull(t *testing.T) {
	rep, err := analyzeNR(t, &fakeNerdGraph{}, key)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Identity != "Ada Lovelace <ada@example.com> (user 1000123) in Acme Corp" || rep.Kind != "user API key" {
		t.Errorf("identity %q kind %q", rep.Identity, rep.Kind)
	}
	if rep.Count("account") != 2 || rep.Count("organization") != 1 || rep.Resources[0].Name != "Acme Production (1234567)" {
		t.Errorf("resources %+v", rep.Resources)
	}
	want := "queries all telemetry of 2 New Relic accounts and changes them within the roles of ada@example.com (organization Acme Corp)"
	if rep.Severity != analyze.SeverityWrite || rep.Worst != want || len(rep.Partial) != 0 {
		t.Errorf("%s %q %v", rep.Severity, rep.Worst, rep.Partial)
	}
}

func TestAnalyzeNoAccounts(t *testing.T) {
	rep, err := analyzeNR(t, &fakeNerdGraph{noAccounts: true}, key)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Severity != analyze.SeverityInfo || !strings.HasPrefix(rep.Worst, "reaches no New Relic account") {
		t.Errorf("%s %q", rep.Severity, rep.Worst)
	}
}

func TestAnalyzePartialAndRateLimit(t *testing.T) {
	f := &fakeNerdGraph{accountsErr: true}
	f.limitOnce.Store(true)
	rep, err := analyzeNR(t, f, key)
	if err != nil {
		t.Fatal(err)
	}
	if f.limitOnce.Load() || f.queries.Load() != 1 || len(rep.Partial) != 1 || rep.Partial[0] != "actor.accounts: Internal Server Error" || rep.Count("account") != 0 {
		t.Errorf("%+v", rep)
	}
}

func TestAnalyzeInvalidKey(t *testing.T) {
	wrong := key[:len(key)-1] + "Q"
	rep, err := analyzeNR(t, &fakeNerdGraph{}, wrong)
	if err == nil || rep != nil || strings.Contains(err.Error(), wrong) {
		t.Fatalf("%+v, %v", rep, err)
	}
}
