package doppler

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/verify"
	vt "github.com/achilles-sec/achilles/detectors/verify/verifytest"
)

const (
	personal = "dp.pt.dmUPY2gFAWnhB1wg07tjmTKbjbiiaZQyM2GI1cSfh9S"
	service  = "dp.st.K8OKqR8wVSseHSx64UMWAZnxRPdpCw3J8GNZY5mT9tr"
)

// fake answers as Doppler's API for the personal and the service token:
// projects in full pages of 100 while endless, else one full page and one
// of 2; namesStatus answers the secret names (0: ok); the first /v3/me is
// a 429 when limitOnce.
type fake struct {
	endless     bool
	namesStatus int
	limitOnce   bool
	meHits      atomic.Int64
	pageHits    atomic.Int64
}

func (f *fake) server(t *testing.T) *vt.Server {
	return vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		auth := r.Header.Get("Authorization")
		if auth != "Bearer "+personal && auth != "Bearer "+service {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"messages":["Invalid Auth token"],"success":false}`)
			return
		}
		switch r.URL.Path {
		case "/v3/me":
			if f.meHits.Add(1) == 1 && f.limitOnce {
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(http.StatusTooManyRequests)
				fmt.Fprint(w, `{"messages":["Rate limit exceeded"],"success":false}`)
				return
			}
			if auth == "Bearer "+service {
				fmt.Fprint(w, `{"slug":"5f9a3b1c","name":"ci-prd","created_at":"2024-01-01T00:00:00.000Z","last_seen_at":"2024-06-01T00:00:00.000Z","type":"service_token","token_preview":"dp.st.K8O...","workplace":{"slug":"acme","name":"Acme"}}`)
				return
			}
			fmt.Fprint(w, `{"slug":"7c1d2e3f","name":"laptop","created_at":"2024-01-01T00:00:00.000Z","last_seen_at":"2024-06-01T00:00:00.000Z","type":"personal","token_preview":"dp.pt.dmU...","workplace":{"slug":"acme","name":"Acme"}}`)
		case "/v3/configs/config/secrets/names":
			if auth != "Bearer "+service || r.URL.RawQuery != "" {
				w.WriteHeader(http.StatusBadRequest)
				fmt.Fprint(w, `{"messages":["Missing project"],"success":false}`)
				return
			}
			if f.namesStatus != 0 {
				w.WriteHeader(f.namesStatus)
				fmt.Fprint(w, `{"messages":["Internal error"],"success":false}`)
				return
			}
			fmt.Fprint(w, `{"names":["DATABASE_URL","STRIPE_KEY","DOPPLER_CONFIG"],"success":true}`)
		case "/v3/projects":
			q := r.URL.Query()
			page, _ := strconv.Atoi(q.Get("page"))
			if q.Get("per_page") != "100" || page < 1 {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			f.pageHits.Add(1)
			n := 100
			if page == 2 && !f.endless {
				n = 2
			}
			items := make([]string, n)
			for i := range items {
				items[i] = fmt.Sprintf(`{"id":"p%d-%d","slug":"proj-%d-%03d","name":"Project %d %d","description":"","created_at":"2024-01-01T00:00:00.000Z"}`, page, i, page, i, page, i)
			}
			fmt.Fprintf(w, `{"page":%d,"projects":[%s],"success":true}`, page, strings.Join(items, ","))
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	})
}

func run(t *testing.T, f *fake, secret string) (*analyze.Report, error) {
	return Analyzer{}.Analyze(context.Background(), f.server(t).Client("doppler", 5*time.Second), verify.Request{Secret: secret})
}

func TestAnalyzePersonal(t *testing.T) {
	f := &fake{limitOnce: true}
	rep, err := run(t, f, personal)
	if err != nil {
		t.Fatal(err)
	}
	if f.meHits.Load() != 2 || f.pageHits.Load() != 2 || rep.Count("project") != 102 || rep.Resources[0].Name != "proj-1-000" || fmt.Sprint(rep.Resources[0].Permissions) != "[secrets]" {
		t.Fatalf("%d me hits, %d pages, %d projects", f.meHits.Load(), f.pageHits.Load(), rep.Count("project"))
	}
	if rep.Identity != "Acme (laptop)" || rep.Kind != "personal" || rep.Severity != analyze.SeverityWrite || len(rep.Partial) != 0 ||
		rep.Worst != "can read and change the secrets of 102 Doppler projects in Acme" {
		t.Errorf("%+v", rep.Worst)
	}
}

func TestAnalyzeServiceToken(t *testing.T) {
	rep, err := run(t, &fake{}, service)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(rep.Resources) != "[{secret DATABASE_URL [read]} {secret DOPPLER_CONFIG [read]} {secret STRIPE_KEY [read]}]" ||
		rep.Kind != "service_token" || rep.Severity != analyze.SeverityRead || rep.Worst != "reads the values of 3 secrets in one Doppler config of Acme" {
		t.Errorf("%+v", rep)
	}
	rep, err = run(t, &fake{namesStatus: http.StatusInternalServerError}, service)
	if err != nil || fmt.Sprint(rep.Partial) != "[/v3/configs/config/secrets/names answered HTTP 500]" || rep.Severity != analyze.SeverityInfo {
		t.Fatalf("%+v %v", rep, err)
	}
}

func TestAnalyzeBound(t *testing.T) {
	f := &fake{endless: true}
	rep, err := run(t, f, personal)
	if err != nil || f.pageHits.Load() != analyze.MaxPages || fmt.Sprint(rep.Partial) != "[/v3/projects: stopped after 20 pages]" {
		t.Fatalf("%d pages %v %v", f.pageHits.Load(), rep.Partial, err)
	}
}

func TestAnalyzeInvalid(t *testing.T) {
	bad := personal[:len(personal)-1] + "Q"
	rep, err := run(t, &fake{}, bad)
	if err == nil || rep != nil || strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "401") {
		t.Fatalf("%+v %v", rep, err)
	}
}
