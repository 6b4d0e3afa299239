package cli

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/achilles-sec/achilles/scanner/sweep/store"
)

// Sweep trust boundary (vectors 6 and 11), through the built binary against
// loopback servers: a fake GitHub/GitLab API and git's own http-backend.

// AWS key ids of the default rule's shape, one per repository.
const (
	sweepKeyHome    = "AKIAZ3MSJV4WQPTHKR7N" // on the API's own host
	sweepKeyOther   = "AKIAQ7XK2M5N4RTWV6YB" // on another host
	sweepKeyFileURL = "AKIAT4HJ6K2L7MPQ3RSX" // a file:// URL of this machine
	sweepKeyPath    = "AKIAW5NB3C6D2FGH7JKL" // a local path of this machine
	sweepKeyPlain   = "AKIAR2ST7UV3WX4YZ5AB" // behind credentials / an empty pack
)

// sweepBackend is git http-backend serving the bare repositories under
// root; the test is skipped without git.
func sweepBackend(t *testing.T, root string) http.Handler {
	t.Helper()
	out, err := exec.Command("git", "--exec-path").Output()
	if err != nil {
		t.Skip("git not installed: the sweep trust tests need git http-backend")
	}
	backend := filepath.Join(strings.TrimSpace(string(out)), "git-http-backend")
	if _, err := os.Stat(backend); err != nil {
		t.Skipf("no git-http-backend at %s", backend)
	}
	return &cgi.Handler{Path: backend, Env: []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1"}}
}

// sweepBareRepo makes root/name.git: one commit with app.env holding an
// AWS key id line for key. It returns the bare repository's path.
func sweepBareRepo(t *testing.T, root, name, key string) string {
	t.Helper()
	work := t.TempDir()
	env := append(os.Environ(), "GIT_AUTHOR_NAME=Dev", "GIT_AUTHOR_EMAIL=dev@example.com", "GIT_COMMITTER_NAME=Dev",
		"GIT_COMMITTER_EMAIL=dev@example.com", "GIT_CONFIG_NOSYSTEM=1", "HOME="+work)
	git := func(dir string, args ...string) {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir, cmd.Env = dir, env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git(work, "init", "-q", "-b", "main")
	if err := os.WriteFile(filepath.Join(work, "app.env"), []byte("aws_access_key_id = "+key+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	git(work, "add", ".")
	git(work, "commit", "-q", "-m", "config")
	bare := filepath.Join(root, name+".git")
	if err := os.MkdirAll(filepath.Dir(bare), 0o755); err != nil {
		t.Fatal(err)
	}
	git(work, "clone", "-q", "--bare", work, bare)
	return bare
}

// sweepRun runs the built binary in dir with the sweep tokens of env only
// (none inherited) and returns its exit status and output.
func sweepRun(t *testing.T, dir string, env []string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(achillesBinary(t), args...)
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		switch strings.SplitN(kv, "=", 2)[0] {
		case "GITHUB_TOKEN", "GH_TOKEN", "GITLAB_TOKEN", "ACHILLES_CONFIG", "HOME", "SSL_CERT_FILE", "SSL_CERT_DIR":
			continue
		}
		cmd.Env = append(cmd.Env, kv)
	}
	cmd.Env = append(cmd.Env, "HOME="+dir, "GIT_CONFIG_NOSYSTEM=1")
	cmd.Env = append(cmd.Env, env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatalf("running achilles %v: %v", args, err)
		}
		code = ee.ExitCode()
	}
	return code, out.String(), errOut.String()
}

// sweepTrustCA writes the certificate of httptest's TLS servers (all of
// them share it) to a file for SSL_CERT_FILE.
func sweepTrustCA(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(path, pemBytes, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// sweepReport is the database's JSON report with secrets in clear.
func sweepReport(t *testing.T, dir, db string) string {
	t.Helper()
	code, out, errOut := sweepRun(t, dir, nil, "report", "--db", db, "--format", "json", "--no-redact")
	if code != 0 {
		t.Fatalf("report: exit %d: %s", code, errOut)
	}
	return out
}

// sweepRepoState reads one repository's row from the database.
func sweepRepoState(t *testing.T, db, key string) store.Repo {
	t.Helper()
	st, err := store.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	r, ok, err := st.Repo(context.Background(), key)
	if err != nil || !ok {
		t.Fatalf("repository %s not in the database (%v)", key, err)
	}
	return r
}

// hostRecorder counts the requests a server got and the credentials they
// carried.
type hostRecorder struct {
	requests atomic.Int64
	mu       sync.Mutex
	auth     []string
}

func (h *hostRecorder) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.requests.Add(1)
		for _, name := range []string{"Authorization", "Private-Token"} {
			if v := r.Header.Get(name); v != "" {
				h.mu.Lock()
				h.auth = append(h.auth, name+": "+v)
				h.mu.Unlock()
			}
		}
		next.ServeHTTP(w, r)
	})
}

func (h *hostRecorder) credentials() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.auth...)
}

