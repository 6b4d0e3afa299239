package sweep

import (
	"context"
	"fmt"
	"math/rand"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/achilles-sec/achilles/detectors"
	"github.com/achilles-sec/achilles/rules"
	"github.com/achilles-sec/achilles/scanner"
	"github.com/achilles-sec/achilles/scanner/finding"
	"github.com/achilles-sec/achilles/scanner/sweep/store"
	"github.com/achilles-sec/achilles/scanner/sweep/targets"
)

// awsKeyID makes a random key id of the default rule's shape.
func awsKeyID(r *rand.Rand) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	b := []byte("AKIA")
	for i := 0; i < 16; i++ {
		b = append(b, alphabet[r.Intn(len(alphabet))])
	}
	return string(b)
}

func runGit(t testing.TB, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=Dev", "GIT_AUTHOR_EMAIL=dev@example.com", "GIT_COMMITTER_NAME=Dev",
		"GIT_COMMITTER_EMAIL=dev@example.com", "GIT_AUTHOR_DATE=2023-03-04T05:06:07Z", "GIT_COMMITTER_DATE=2023-03-04T05:06:07Z", "GIT_CONFIG_NOSYSTEM=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

// gitServer serves the bare repositories under root over git's smart HTTP
// protocol, through the real git http-backend.
func gitServer(t testing.TB, root string) *httptest.Server {
	t.Helper()
	out, err := exec.Command("git", "--exec-path").Output()
	if err != nil {
		t.Skip("git not installed")
	}
	backend := filepath.Join(strings.TrimSpace(string(out)), "git-http-backend")
	srv := httptest.NewServer(&cgi.Handler{Path: backend, Env: []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1"}})
	t.Cleanup(srv.Close)
	return srv
}

// fixture is a set of repositories served over HTTP.
type fixture struct {
	root, work string
	srv        *httptest.Server
	names      []string
	secrets    map[string][]string // repository -> key ids committed
}

// newFixture makes n repositories; repository i holds (i % 3) secrets,
// one of them shared by every repository with secrets, in two commits on
// two branches and a tag.
func newFixture(t testing.TB, n int) *fixture {
	t.Helper()
	f := &fixture{root: t.TempDir(), work: t.TempDir(), secrets: map[string][]string{}}
	r := rand.New(rand.NewSource(1))
	shared := awsKeyID(r)
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("repo%02d", i)
		w := filepath.Join(f.work, name)
		os.MkdirAll(w, 0o755)
		runGit(t, w, "init", "-q", "-b", "main")
		os.WriteFile(filepath.Join(w, "README.md"), []byte("# "+name+"\n"), 0o644)
		runGit(t, w, "add", ".")
		runGit(t, w, "commit", "-q", "-m", "init")
		var keys []string
		for k := 0; k < i%3; k++ {
			key := shared
			if k > 0 {
				key = awsKeyID(r)
			}
			keys = append(keys, key)
			if k == 1 {
				runGit(t, w, "checkout", "-q", "-b", "feature")
			}
			os.WriteFile(filepath.Join(w, fmt.Sprintf("conf%d.env", k)), []byte("aws_access_key_id = "+key+"\n"), 0o644)
			runGit(t, w, "add", ".")
			runGit(t, w, "commit", "-q", "-m", "config")
		}
		runGit(t, w, "checkout", "-q", "main")
		runGit(t, w, "tag", "v1")
		runGit(t, f.root, "clone", "-q", "--bare", w, name+".git")
		f.names = append(f.names, name)
		f.secrets[name] = keys
	}
	f.srv = gitServer(t, f.root)
	return f
}

func (f *fixture) targets() []targets.Target {
	var ts []targets.Target
	for _, n := range f.names {
		u := f.srv.URL + "/" + n + ".git"
		ts = append(ts, targets.Target{Key: targets.Normalize(u), URL: u, Source: "file"})
	}
	return ts
}

// push adds a commit with a new secret to a repository.
func (f *fixture) push(t testing.TB, name, key string) {
	w := filepath.Join(f.work, name)
	os.WriteFile(filepath.Join(w, "late.env"), []byte("aws_access_key_id = "+key+"\n"), 0o644)
	runGit(t, w, "add", ".")
	runGit(t, w, "commit", "-q", "-m", "late")
	runGit(t, w, "push", "-q", filepath.Join(f.root, name+".git"), "main")
	f.secrets[name] = append(f.secrets[name], key)
}

func options(t testing.TB) Options {
	cfg, err := rules.Default()
	if err != nil {
		t.Fatal(err)
	}
	return Options{Scan: scanner.Options{Engine: detectors.New(cfg), Jobs: 1}, CacheDir: t.TempDir(), Parallel: 2}
}

func openStore(t testing.TB, dir, name string) *store.Store {
	st, err := store.Open(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func keys(t testing.TB, st *store.Store) []store.FindingKey {
	ks, err := st.FindingKeys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return ks
}

// expected is every finding the fixture holds: one per repository, key and
// file.
func (f *fixture) expected() int {
	n := 0
	for _, ks := range f.secrets {
		n += len(ks)
	}
	return n
}

// cancelAfterFirst cancels the sweep once one repository is scanned.
type cancelAfterFirst struct {
	cancel context.CancelFunc
	once   sync.Once
}

func (c *cancelAfterFirst) Start(int)     {}
func (c *cancelAfterFirst) Bytes(n int64) {}
func (c *cancelAfterFirst) RepoDone(o Outcome, _ int) {
	if o.Result == Scanned {
		c.once.Do(c.cancel)
	}
}

func TestInterruptedSweepResumesAndNoChangeRunSkips(t *testing.T) {
	f := newFixture(t, 9)
	dir := t.TempDir()
	st := openStore(t, dir, "sweep.db")
	o := options(t)
	ts := f.targets()

	ctx, cancel := context.WithCancel(context.Background())
	o.Progress = &cancelAfterFirst{cancel: cancel}
	sum, err := Run(ctx, st, ts, o)
	if err == nil {
		t.Fatal("interrupted sweep returned no error")
	}
	if sum.Scanned < 1 || sum.Scanned == len(ts) {
		t.Fatalf("interrupted sweep scanned %d of %d", sum.Scanned, len(ts))
	}
	o.Progress = nil
	sum, err = Run(context.Background(), st, ts, o)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Skipped < 1 || sum.Scanned+sum.Skipped != len(ts) {
		t.Fatalf("resumed sweep: %+v", sum)
	}
	got := keys(t, st)
	if len(got) != f.expected() {
		t.Fatalf("%d findings stored, want %d: %v", len(got), f.expected(), got)
	}
	for _, n := range f.names {
		for _, key := range f.secrets[n] {
			found := false
			for _, k := range got {
				found = found || strings.HasSuffix(k.Repo, n) && strings.Contains(k.Fingerprint, finding.SecretHash(key))
			}
			if !found {
				t.Errorf("%s: %s not stored", n, key)
			}
		}
	}

	// No change: every repository is skipped, nothing is fetched.
	sum, err = Run(context.Background(), st, ts, o)
	if err != nil || sum.Skipped != len(ts) || sum.Scanned != 0 {
		t.Fatalf("no-change run: %+v, %v", sum, err)
	}

	// One push: that repository alone is fetched (not re-cloned) and scanned.
	f.push(t, "repo04", awsKeyID(rand.New(rand.NewSource(99))))
	sum, err = Run(context.Background(), st, ts, o)
	if err != nil || sum.Scanned != 1 || sum.Skipped != len(ts)-1 {
		t.Fatalf("after a push: %+v, %v", sum, err)
	}
	if n := len(keys(t, st)); n != f.expected() {
		t.Fatalf("%d findings after the push, want %d", n, f.expected())
	}
	es, err := st.Exposures(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		if e.Finding.Git.Author != "Dev" || e.Finding.Git.Commit == "" || e.Finding.Git.StillPresent == nil {
			t.Fatalf("provenance missing: %+v", e.Finding)
		}
		// conf1.env is only on the feature branch: not at HEAD.
		if want := e.Finding.Path != "conf1.env"; *e.Finding.Git.StillPresent != want {
			t.Errorf("%s %s: still_present %v, want %v", e.Repo, e.Finding.Path, *e.Finding.Git.StillPresent, want)
		}
	}
}

func TestFailedRepositoryIsRecordedAndRetried(t *testing.T) {
	f := newFixture(t, 2)
	st := openStore(t, t.TempDir(), "sweep.db")
	o := options(t)
	missing := f.srv.URL + "/nope.git"
	ts := append(f.targets(), targets.Target{Key: targets.Normalize(missing), URL: missing, Source: "file"})
	for run := 1; run <= 2; run++ {
		sum, err := Run(context.Background(), st, ts, o)
		if err != nil || sum.Failed != 1 {
			t.Fatalf("run %d: %+v %v", run, sum, err)
		}
		r, ok, _ := st.Repo(context.Background(), targets.Normalize(missing))
		if !ok || r.Status != store.StatusFailed || r.Error == "" || r.Attempts != run {
			t.Fatalf("run %d: failed repository recorded as %+v", run, r)
		}
	}
}

func TestShardsMergedEqualOneSweep(t *testing.T) {
	f := newFixture(t, 9)
	dir := t.TempDir()
	ts := f.targets()
	whole := openStore(t, dir, "whole.db")
	if _, err := Run(context.Background(), whole, ts, options(t)); err != nil {
		t.Fatal(err)
	}
	merged := openStore(t, dir, "all.db")
	total := 0
	for k := 1; k <= 3; k++ {
		part := targets.Shard{K: k, N: 3}.Take(ts)
		total += len(part)
		st := openStore(t, dir, fmt.Sprintf("shard%d.db", k))
		if _, err := Run(context.Background(), st, part, options(t)); err != nil {
			t.Fatal(err)
		}
		st.Close()
		if _, err := merged.Merge(context.Background(), st.Path()); err != nil {
			t.Fatal(err)
		}
	}
	if total != len(ts) {
		t.Fatalf("shards hold %d targets, want %d", total, len(ts))
	}
	a, b := keys(t, whole), keys(t, merged)
	if len(a) == 0 || !reflect.DeepEqual(a, b) {
		t.Fatalf("merged shards %v\nunsharded %v", b, a)
	}
}

// fakeVerifier answers from a table and counts what it was asked.
type fakeVerifier struct {
	mu    sync.Mutex
	live  map[string]bool
	asked map[string]int
}

func (v *fakeVerifier) Verify(ctx context.Context, reqs []Request) []*finding.Verification {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := make([]*finding.Verification, len(reqs))
	done := map[string]*finding.Verification{}
	for i, r := range reqs {
		if a, ok := done[r.Secret]; ok {
			out[i] = a
			continue
		}
		v.asked[r.Secret]++
		a := &finding.Verification{Status: "dead", Verifier: "fake"}
		if v.live[r.Secret] {
			a = &finding.Verification{Status: "live", Identity: "arn:aws:iam::123456789012:user/ci", Verifier: "fake"}
		}
		done[r.Secret], out[i] = a, a
	}
	return out
}

func TestVerificationOncePerSecretAndReverify(t *testing.T) {
	f := newFixture(t, 6)
	st := openStore(t, t.TempDir(), "sweep.db")
	o := options(t)
	shared := f.secrets["repo01"][0]
	v := &fakeVerifier{live: map[string]bool{shared: true}, asked: map[string]int{}}
	o.Verifier = v
	t0 := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	o.Now = func() time.Time { return t0 }
	sum, err := Run(context.Background(), st, f.targets(), o)
	if err != nil {
		t.Fatal(err)
	}
	unique := map[string]bool{}
	for _, ks := range f.secrets {
		for _, k := range ks {
			unique[k] = true
		}
	}
	if len(v.asked) != len(unique) {
		t.Fatalf("asked about %d secrets, want %d", len(v.asked), len(unique))
	}
	for s, n := range v.asked {
		if n != 1 {
			t.Fatalf("secret %s asked %d times", finding.Redact(s), n)
		}
	}
	if sum.Live != 1 {
		t.Fatalf("live %d, want 1 (%+v)", sum.Live, sum)
	}
	// The key is rotated: a re-verification finds it dead and records when.
	v.live = map[string]bool{}
	t1 := t0.Add(48 * time.Hour)
	rs, err := Reverify(context.Background(), st, v, nil, func() time.Time { return t1 })
	if err != nil || rs.Secrets != len(unique) || rs.Live != 0 {
		t.Fatalf("reverify %+v %v", rs, err)
	}
	es, _ := st.Exposures(context.Background())
	for _, e := range es {
		if e.Finding.Secret != shared {
			continue
		}
		if e.Verification.Status != store.Dead || store.ParseTime(e.DeadSince) != t1 || store.ParseTime(e.LiveSince) != t0 || len(e.History) != 2 {
			t.Fatalf("shared secret state %+v live %s dead %s history %v", e.Verification, e.LiveSince, e.DeadSince, e.History)
		}
	}
}
