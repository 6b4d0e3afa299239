package azure

import (
	"context"
	"encoding/base64"
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

const (
	account    = "acmeprod"
	accountKey = "TCX97Uh5mkOQHMBCyAijgd2QGXdohJ7EE053yZISrBXvT5wDXU/+a5qqEsILtPz4EuMkibzdPRoT9ujDOkTv17=="
)

// storageFake answers List Containers as Blob storage does, after checking
// the SharedKey signature with the key it knows. page answers page n
// (counted from 1) given the marker.
func storageFake(t *testing.T, page func(n int64, marker string) (int, string)) (*vt.Server, *atomic.Int64) {
	var n atomic.Int64
	key, _ := base64.StdEncoding.DecodeString(accountKey)
	s := vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/xml")
		q := r.URL.Query()
		want := "SharedKey " + account + ":" + signQuery(key, account, r.Header.Get("x-ms-date"), q)
		if r.Method != http.MethodGet || r.URL.Path != "/" || q.Get("comp") != "list" || r.Header.Get("x-ms-version") == "" || r.Header.Get("Authorization") != want {
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthenticationFailed</Code><Message>Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.</Message></Error>`)
			return
		}
		status, body := page(n.Add(1), q.Get("marker"))
		if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
			w.Header().Set("Retry-After", "1")
		}
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	})
	return s, &n
}

func listXML(next string, names ...string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?><EnumerationResults ServiceEndpoint="https://acmeprod.blob.core.windows.net/"><MaxResults>100</MaxResults><Containers>`)
	for _, n := range names {
		access := ""
		if n == "public-assets" {
			access = "<PublicAccess>blob</PublicAccess>"
		}
		fmt.Fprintf(&b, `<Container><Name>%s</Name><Properties><Last-Modified>Wed, 01 May 2024 10:00:00 GMT</Last-Modified><Etag>"0x8D"</Etag><LeaseStatus>unlocked</LeaseStatus>%s</Properties></Container>`, n, access)
	}
	fmt.Fprintf(&b, `</Containers><NextMarker>%s</NextMarker></EnumerationResults>`, next)
	return b.String()
}

func keyRequest() verify.Request {
	return verify.Request{Secret: accountKey, Parts: map[string]string{AccountRule: account}}
}

func TestAnalyzeAccountKeyPages(t *testing.T) {
	s, n := storageFake(t, func(n int64, marker string) (int, string) {
		if marker == "" {
			return 200, listXML("/acmeprod/logs", "backups", "public-assets")
		}
		if marker != "/acmeprod/logs" {
			return 400, `<Error><Code>OutOfRangeInput</Code></Error>`
		}
		return 200, listXML("", "logs")
	})
	rep, err := Analyzer{}.Analyze(context.Background(), s.Client("azure-storage", 5*time.Second), keyRequest())
	if err != nil {
		t.Fatal(err)
	}
	if n.Load() != 2 || rep.Count("container") != 3 || rep.Identity != "storage account acmeprod" {
		t.Fatalf("%d pages, %+v", n.Load(), rep)
	}
	if got := fmt.Sprint(rep.Resources[2]); got != "{container acmeprod/public-assets [delete list public access: blob read write]}" {
		t.Errorf("resource %s", got)
	}
	if rep.Severity != analyze.SeverityAdmin || rep.Worst != "full control of storage account acmeprod: 3 blob containers, and its files, queues and tables; can sign SAS tokens" || len(rep.Partial) != 0 {
		t.Errorf("worst %q severity %s partial %v", rep.Worst, rep.Severity, rep.Partial)
	}
}

func TestAnalyzeAccountKeyBoundAndPartial(t *testing.T) {
	s, n := storageFake(t, func(n int64, marker string) (int, string) {
		return 200, listXML(fmt.Sprintf("m%d", n), fmt.Sprintf("c%d", n))
	})
	rep, err := Analyzer{}.Analyze(context.Background(), s.Client("azure-storage", 5*time.Second), keyRequest())
	if err != nil || n.Load() != analyze.MaxPages || rep.Count("container") != analyze.MaxPages || len(rep.Partial) != 1 || !strings.Contains(rep.Partial[0], "stopped after 20 pages") {
		t.Fatalf("%d pages: %+v %v", n.Load(), rep, err)
	}
	// The second page fails: what the first said is kept.
	s, _ = storageFake(t, func(n int64, marker string) (int, string) {
		if n == 1 {
			return 200, listXML("next", "backups")
		}
		return 500, `<Error><Code>InternalError</Code></Error>`
	})
	rep, err = Analyzer{}.Analyze(context.Background(), s.Client("azure-storage", 5*time.Second), keyRequest())
	if err != nil || rep.Count("container") != 1 || len(rep.Partial) != 1 || rep.Partial[0] != "List Containers: HTTP 500 InternalError" {
		t.Fatalf("%+v %v", rep, err)
	}
}

func TestAnalyzeAccountKeyRateLimitedAndRejected(t *testing.T) {
	s, n := storageFake(t, func(n int64, marker string) (int, string) {
		if n == 1 {
			return 503, `<Error><Code>ServerBusy</Code><Message>The server is busy.</Message></Error>`
		}
		return 200, listXML("", "backups")
	})
	rep, err := Analyzer{}.Analyze(context.Background(), s.Client("azure-storage", 5*time.Second), keyRequest())
	if err != nil || n.Load() != 2 || rep.Count("container") != 1 {
		t.Fatalf("%d calls: %+v %v", n.Load(), rep, err)
	}
	// Another key than the account's: the signature check fails.
	wrong := keyRequest()
	wrong.Secret = base64.StdEncoding.EncodeToString([]byte(strings.Repeat("k", 64)))
	rep, err = Analyzer{}.Analyze(context.Background(), s.Client("azure-storage", 5*time.Second), wrong)
	if err == nil || rep != nil || !strings.Contains(err.Error(), "AuthenticationFailed") || strings.Contains(err.Error(), wrong.Secret) {
		t.Fatalf("%+v %v", rep, err)
	}
}

func TestAnalyzeSASOffline(t *testing.T) {
	s := vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) { t.Errorf("a SAS was sent") })
	sas := "sv=2022-11-02&ss=bfqt&srt=sco&sp=rwdlacupiytfx&se=2030-01-01T00:00:00Z&st=2024-01-01T00:00:00Z&spr=https&sig=Zk5vdGFSZWFsU2lnbmF0dXJlQnV0TG9uZ0Vub3VnaA%3D%3D"
	rep, err := Analyzer{}.Analyze(context.Background(), s.Client("azure-storage", time.Second), verify.Request{Secret: sas})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Kind != "account SAS" || rep.Identity != "SAS token expiring 2030-01-01T00:00:00Z" || rep.Severity != analyze.SeverityWrite {
		t.Errorf("%+v", rep)
	}
	if !strings.HasPrefix(rep.Worst, "account SAS granting read, write, delete, list, add, create") || !strings.HasSuffix(rep.Worst, "on blob, file, queue, table") {
		t.Errorf("worst %q", rep.Worst)
	}
	if rep.Resources[0].Name != "blob, file, queue, table (service, container, object level)" {
		t.Errorf("resources %v", rep.Resources)
	}
	ro, err := Analyzer{}.Analyze(context.Background(), s.Client("azure-storage", time.Second), verify.Request{Secret: "?sv=2022-11-02&sr=c&sp=rl&se=2020-01-01T00:00:00Z&sig=abcdEFGH"})
	if err != nil || ro.Severity != analyze.SeverityRead || ro.Kind != "service SAS (expired)" || ro.Resources[0].Kind != "container" {
		t.Fatalf("%+v %v", ro, err)
	}
}