// TestTrustSweepCloneURLsFromTheAPI: an org listing (TLS, GitHub
// Enterprise layout: API under /api/v3 and the repositories on one host)
// names a repository on its own host, one on another host, a file:// URL
// and a local path of the sweeping machine, and an http URL. Only the first
// is fetched, with the token; the others are failed repositories with the
// reason, the other host gets no request, and the local repositories' keys
// are not in the results.
func TestTrustSweepCloneURLsFromTheAPI(t *testing.T) {
	const token = "ghp_sweepTrustTokenXXXXXXXXXXXXXXXXXXXX"
	homeRoot, otherRoot, local := t.TempDir(), t.TempDir(), t.TempDir()
	sweepBareRepo(t, homeRoot, "acme/r0", sweepKeyHome)
	sweepBareRepo(t, otherRoot, "acme/evil", sweepKeyOther)
	fileRepo := sweepBareRepo(t, local, "viafile", sweepKeyFileURL)
	pathRepo := sweepBareRepo(t, local, "viapath", sweepKeyPath)

	var other hostRecorder
	otherSrv := httptest.NewTLSServer(other.wrap(sweepBackend(t, otherRoot)))
	defer otherSrv.Close()
	var home hostRecorder
	homeGit := sweepBackend(t, homeRoot)
	var srv *httptest.Server
	srv = httptest.NewTLSServer(home.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/api/v3/") {
			homeGit.ServeHTTP(w, r)
			return
		}
		if r.URL.Path != "/api/v3/orgs/acme/repos" || r.Header.Get("Authorization") != "Bearer "+token {
			http.Error(w, `{"message":"Not Found"}`, http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		json.NewEncoder(w).Encode([]map[string]any{
			{"full_name": "acme/r0", "clone_url": srv.URL + "/acme/r0.git"},
			{"full_name": "acme/evil", "clone_url": otherSrv.URL + "/acme/evil.git"},
			{"full_name": "acme/viafile", "clone_url": "file://" + fileRepo},
			{"full_name": "acme/viapath", "clone_url": pathRepo},
			{"full_name": "acme/plain", "clone_url": "http://" + srv.Listener.Addr().String() + "/acme/r0.git"},
		})
	})))
	defer srv.Close()

	dir := t.TempDir()
	db := filepath.Join(dir, "sweep.db")
	env := []string{"GITHUB_TOKEN=" + token, "SSL_CERT_FILE=" + sweepTrustCA(t, srv)}
	code, out, errOut := sweepRun(t, dir, env, "sweep", "--exit-code", "0", "--github-org", "acme", "--github-api-url", srv.URL+"/api/v3",
		"--db", db, "--cache", filepath.Join(dir, "cache"), "--no-progress", "--parallel", "2")
	if code != 0 {
		t.Fatalf("sweep: exit %d, want 0 (refused repositories are failures, not a failed sweep)\n%s", code, errOut)
	}
	if !strings.Contains(errOut, "swept 5 repositories") || !strings.Contains(errOut, "1 scanned") || !strings.Contains(errOut, "4 failed") {
		t.Fatalf("summary: %s", errOut)
	}
	if strings.Contains(out+errOut, token) {
		t.Fatal("the token is in the output")
	}
	if n := other.requests.Load(); n != 0 {
		t.Fatalf("the other host got %d requests (credentials %q)", n, other.credentials())
	}
	// The home host got the token: as Bearer on the API, as basic auth on git.
	wantBasic := "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte("x-access-token:"+token))
	sawBasic := false
	for _, a := range home.credentials() {
		sawBasic = sawBasic || a == wantBasic
	}
	if !sawBasic {
		t.Fatalf("the clone on the API's host did not get the token: %q", home.credentials())
	}
	host := srv.Listener.Addr().String()
	for name, want := range map[string]string{"evil": "not on " + host, "viafile": "file clone URL", "viapath": "not an https URL", "plain": "http clone URL"} {
		r := sweepRepoState(t, db, host+"/acme/"+name)
		if r.Status != store.StatusFailed || !strings.Contains(r.Error, want) {
			t.Errorf("acme/%s: status %q error %q, want failed with %q", name, r.Status, r.Error, want)
		}
		if !strings.Contains(errOut, host+"/acme/"+name+" failed") {
			t.Errorf("acme/%s: no failure message in\n%s", name, errOut)
		}
	}
	rep := sweepReport(t, dir, db)
	if !strings.Contains(rep, sweepKeyHome) {
		t.Fatalf("the repository on the API's host was not scanned:\n%s", rep)
	}
	for name, key := range map[string]string{"other host": sweepKeyOther, "file://": sweepKeyFileURL, "local path": sweepKeyPath} {
		if strings.Contains(rep, key) {
			t.Errorf("the %s repository was scanned", name)
		}
	}
}

