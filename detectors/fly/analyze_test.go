package fly

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/verify"
	vt "github.com/achilles-sec/achilles/detectors/verify/verifytest"
)

const flyToken = "fo1_I2P7HLIFJFEIKC4BvFZvtcAxd4tW7Ev-jeabNKE2L1e"

// flyFake answers as Fly.io's GraphQL API: the viewer and two
// organizations (personal as admin, acme as member), then apps one a page,
// two pages unless endless; appsError answers the apps query with a
// GraphQL error; the first apps query is a 429 when limitOnce.
type flyFake struct {
	endless   bool
	appsError bool
	limitOnce bool
	appHits   atomic.Int64
	cursors   []string
}

func (f *flyFake) server(t *testing.T) *vt.Server {
	return vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Method != http.MethodPost || r.URL.Path != "/graphql" || r.Header.Get("Content-Type") != "application/json" {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		if r.Header.Get("Authorization") != "Bearer "+flyToken {
			fmt.Fprint(w, `{"data":null,"errors":[{"message":"You must be authenticated to view this.","extensions":{"code":"UNAUTHORIZED"}}]}`)
			return
		}
		raw, _ := io.ReadAll(r.Body)
		var q struct {
			Query     string `json:"query"`
			Variables struct {
				After *string `json:"after"`
			} `json:"variables"`
		}
		if err := json.Unmarshal(raw, &q); err != nil || strings.HasPrefix(strings.TrimSpace(q.Query), "mutation") {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		switch {
		case strings.Contains(q.Query, "viewer"):
			fmt.Fprint(w, `{"data":{"viewer":{"email":"ada@example.com"},"organizations":{"nodes":[{"slug":"personal","name":"Ada Lovelace","type":"PERSONAL","viewerRole":"admin"},{"slug":"acme","name":"Acme","type":"SHARED","viewerRole":"member"}],"pageInfo":{"hasNextPage":false}}}}`)
		case strings.Contains(q.Query, "apps("):
			n := f.appHits.Add(1)
			if n == 1 && f.limitOnce {
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(http.StatusTooManyRequests)
				fmt.Fprint(w, `{"errors":[{"message":"rate limited"}]}`)
				return
			}
			if f.appsError {
				fmt.Fprint(w, `{"data":null,"errors":[{"message":"Internal server error","extensions":{"code":"INTERNAL"}}]}`)
				return
			}
			after := ""
			if q.Variables.After != nil {
				after = *q.Variables.After
			}
			f.cursors = append(f.cursors, after)
			more := f.endless || after == ""
			org := "acme"
			if after == "" {
				org = "personal"
			}
			fmt.Fprintf(w, `{"data":{"apps":{"nodes":[{"name":"app-%d","organization":{"slug":"%s"}}],"pageInfo":{"hasNextPage":%t,"endCursor":"Y3Vyc29yOnYyOp%d"}}}}`, n, org, more, n)
		default:
			w.WriteHeader(http.StatusBadRequest)
		}
	})
}

func runFly(t *testing.T, f *flyFake, secret string) (*analyze.Report, error) {
	return Analyzer{}.Analyze(context.Background(), f.server(t).Client("fly", 5*time.Second), verify.Request{Secret: secret})
}

func TestAnalyzeFull(t *testing.T) {
	f := &flyFake{limitOnce: true}
	rep, err := runFly(t, f, flyToken)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(rep.Resources); got != "[{app acme/app-3 [deploy secrets]} {app personal/app-2 [deploy secrets]} {organization acme [member]} {organization personal [admin]}]" {
		t.Errorf("resources %s", got)
	}
	if fmt.Sprintf("%q", f.cursors) != `["" "Y3Vyc29yOnYyOp2"]` {
		t.Errorf("cursors %q", f.cursors)
	}
	if rep.Identity != "ada@example.com" || rep.Severity != analyze.SeverityAdmin || len(rep.Partial) != 0 ||
		rep.Worst != "admin of 1 Fly.io organization as ada@example.com; deploys to 2 apps" {
		t.Errorf("%+v", rep)
	}
}

func TestAnalyzeBoundAndPartial(t *testing.T) {
	f := &flyFake{endless: true}
	rep, err := runFly(t, f, flyToken)
	if err != nil || f.appHits.Load() != analyze.MaxPages || rep.Count("app") != analyze.MaxPages || fmt.Sprint(rep.Partial) != "[apps: stopped after 20 pages]" {
		t.Fatalf("%d hits %v %v", f.appHits.Load(), rep, err)
	}
	rep, err = runFly(t, &flyFake{appsError: true}, flyToken)
	if err != nil || fmt.Sprint(rep.Partial) != "[apps: /graphql: Internal server error]" || rep.Count("organization") != 2 || rep.Severity != analyze.SeverityAdmin {
		t.Fatalf("%+v %v", rep, err)
	}
}

func TestAnalyzeInvalid(t *testing.T) {
	bad := flyToken[:len(flyToken)-1] + "Q"
	rep, err := runFly(t, &flyFake{}, bad)
	if err == nil || rep != nil || strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "unauthorized") {
		t.Fatalf("%+v %v", rep, err)
	}
}
