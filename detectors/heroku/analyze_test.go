package heroku

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

const key = "HRKU-M1pm4cGs-xcyUuaUUrTvWl8w8eJErszha2gWH7rbYplT3T1C8XqZiRm_wJ-u"

// fake answers as the Platform API: one app a range, Next-Range while the
// page is below last (0: always), teams answered with teamsStatus (0: ok),
// and a 429 on the first /apps request when limitOnce.
type fake struct {
	last        int
	teamsStatus int
	limitOnce   bool
	appHits     atomic.Int64
	ranges      []string
}

func (f *fake) server(t *testing.T) *vt.Server {
	return vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("Authorization") != "Bearer "+key || r.Header.Get("Accept") != accept {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"id":"unauthorized","message":"Invalid credentials provided."}`)
			return
		}
		switch r.URL.Path {
		case "/account":
			fmt.Fprint(w, `{"allow_tracking":true,"beta":false,"created_at":"2012-01-01T12:00:00Z","email":"ada@example.com","federated":false,"id":"01234567-89ab-cdef-0123-456789abcdef","name":"Ada Lovelace","two_factor_authentication":true,"verified":true}`)
		case "/apps":
			n := f.appHits.Add(1)
			if n == 1 && f.limitOnce {
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(http.StatusTooManyRequests)
				fmt.Fprint(w, `{"id":"rate_limit","message":"Your account reached the API rate limit"}`)
				return
			}
			f.ranges = append(f.ranges, r.Header.Get("Range"))
			page := 1
			if _, err := fmt.Sscanf(r.Header.Get("Range"), "name ]app-%d..", &page); err == nil {
				page++
			}
			owner, team := "ada@example.com", "null"
			if page == 2 {
				owner, team = "grace@example.com", `{"id":"01234567-89ab-cdef-0123-456789abcdef","name":"acme"}`
			}
			status := http.StatusOK
			if f.last == 0 || page < f.last {
				w.Header().Set("Next-Range", fmt.Sprintf("name ]app-%d..; max=1000", page))
				status = http.StatusPartialContent
			}
			w.Header().Set("Content-Range", fmt.Sprintf("name app-%d..app-%d", page, page))
			w.WriteHeader(status)
			fmt.Fprintf(w, `[{"id":"01234567-89ab-cdef-0123-45678900000%d","name":"app-%d","owner":{"email":"%s","id":"01234567-89ab-cdef-0123-456789abcdef"},"region":{"id":"01234567-89ab-cdef-0123-456789abcdef","name":"us"},"stack":{"name":"heroku-24"},"team":%s,"web_url":"https://app-%d.herokuapp.com/"}]`, page%10, page, owner, team, page)
		case "/teams":
			if f.teamsStatus != 0 {
				w.WriteHeader(f.teamsStatus)
				fmt.Fprint(w, `{"id":"forbidden","message":"You do not have access to this resource."}`)
				return
			}
			fmt.Fprint(w, `[{"id":"01234567-89ab-cdef-0123-456789abcdef","name":"acme","role":"admin","default":false,"membership_limit":25,"type":"enterprise"}]`)
		default:
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"id":"not_found","message":"Couldn't find that."}`)
		}
	})
}

func analyzeWith(t *testing.T, f *fake, secret string) (*analyze.Report, error) {
	s := f.server(t)
	return Analyzer{}.Analyze(context.Background(), s.Client("heroku", 5*time.Second), verify.Request{Secret: secret})
}

func TestAnalyzeFullAndRanges(t *testing.T) {
	f := &fake{last: 2, limitOnce: true}
	rep, err := analyzeWith(t, f, key)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(rep.Resources); got != "[{app acme/app-2 [team member]} {app app-1 [owner]} {team acme [admin]}]" {
		t.Errorf("resources %s", got)
	}
	if fmt.Sprint(f.ranges) != "[name ..; max=1000 name ]app-1..; max=1000]" || f.appHits.Load() != 3 {
		t.Errorf("ranges sent %q, %d hits", f.ranges, f.appHits.Load())
	}
	if rep.Identity != "ada@example.com" || rep.Kind != "API key" || rep.Severity != analyze.SeverityAdmin || len(rep.Partial) != 0 ||
		rep.Worst != "full access to the Heroku account ada@example.com: deploys to and reads the config vars of 2 apps, member of 1 team (admin of 1)" {
		t.Errorf("%+v", rep)
	}
}

func TestAnalyzeBound(t *testing.T) {
	f := &fake{}
	rep, err := analyzeWith(t, f, key)
	if err != nil || f.appHits.Load() != analyze.MaxPages || rep.Count("app") != analyze.MaxPages || len(rep.Partial) != 1 || rep.Partial[0] != "/apps: stopped after 20 pages" {
		t.Fatalf("%d hits %+v %v", f.appHits.Load(), rep, err)
	}
}

func TestAnalyzePartial(t *testing.T) {
	rep, err := analyzeWith(t, &fake{last: 1, teamsStatus: http.StatusForbidden}, key)
	if err != nil || len(rep.Partial) != 1 || rep.Partial[0] != "/teams answered HTTP 403" || rep.Count("app") != 1 || rep.Severity != analyze.SeverityAdmin {
		t.Fatalf("%+v %v", rep, err)
	}
}

func TestAnalyzeInvalidKey(t *testing.T) {
	bad := key[:len(key)-1] + "x"
	rep, err := analyzeWith(t, &fake{last: 1}, bad)
	if err == nil || rep != nil || strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "401") {
		t.Fatalf("%+v %v", rep, err)
	}
}