// TestTrustSweepPaginationStaysOnTheAPIHost: a next page (Link rel="next")
// on another host, a next page downgraded from https to http, a redirect
// to another host, and GitLab's Link to another host each stop the listing
// with exit 2 and a message naming the listing; the other host gets no
// request and the token is not printed.
func TestTrustSweepPaginationStaysOnTheAPIHost(t *testing.T) {
	const ghToken = "ghp_sweepPagingTokenYYYYYYYYYYYYYYYYYYY"
	const glToken = "glpat-sweepPagingTokenZZZZ"
	var other hostRecorder
	otherSrv := httptest.NewTLSServer(other.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `[]`)
	})))
	defer otherSrv.Close()
	cases := []struct {
		name, listing string
		args          []string
		answer        func(w http.ResponseWriter, r *http.Request, self string)
	}{
		{"github next on another host", "listing GitHub repositories of acme", []string{"--github-org", "acme"},
			func(w http.ResponseWriter, r *http.Request, self string) {
				w.Header().Set("Link", fmt.Sprintf(`<%s/api/v3/orgs/acme/repos?page=2>; rel="next"`, otherSrv.URL))
				fmt.Fprint(w, `[]`)
			}},
		{"github next downgraded to http", "listing GitHub repositories of acme", []string{"--github-org", "acme"},
			func(w http.ResponseWriter, r *http.Request, self string) {
				w.Header().Set("Link", fmt.Sprintf(`<http://%s/api/v3/orgs/acme/repos?page=2>; rel="next"`, r.Host))
				fmt.Fprint(w, `[]`)
			}},
		{"github redirect to another host", "listing GitHub repositories of acme", []string{"--github-org", "acme"},
			func(w http.ResponseWriter, r *http.Request, self string) {
				http.Redirect(w, r, otherSrv.URL+"/api/v3/orgs/acme/repos", http.StatusFound)
			}},
		{"gitlab next on another host", "listing GitLab projects of platform", []string{"--gitlab-group", "platform"},
			func(w http.ResponseWriter, r *http.Request, self string) {
				w.Header().Set("Link", fmt.Sprintf(`<%s/api/v4/groups/platform/projects?page=2>; rel="next"`, otherSrv.URL))
				fmt.Fprint(w, `[]`)
			}},
		{"gitlab redirect to another host", "listing GitLab projects of platform", []string{"--gitlab-group", "platform"},
			func(w http.ResponseWriter, r *http.Request, self string) {
				http.Redirect(w, r, otherSrv.URL+"/api/v4/groups/platform/projects", http.StatusTemporaryRedirect)
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var apiHits atomic.Int64
			var srv *httptest.Server
			srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				apiHits.Add(1)
				tc.answer(w, r, srv.URL)
			}))
			defer srv.Close()
			before := other.requests.Load()
			dir := t.TempDir()
			args := append([]string{"sweep", "--github-api-url", srv.URL + "/api/v3", "--gitlab-url", srv.URL,
				"--db", filepath.Join(dir, "sweep.db"), "--cache", filepath.Join(dir, "cache"), "--no-progress"}, tc.args...)
			env := []string{"GITHUB_TOKEN=" + ghToken, "GITLAB_TOKEN=" + glToken, "SSL_CERT_FILE=" + sweepTrustCA(t, srv)}
			code, out, errOut := sweepRun(t, dir, env, args...)
			if code != 2 {
				t.Fatalf("exit %d, want 2\n%s", code, errOut)
			}
			if !strings.Contains(errOut, tc.listing) || !strings.Contains(errOut, "refusing") {
				t.Fatalf("message does not name the listing and the refusal: %s", errOut)
			}
			if strings.Contains(out+errOut, ghToken) || strings.Contains(out+errOut, glToken) {
				t.Fatal("a token is in the output")
			}
			if n := other.requests.Load() - before; n != 0 {
				t.Fatalf("the other host got %d requests (credentials %q)", n, other.credentials())
			}
			if n := apiHits.Load(); n != 1 {
				t.Fatalf("the API got %d requests, want 1 (no request to the downgraded link)", n)
			}
		})
	}
}

