package vercel

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

const token = "vcp_FJwzO2M1wpdqBWkaMTdoM19RiB4G9PE5KWdCy9Bh"

// fake answers as Vercel's REST API: two pages of teams (acme, where the
// user is OWNER, then beta as VIEWER), one project a page for the personal
// account (endless when endless), one per team; betaStatus answers beta's
// projects (0: ok); the first /v2/user is a 429 when limitOnce.
type fake struct {
	endless      bool
	betaStatus   int
	limitOnce    bool
	userHits     atomic.Int64
	personalHits atomic.Int64
}

func (f *fake) server(t *testing.T) *vt.Server {
	return vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("Authorization") != "Bearer "+token {
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `{"error":{"code":"forbidden","message":"Not authorized","invalidToken":true}}`)
			return
		}
		q := r.URL.Query()
		if r.URL.Path != "/v2/user" && q.Get("limit") != "100" {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"error":{"code":"bad_request","message":"Invalid limit"}}`)
			return
		}
		switch r.URL.Path {
		case "/v2/user":
			if f.userHits.Add(1) == 1 && f.limitOnce {
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(http.StatusTooManyRequests)
				fmt.Fprint(w, `{"error":{"code":"rate_limited","message":"Rate limit exceeded"}}`)
				return
			}
			fmt.Fprint(w, `{"user":{"id":"AEIIDYVk59zbFF2Sxfyxxmua","email":"ada@example.com","name":"Ada Lovelace","username":"ada","defaultTeamId":null}}`)
		case "/v2/teams":
			if q.Get("until") == "" {
				fmt.Fprint(w, `{"teams":[{"id":"team_acme","slug":"acme","name":"Acme","createdAt":1611796915677,"membership":{"confirmed":true,"role":"OWNER","teamRoles":["OWNER"]}}],"pagination":{"count":1,"next":1611796915676,"prev":1611796915677}}`)
				return
			}
			if q.Get("until") != "1611796915676" {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			fmt.Fprint(w, `{"teams":[{"id":"team_beta","slug":"beta","name":"Beta","createdAt":1600000000000,"membership":{"confirmed":true,"role":"VIEWER","teamRoles":["VIEWER"]}}],"pagination":{"count":1,"next":null,"prev":1600000000000}}`)
		case "/v9/projects":
			switch q.Get("teamId") {
			case "":
				n := f.personalHits.Add(1)
				next := "null"
				if f.endless {
					next = fmt.Sprint(1700000000000 - n)
				}
				fmt.Fprintf(w, `{"projects":[{"id":"prj_%d","name":"site-%d","accountId":"AEIIDYVk59zbFF2Sxfyxxmua","framework":"nextjs"}],"pagination":{"count":1,"next":%s,"prev":null}}`, n, n, next)
			case "team_acme":
				fmt.Fprint(w, `{"projects":[{"id":"prj_api","name":"api","accountId":"team_acme"}],"pagination":{"count":1,"next":null,"prev":null}}`)
			case "team_beta":
				if f.betaStatus != 0 {
					w.WriteHeader(f.betaStatus)
					fmt.Fprint(w, `{"error":{"code":"internal_server_error","message":"An unexpected error occurred"}}`)
					return
				}
				fmt.Fprint(w, `{"projects":[{"id":"prj_docs","name":"docs","accountId":"team_beta"}],"pagination":{"count":1,"next":null,"prev":null}}`)
			}
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	})
}

func run(t *testing.T, f *fake, secret string) (*analyze.Report, error) {
	return Analyzer{}.Analyze(context.Background(), f.server(t).Client("vercel", 5*time.Second), verify.Request{Secret: secret})
}

func TestAnalyzeFull(t *testing.T) {
	f := &fake{limitOnce: true}
	rep, err := run(t, f, token)
	if err != nil {
		t.Fatal(err)
	}
	want := "[{project acme/api [OWNER]} {project ada/site-1 [OWNER]} {project beta/docs [VIEWER]} {team acme [OWNER]} {team beta [VIEWER]}]"
	if got := fmt.Sprint(rep.Resources); got != want {
		t.Errorf("resources %s", got)
	}
	if f.userHits.Load() != 2 || rep.Identity != "ada@example.com" || rep.Severity != analyze.SeverityAdmin || len(rep.Partial) != 0 ||
		rep.Worst != "OWNER of 1 Vercel team as ada@example.com; reaches 3 projects in 2 teams" {
		t.Errorf("%d user hits, %+v", f.userHits.Load(), rep)
	}
}

func TestAnalyzeBoundAndPartial(t *testing.T) {
	f := &fake{endless: true, betaStatus: http.StatusInternalServerError}
	rep, err := run(t, f, token)
	if err != nil {
		t.Fatal(err)
	}
	if f.personalHits.Load() != analyze.MaxPages || rep.Count("project") != analyze.MaxPages+1 {
		t.Errorf("%d personal pages, %d projects", f.personalHits.Load(), rep.Count("project"))
	}
	if fmt.Sprint(rep.Partial) != "[/v9/projects: stopped after 20 pages /v9/projects answered HTTP 500]" {
		t.Errorf("partial %q", rep.Partial)
	}
}

func TestAnalyzeInvalid(t *testing.T) {
	bad := token[:len(token)-1] + "x"
	rep, err := run(t, &fake{}, bad)
	if err == nil || rep != nil || strings.Contains(err.Error(), bad) {
		t.Fatalf("%+v %v", rep, err)
	}
}
