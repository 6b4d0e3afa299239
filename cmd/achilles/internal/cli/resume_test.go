package cli

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/achilles-sec/achilles/scanner/finding"
)

// interrupter records every request without If-None-Match and, when armed,
// interrupts the sweep (SIGINT to its process) as the first request for
// path arrives, holding that answer until the sweep gives up on it.
type interrupter struct {
	next http.Handler
	path string
	proc atomic.Pointer[os.Process]
	sent atomic.Bool

	mu            sync.Mutex
	unconditional []string
}

func (h *interrupter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("If-None-Match") == "" {
		h.mu.Lock()
		h.unconditional = append(h.unconditional, r.URL.RequestURI())
		h.mu.Unlock()
	}
	if p := h.proc.Load(); p != nil && r.URL.Path == h.path && !h.sent.Swap(true) {
		// The searcher needs microseconds for what was emitted before;
		// give it ample time, then interrupt.
		time.Sleep(300 * time.Millisecond)
		p.Signal(syscall.SIGINT)
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
		return
	}
	h.next.ServeHTTP(w, r)
}

func (h *interrupter) take() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := h.unconditional
	h.unconditional = nil
	return out
}

// A sweep --include interrupted (SIGINT) while it reads the pull request's
// review comments keeps what it finished: the first issue and its
// comment are in the database, and the next run does not read them again
// (no unconditional request for the first issues page or the issue's
// comments); the database ends with what an uninterrupted sweep stores.
func TestSweepItemsInterruptResumes(t *testing.T) {
	keys := []string{"AKIAZ3MSJV4WQPTHKR7A", "AKIAZ3MSJV4WQPTHKR7B", "AKIAZ3MSJV4WQPTHKR7C", "AKIAZ3MSJV4WQPTHKR7D",
		"AKIAZ3MSJV4WQPTHKR7E", "AKIAZ3MSJV4WQPTHKR7F"}
	archive := logArchive(t, keys[5])
	storage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(archive) }))
	defer storage.Close()
	g := &fakeGitHub{keys: keys, storage: storage.URL}
	g.limited.Store(true) // no rate limit here
	mux := http.NewServeMux()
	mux.HandleFunc("/orgs/acme/repos", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `[{"full_name":"acme/app","clone_url":"http://%s/acme/app.git","has_wiki":false}]`, r.Host)
	})
	mux.Handle("/", g)
	h := &interrupter{next: &etagged{next: mux}, path: "/repos/acme/app/pulls/2/comments"}
	api := httptest.NewServer(h)
	defer api.Close()
	dir := t.TempDir()
	env := append(os.Environ(), "ACHILLES_CONFIG=", "GITHUB_TOKEN="+ghTestToken, "HOME="+dir)
	args := func(db string) []string {
		return []string{"sweep", "--github-org", "acme", "--github-api-url", api.URL, "--include", "issues,prs,comments,reviews,releases,actions",
			"--db", filepath.Join(dir, db), "--cache", filepath.Join(dir, "cache-"+db), "--no-progress", "--exit-code", "0"}
	}
	stored := func(db string) (map[string]finding.Finding, []string) {
		rep := execAchilles(t, dir, env, "", "report", "--db", filepath.Join(dir, db), "-f", "json", "--no-redact")
		bySecret := map[string]finding.Finding{}
		var ids []string
		for _, f := range decodeFindings(t, rep) {
			bySecret[f.Secret] = f
			ids = append(ids, f.Fingerprint+" "+f.Path)
		}
		slices.Sort(ids)
		return bySecret, ids
	}

	// What an uninterrupted sweep stores.
	if r := execAchilles(t, dir, env, "", args("whole.db")...); r.code != 0 {
		t.Fatalf("uninterrupted sweep: exit %d\n%s", r.code, r.stderr)
	}
	whole, wantIDs := stored("whole.db")
	for _, k := range keys {
		if _, ok := whole[k]; !ok {
			t.Fatalf("the uninterrupted sweep did not store %s", k)
		}
	}

	cmd := exec.Command(achillesBinary(t), args("s.db")...)
	cmd.Dir, cmd.Env = dir, env
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h.proc.Store(cmd.Process)
	err := cmd.Wait()
	h.proc.Store(nil)
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != ExitInterrupted || !h.sent.Load() {
		t.Fatalf("interrupted sweep: %v (signal sent %v)\n%s", err, h.sent.Load(), stderr.String())
	}
	part, _ := stored("s.db")
	for _, k := range []string{keys[0], keys[2]} { // the first issue and its comment
		if f, ok := part[k]; !ok || f.Item == nil {
			t.Fatalf("after the interrupt %s is not stored (have %d findings)\n%s", k, len(part), stderr.String())
		}
	}
	if _, ok := part[keys[3]]; ok {
		t.Fatal("the review comment being read at the interrupt was stored")
	}

	h.take()
	if r := execAchilles(t, dir, env, "", args("s.db")...); r.code != 0 {
		t.Fatalf("resumed sweep: exit %d\n%s", r.code, r.stderr)
	}
	for _, u := range h.take() {
		if strings.HasPrefix(u, "/repos/acme/app/issues/1/") || strings.HasPrefix(u, "/repos/acme/app/issues?") && !strings.Contains(u, "page=2") {
			t.Errorf("the resumed sweep read again what the interrupted one finished: %s", u)
		}
	}
	if _, gotIDs := stored("s.db"); !slices.Equal(gotIDs, wantIDs) {
		t.Errorf("after resuming the database holds\n%v\nwant the uninterrupted sweep's\n%v", gotIDs, wantIDs)
	}
}