// emptyPackHandler serves git http-backend, except that while broken is set
// it answers every fetch with a NAK and a valid pack of no objects: the
// refs are advertised, their objects never sent.
func emptyPackHandler(backend http.Handler, broken *atomic.Bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !broken.Load() || r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/git-upload-pack") {
			backend.ServeHTTP(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		pack := []byte("PACK")
		pack = binary.BigEndian.AppendUint32(pack, 2)
		pack = binary.BigEndian.AppendUint32(pack, 0)
		sum := sha1.Sum(pack)
		pack = append(pack, sum[:]...)
		pkt := func(b []byte) []byte { return append([]byte(fmt.Sprintf("%04x", len(b)+4)), b...) }
		var resp []byte
		resp = append(resp, pkt([]byte("NAK\n"))...)
		if bytes.Contains(body, []byte("side-band")) {
			resp = append(resp, pkt(append([]byte{1}, pack...))...)
			resp = append(resp, "0000"...)
		} else {
			resp = append(resp, pack...)
		}
		w.Header().Set("Content-Type", "application/x-git-upload-pack-result")
		w.Write(resp)
	})
}

// TestTrustSweepEmptyPackIsFailedAndRetried: a server that advertises a
// branch and sends an empty pack leaves the repository failed (not done
// with no findings), the next run tries it again, and once the server
// sends the objects the repository is scanned and its key found.
func TestTrustSweepEmptyPackIsFailedAndRetried(t *testing.T) {
	root := t.TempDir()
	sweepBareRepo(t, root, "hollow", sweepKeyPlain)
	var broken atomic.Bool
	broken.Store(true)
	srv := httptest.NewServer(emptyPackHandler(sweepBackend(t, root), &broken))
	defer srv.Close()
	dir := t.TempDir()
	list := filepath.Join(dir, "repos.txt")
	os.WriteFile(list, []byte(srv.URL+"/hollow.git\n"), 0o600)
	db := filepath.Join(dir, "sweep.db")
	key := srv.Listener.Addr().String() + "/hollow"
	args := []string{"sweep", "--exit-code", "0", "--repos", list, "--db", db, "--cache", filepath.Join(dir, "cache"), "--no-progress"}
	for run := 1; run <= 2; run++ {
		code, _, errOut := sweepRun(t, dir, nil, args...)
		if code != 0 || !strings.Contains(errOut, "1 failed") || !strings.Contains(errOut, "did not send") {
			t.Fatalf("run %d with an empty pack: exit %d\n%s", run, code, errOut)
		}
		r := sweepRepoState(t, db, key)
		if r.Status != store.StatusFailed || r.Attempts != run || !strings.Contains(r.Error, "refs/heads/main") {
			t.Fatalf("run %d: recorded %+v, want failed (attempt %d) naming refs/heads/main", run, r, run)
		}
	}
	if rep := sweepReport(t, dir, db); strings.Contains(rep, sweepKeyPlain) {
		t.Fatal("a finding from a repository never received")
	}
	broken.Store(false)
	code, _, errOut := sweepRun(t, dir, nil, args...)
	if code != 0 || !strings.Contains(errOut, "1 scanned") {
		t.Fatalf("run with the objects sent: exit %d\n%s", code, errOut)
	}
	if r := sweepRepoState(t, db, key); r.Status != store.StatusDone {
		t.Fatalf("after a good fetch: %+v", r)
	}
	if rep := sweepReport(t, dir, db); !strings.Contains(rep, sweepKeyPlain) {
		t.Fatalf("the retried repository's key is not in the results:\n%s", rep)
	}
}

