package pypi

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/verify"
	vt "github.com/achilles-sec/achilles/detectors/verify/verifytest"
)

// v2Token mints a token the way Warehouse serialises one (libmacaroons
// binary format 2, base64url without padding). The signature is random
// bytes: the analyzer reads caveats, it cannot and does not check it.
func v2Token(location, id string, caveats ...string) string {
	var b bytes.Buffer
	field := func(typ int, data string) {
		b.Write(binary.AppendUvarint(nil, uint64(typ)))
		b.Write(binary.AppendUvarint(nil, uint64(len(data))))
		b.WriteString(data)
	}
	b.WriteByte(2)
	field(fieldLocation, location)
	field(fieldIdentifier, id)
	b.WriteByte(fieldEOS)
	for _, c := range caveats {
		field(fieldIdentifier, c)
		b.WriteByte(fieldEOS)
	}
	b.WriteByte(fieldEOS)
	field(fieldSignature, strings.Repeat("\x5a", 32))
	return "pypi-" + base64.RawURLEncoding.EncodeToString(b.Bytes())
}

// v1Token mints the older version 1 format (packets with hex lengths).
func v1Token(location, id string, caveats ...string) string {
	var b bytes.Buffer
	packet := func(k, v string) {
		body := k + " " + v + "\n"
		fmt.Fprintf(&b, "%04x%s", len(body)+4, body)
	}
	packet("location", location)
	packet("identifier", id)
	for _, c := range caveats {
		packet("cid", c)
	}
	packet("signature", strings.Repeat("\x5a", 32))
	return "pypi-" + base64.URLEncoding.EncodeToString(b.Bytes())
}

func analyzeOffline(t *testing.T, tok string) (*analyze.Report, int64, error) {
	t.Helper()
	s := vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
	})
	rep, err := Analyzer{}.Analyze(context.Background(), s.Client("pypi", time.Second), verify.Request{RuleID: "pypi-upload-token", Secret: tok})
	return rep, s.Hits.Load(), err
}

func TestAnalyzeProjectScoped(t *testing.T) {
	future := time.Now().Add(24 * time.Hour).Unix()
	tok := v2Token("pypi.org", "5a0c1e8e-1b7e-4d2c-9d1e-0a4c0f6b7e21",
		`[3,"8c5b5d8a-2f3e-4a8e-a0f0-3d4a5c6b7d8e"]`,
		`[1,["requests-ng","sampleproject"]]`,
		fmt.Sprintf(`[0,%d,%d]`, future, future-3600),
	)
	rep, hits, err := analyzeOffline(t, tok)
	if err != nil {
		t.Fatal(err)
	}
	if hits != 0 {
		t.Errorf("%d requests: a PyPI token is analyzed offline", hits)
	}
	if rep.Identity != "token 5a0c1e8e-1b7e-4d2c-9d1e-0a4c0f6b7e21 of user 8c5b5d8a-2f3e-4a8e-a0f0-3d4a5c6b7d8e" {
		t.Errorf("identity %q", rep.Identity)
	}
	if rep.Kind != "API token (project-scoped)" || rep.Count("project") != 2 || rep.Count("restriction") != 1 {
		t.Errorf("kind %q resources %+v", rep.Kind, rep.Resources)
	}
	if rep.Worst != "can upload releases to 2 PyPI projects: requests-ng, sampleproject" || rep.Severity != analyze.SeverityWrite {
		t.Errorf("worst %q severity %v", rep.Worst, rep.Severity)
	}
	if strings.Contains(fmt.Sprint(rep), tok) {
		t.Error("the report holds the token")
	}
}

func TestAnalyzeUserWide(t *testing.T) {
	for name, tok := range map[string]string{
		"v2 legacy caveat": v2Token("pypi.org", `{"version":1,"uid":"1"}`, `{"version":1,"permissions":"user"}`),
		"v1 legacy caveat": v1Token("pypi.org", "1f2e3d4c", `{"version":1,"permissions":"user"}`),
		"v2 user caveat":   v2Token("pypi.org", "1f2e3d4c", `[3,"8c5b5d8a"]`),
	} {
		rep, _, err := analyzeOffline(t, tok)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if rep.Kind != "API token (user-wide)" || rep.Count("project") != 0 || !strings.HasPrefix(rep.Worst, "can upload releases to every PyPI project") || rep.Severity != analyze.SeverityWrite {
			t.Errorf("%s: %+v", name, rep)
		}
	}
}

func TestAnalyzeLegacyProjects(t *testing.T) {
	rep, _, err := analyzeOffline(t, v1Token("pypi.org", "abc123", `{"version":1,"permissions":{"projects":["flask-x"]}}`, `{"project_ids":["0d3f"]}`))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Count("project") != 2 || rep.Worst != "can upload releases to 2 PyPI projects: flask-x, id 0d3f" {
		t.Errorf("%+v", rep)
	}
}

func TestAnalyzeIntersectingProjects(t *testing.T) {
	rep, _, err := analyzeOffline(t, v2Token("pypi.org", "x1", `[1,["a","b"]]`, `[1,["b","c"]]`))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Worst != "can upload releases to 1 PyPI project: b" {
		t.Errorf("worst %q", rep.Worst)
	}
}

func TestAnalyzeUnknownCaveatIsPartial(t *testing.T) {
	rep, _, err := analyzeOffline(t, v2Token("pypi.org", "x1", `[99,"future"]`, `[1,["a"]]`))
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Partial) != 1 || !strings.Contains(rep.Partial[0], "1 caveats of a form not known") {
		t.Errorf("partial %q", rep.Partial)
	}
}

func TestAnalyzeExpiredAndMalformed(t *testing.T) {
	past := time.Now().Add(-time.Hour).Unix()
	if _, _, err := analyzeOffline(t, v2Token("pypi.org", "x1", fmt.Sprintf(`[0,%d,%d]`, past, past-60))); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Errorf("expired token: %v", err)
	}
	for _, bad := range []string{"pypi-AgEIcHlwaS5vcmc", "pypi-!!!!", "pypi-", "ghp_notpypi"} {
		rep, _, err := analyzeOffline(t, bad)
		if err == nil || rep != nil {
			t.Errorf("%q: report %+v", bad, rep)
			continue
		}
		if len(bad) > 8 && strings.Contains(err.Error(), bad) {
			t.Errorf("error shows the token: %v", err)
		}
	}
}

func FuzzDecodeToken(f *testing.F) {
	f.Add(v2Token("pypi.org", "id", `[1,["a"]]`))
	f.Add(v1Token("pypi.org", "id", `{"version":1,"permissions":"user"}`))
	f.Fuzz(func(t *testing.T, tok string) {
		m, err := decodeToken(tok)
		if err == nil {
			for _, c := range m.caveats {
				_, _ = parseCaveat(c.id)
			}
		}
	})
}
