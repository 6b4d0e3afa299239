package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestSweepCommandEndToEnd lists an org from a fake GitHub API, clones its
// repositories from git http-backend on loopback, and writes every report
// format from the database; then merges it.
func TestSweepCommandEndToEnd(t *testing.T) {
	execPath, err := exec.Command("git", "--exec-path").Output()
	if err != nil {
		t.Skip("git not installed")
	}
	root, work := t.TempDir(), t.TempDir()
	for i, key := range []string{"AKIAZ3MSJV4WQPTHKR7N", ""} {
		w := filepath.Join(work, fmt.Sprint(i))
		os.MkdirAll(w, 0o755)
		content := "nothing here\n"
		if key != "" {
			content = "aws_access_key_id = " + key + "\n"
		}
		os.WriteFile(filepath.Join(w, "app.env"), []byte(content), 0o644)
		for _, args := range [][]string{{"init", "-q", "-b", "main"}, {"add", "."}, {"-c", "user.name=Dev", "-c", "user.email=dev@example.com", "commit", "-q", "-m", "c"}} {
			if out, err := exec.Command("git", append([]string{"-C", w}, args...)...).CombinedOutput(); err != nil {
				t.Fatalf("git %v: %v %s", args, err, out)
			}
		}
		if out, err := exec.Command("git", "clone", "-q", "--bare", w, filepath.Join(root, fmt.Sprintf("r%d.git", i))).CombinedOutput(); err != nil {
			t.Fatalf("%v %s", err, out)
		}
	}
	// One host serves the API under /api/v3 and the repositories, as
	// GitHub Enterprise does: clone URLs are on the API's host.
	gitBackend := &cgi.Handler{Path: filepath.Join(strings.TrimSpace(string(execPath)), "git-http-backend"),
		Env: []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1"}}
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/api/v3/") {
			gitBackend.ServeHTTP(w, r)
			return
		}
		if r.URL.Path != "/api/v3/orgs/acme/repos" {
			http.NotFound(w, r)
			return
		}
		json.NewEncoder(w).Encode([]map[string]any{
			{"full_name": "acme/r0", "clone_url": srv.URL + "/r0.git"},
			{"full_name": "acme/r1", "clone_url": srv.URL + "/r1.git"},
			{"full_name": "acme/fork", "clone_url": srv.URL + "/fork.git", "fork": true},
		})
	}))
	defer srv.Close()
	dir := t.TempDir()
	db := filepath.Join(dir, "sweep.db")
	sweepArgs := []string{"sweep", "--exit-code", "0", "--github-org", "acme", "--github-api-url", srv.URL + "/api/v3", "--db", db, "--cache", filepath.Join(dir, "cache"), "--no-progress"}
	runOK := func(args ...string) (string, string) {
		var out, errOut bytes.Buffer
		if code := run(context.Background(), args, &IO{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}); code != 0 {
			t.Fatalf("achilles %v: exit %d\n%s", args, code, errOut.String())
		}
		return out.String(), errOut.String()
	}
	_, msg := runOK(sweepArgs...)
	if !strings.Contains(msg, "swept 2 repositories") || !strings.Contains(msg, "2 scanned") {
		t.Fatalf("first sweep: %s", msg)
	}
	if _, msg = runOK(sweepArgs...); !strings.Contains(msg, "2 unchanged") {
		t.Fatalf("second sweep: %s", msg)
	}
	if st, err := os.Stat(db); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("database mode: %v %v", st.Mode(), err)
	}
	for _, format := range []string{"html", "json", "csv", "sarif"} {
		out := filepath.Join(dir, "report."+format)
		runOK("report", "--db", db, "--format", format, "-o", out)
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if st, _ := os.Stat(out); st.Mode().Perm() != 0o600 {
			t.Errorf("%s report mode %v", format, st.Mode())
		}
		if strings.Contains(string(b), "AKIAZ3MSJV4WQPTHKR7N") {
			t.Errorf("%s report shows the secret", format)
		}
		if !strings.Contains(string(b), "/r0") || !strings.Contains(string(b), "app.env") {
			t.Errorf("%s report lacks the finding:\n%s", format, b)
		}
	}
	if out, _ := runOK("report", "--db", db, "--format", "json", "--no-redact"); !strings.Contains(out, "AKIAZ3MSJV4WQPTHKR7N") {
		t.Error("--no-redact hides the secret")
	}
	all := filepath.Join(dir, "all.db")
	runOK("merge", db, "-o", all)
	if out, _ := runOK("report", "--db", all, "--format", "csv"); strings.Count(out, "/r0/app.env,") != 1 {
		t.Errorf("merged report:\n%s", out)
	}
}