// TestTrustSweepListCredentialsAreNotStored: a --repos line
// http://user:pass@host/... is fetched with that credential (the server
// demands it), yet neither password nor userinfo is in the database, the
// cache (clone config included), the reports or the output, also for a
// line whose credential the server refuses. The cache folder, which existed
// with mode 0755, and everything in it end 0700/0600; the database 0600.
func TestTrustSweepListCredentialsAreNotStored(t *testing.T) {
	const user, pass, wrong = "sweeper", "Pw-sweepTrust-9f3c1d", "Wrong-sweepTrust-77aa02"
	root := t.TempDir()
	sweepBareRepo(t, root, "private", sweepKeyPlain)
	backend := sweepBackend(t, root)
	var authed atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		if !ok || u != user || p != pass {
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
			return
		}
		authed.Add(1)
		backend.ServeHTTP(w, r)
	}))
	defer srv.Close()
	dir := t.TempDir()
	host := srv.Listener.Addr().String()
	list := filepath.Join(dir, "repos.txt")
	// The second line's password is refused by the server.
	os.WriteFile(list, []byte(fmt.Sprintf("http://%s:%s@%s/private.git\nhttp://%s:%s@%s/other/private.git\n", user, pass, host, user, wrong, host)), 0o600)
	cache := filepath.Join(dir, "cache")
	if err := os.Mkdir(cache, 0o755); err != nil {
		t.Fatal(err)
	}
	os.Chmod(cache, 0o755) // whatever the umask
	db := filepath.Join(dir, "sweep.db")
	args := []string{"sweep", "--exit-code", "0", "--repos", list, "--db", db, "--cache", cache, "--no-progress"}
	var output strings.Builder
	for run, want := range []string{"1 scanned", "1 unchanged"} {
		code, out, errOut := sweepRun(t, dir, nil, args...)
		output.WriteString(out + errOut)
		if code != 0 || !strings.Contains(errOut, want) || !strings.Contains(errOut, "1 failed") {
			t.Fatalf("run %d: exit %d, want 0 with %q and 1 failed\n%s", run+1, code, want, errOut)
		}
	}
	if authed.Load() == 0 {
		t.Fatal("the server never got the credential")
	}
	if r := sweepRepoState(t, db, host+"/private"); r.Status != store.StatusDone || r.URL != "http://"+host+"/private.git" {
		t.Fatalf("stored %+v, want done with the URL without userinfo", r)
	}
	reports := map[string]string{}
	for _, format := range []string{"html", "json", "sarif", "csv"} {
		path := filepath.Join(dir, "report."+format)
		if code, _, errOut := sweepRun(t, dir, nil, "report", "--db", db, "--format", format, "--no-redact", "-o", path); code != 0 {
			t.Fatalf("report %s: exit %d %s", format, code, errOut)
		}
		b, _ := os.ReadFile(path)
		reports[path] = string(b)
	}
	if !strings.Contains(reports[filepath.Join(dir, "report.json")], sweepKeyPlain) {
		t.Fatal("the repository behind the credential was not scanned")
	}
	leaks := func(label string, b []byte) {
		t.Helper()
		for _, s := range []string{pass, wrong, user + ":", url64(user + ":" + pass)} {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("%s holds %q", label, s)
			}
		}
	}
	leaks("the output", []byte(output.String()))
	for path, b := range reports {
		leaks(path, []byte(b))
	}
	for _, side := range []string{"", "-wal", "-shm"} {
		if b, err := os.ReadFile(db + side); err == nil {
			leaks("the database"+side, b)
		}
	}
	if st, err := os.Stat(db); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("database mode %v (%v), want 0600", st.Mode().Perm(), err)
	}
	configs := 0
	err := filepath.WalkDir(cache, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir() && info.Mode().Perm() != 0o700:
			t.Errorf("folder %s is %v, want 0700", path, info.Mode().Perm())
		case d.Type().IsRegular():
			if info.Mode().Perm() != 0o600 {
				t.Errorf("file %s is %v, want 0600", path, info.Mode().Perm())
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			leaks(path, b)
			if d.Name() == "config" && bytes.Contains(b, []byte("url = http://"+host+"/private.git")) {
				configs++
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if configs != 1 {
		t.Fatalf("%d clone configs name the URL without credentials, want 1", configs)
	}
}

func url64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// TestTrustSweepDBIsAFilePath: --db "results?v2.db" creates exactly that
// file, mode 0600, and no "results"; a database that exists with mode 0644
// is made 0600 when opened; merge and report read and write names holding
// '#', '%' and '?' as they are.
func TestTrustSweepDBIsAFilePath(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	dir := t.TempDir()
	repo := sweepBareRepo(t, t.TempDir(), "local", sweepKeyPath)
	list := filepath.Join(dir, "repos.txt")
	os.WriteFile(list, []byte(repo+"\n"), 0o600)
	sweep := func() {
		t.Helper()
		code, _, errOut := sweepRun(t, dir, nil, "sweep", "--exit-code", "0", "--repos", list, "--db", "results?v2.db", "--cache", "cache", "--no-progress")
		if code != 0 {
			t.Fatalf("sweep: exit %d\n%s", code, errOut)
		}
	}
	sweep()
	mode := func(name string) os.FileMode {
		t.Helper()
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return st.Mode().Perm()
	}
	if m := mode("results?v2.db"); m != 0o600 {
		t.Fatalf("results?v2.db is %v, want 0600", m)
	}
	for _, stray := range []string{"results", "results-wal", "results-shm"} {
		if _, err := os.Stat(filepath.Join(dir, stray)); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("%s exists (%v): the database went to a truncated name", stray, err)
		}
	}
	os.Chmod(filepath.Join(dir, "results?v2.db"), 0o644)
	sweep()
	if m := mode("results?v2.db"); m != 0o600 {
		t.Fatalf("an existing results?v2.db stayed %v, want 0600", m)
	}
	if !strings.Contains(sweepReport(t, dir, "results?v2.db"), sweepKeyPath) {
		t.Fatal("the report of results?v2.db lacks the finding")
	}
	merged := "all#1%41?.db"
	if code, _, errOut := sweepRun(t, dir, nil, "merge", "results?v2.db", "-o", merged); code != 0 {
		t.Fatalf("merge: exit %d %s", code, errOut)
	}
	if m := mode(merged); m != 0o600 {
		t.Fatalf("%s is %v, want 0600", merged, m)
	}
	for _, stray := range []string{"all", "all#1A"} {
		if _, err := os.Stat(filepath.Join(dir, stray)); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("%s exists: the merged database went to a decoded or truncated name", stray)
		}
	}
	if !strings.Contains(sweepReport(t, dir, merged), sweepKeyPath) {
		t.Fatal("the merged database lacks the finding")
	}
}
