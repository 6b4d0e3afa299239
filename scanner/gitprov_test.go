package scanner

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// provenanceRepo is a history whose provenance has every case the order of
// introductions decides: a secret copied to a second path later, one
// removed and brought back, a merge that writes a blob neither parent had,
// a branch merged back with its own secret, a commit that only a pull
// request ref reaches, and a file renamed with its secret.
func provenanceRepo(t *testing.T) *repo {
	r := newRepo(t)
	r.write("README.md", "hello\n")
	base := r.commit("initial")
	r.write("config/app.env", "TOKEN="+tokA+"\n")
	r.commit("add token")
	r.write("copy/app.env", "TOKEN="+tokA+"\n")
	r.commit("copy token")
	r.write("config/app.env", "x=1\n")
	r.commit("remove token")
	r.write("config/app.env", "TOKEN="+tokA+"\n")
	r.commit("bring token back")

	r.git("checkout", "-q", "-b", "feature")
	r.write("deploy/secrets.yaml", "password: \"Hx7!pQ2@zL9#\"\n")
	r.commit("feature")
	r.git("checkout", "-q", "main")
	r.write("merged.txt", "main side\n")
	r.commit("main side")
	r.tick++
	r.git("merge", "-q", "--no-ff", "--no-commit", "feature")
	r.write("merged.txt", "resolved with "+tokB+"\n")
	r.git("add", "-A")
	r.git("commit", "-q", "-m", "merge feature, resolved")

	if err := os.Remove(filepath.Join(r.dir, "copy", "app.env")); err != nil {
		t.Fatal(err)
	}
	r.write("moved/app.env", "TOKEN="+tokA+"\n")
	r.commit("rename")

	r.git("checkout", "-q", "-b", "pr", base)
	r.write("pr/key.txt", tokC+"\n")
	pr := r.commit("pull request key")
	r.git("checkout", "-q", "main")
	r.git("update-ref", "refs/pull/7/head", pr)
	r.git("branch", "-D", "pr")
	return r
}

// scanResult is what a history scan reports, less its duration.
type scanResult struct {
	Findings   []summary
	Full       string
	Incomplete bool
	Stats      string
	Warnings   string
}

func scanFor(t *testing.T, dir string, backend string) scanResult {
	t.Helper()
	var w warnings
	res, err := ScanGit(context.Background(), testOptions(t, &w), GitOptions{Backend: backend}, dir)
	if err != nil {
		t.Fatalf("%s: %v", backend, err)
	}
	st := res.Stats
	st.Duration = 0
	full, err := json.Marshal(res.Findings)
	if err != nil {
		t.Fatal(err)
	}
	return scanResult{Findings: summarize(res.Findings), Full: string(full), Incomplete: res.Incomplete,
		Stats: fmt.Sprintf("%+v", st), Warnings: w.joined()}
}

// withProvenance runs fn with prefetch on or off and an index budget.
func withProvenance(t *testing.T, ahead bool, budget int, fn func()) {
	t.Helper()
	oldAhead, oldBudget := provenanceAhead, logIndexBudget
	provenanceAhead, logIndexBudget = ahead, budget
	defer func() { provenanceAhead, logIndexBudget = oldAhead, oldBudget }()
	fn()
}

// TestProvenanceAheadSameResult compares a scan whose log ran beside it with
// one that ran the log after the scan (the order before prefetch) and one
// whose log was over the index's budget, with both readers.
func TestProvenanceAheadSameResult(t *testing.T) {
	r := provenanceRepo(t)
	for _, reader := range []string{"pack", "cat-file"} {
		t.Run(reader, func(t *testing.T) {
			t.Setenv(GitReaderEnv, reader)
			var after, ahead, over scanResult
			withProvenance(t, false, logIndexBudget, func() { after = scanFor(t, r.dir, "git") })
			withProvenance(t, true, logIndexBudget, func() { ahead = scanFor(t, r.dir, "git") })
			withProvenance(t, true, 1, func() { over = scanFor(t, r.dir, "git") })
			if len(after.Findings) < 4 {
				t.Fatalf("the history's secrets were not all found: %+v", after.Findings)
			}
			hidden := false
			for _, f := range after.Findings {
				hidden = hidden || f.Secret == tokC && f.Commit != ""
			}
			if !hidden || !strings.Contains(after.Full, "refs/pull/7/head") {
				t.Fatalf("the pull request's secret has no provenance: %+v", after.Findings)
			}
			if !reflect.DeepEqual(after, ahead) {
				t.Errorf("log ahead differs:\nafter %+v\nahead %+v", after, ahead)
			}
			if !reflect.DeepEqual(after, over) {
				t.Errorf("log over budget differs:\nafter %+v\nover  %+v", after, over)
			}
		})
	}
}

// TestProvenanceAheadFailingLog makes git log fail (a tree it must diff is
// missing) while the listing goes on: the scan warns that provenance may be
// incomplete, at the same point and with the same findings as a log run
// after the scan.
func TestProvenanceAheadFailingLog(t *testing.T) {
	r := newRepo(t)
	r.write("a/secret.txt", "k="+tokA+"\n")
	r.commit("first")
	r.write("b/other.txt", "k="+tokB+"\n")
	r.commit("second")
	tree := r.git("rev-parse", "HEAD:b")
	if err := os.Remove(r.looseObjectPath(tree)); err != nil {
		t.Fatal(err)
	}
	var after, ahead scanResult
	withProvenance(t, false, logIndexBudget, func() { after = scanFor(t, r.dir, "git") })
	withProvenance(t, true, logIndexBudget, func() { ahead = scanFor(t, r.dir, "git") })
	if !strings.Contains(after.Warnings, "provenance may be incomplete") {
		t.Fatalf("no warning that git log failed: %q", after.Warnings)
	}
	if !reflect.DeepEqual(after, ahead) {
		t.Errorf("log ahead differs:\nafter %+v\nahead %+v", after, ahead)
	}
}

// children lists the processes whose parent is this one, zombies included.
func children(t *testing.T) []string {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	procs, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil {
		t.Fatal(err)
	}
	me := strconv.Itoa(os.Getpid())
	var out []string
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err != nil {
			continue // exited meanwhile
		}
		// pid (comm) state ppid ...: comm may hold spaces and parentheses.
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) > 1 && f[1] == me {
			out = append(out, string(b[:i+1])+" "+f[0])
		}
	}
	return out
}

// cancelAt cancels a scan when its first blob has been scanned.
type cancelAt struct {
	once   sync.Once
	cancel context.CancelFunc
}

func (c *cancelAt) Add(int64, int) { c.once.Do(c.cancel) }

// TestProvenanceAheadReaped checks that no git process outlives a scan
// that fails, is cancelled, or finds nothing, and that stopping the
// commands started ahead reaps them at any point of their run.
func TestProvenanceAheadReaped(t *testing.T) {
	if len(children(t)) != 0 {
		t.Skipf("this test process already has children: %v", children(t))
	}
	r := provenanceRepo(t)

	t.Run("failed scan", func(t *testing.T) {
		// The pack reader refuses a store with alternates; forced, the scan
		// fails after the log was started.
		alt := newRepo(t)
		alt.write("f.txt", "x\n")
		alt.commit("c")
		if err := os.WriteFile(filepath.Join(r.dir, ".git", "objects", "info", "alternates"), []byte(filepath.Join(alt.dir, ".git", "objects")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		defer os.Remove(filepath.Join(r.dir, ".git", "objects", "info", "alternates"))
		t.Setenv(GitReaderEnv, "pack")
		var w warnings
		_, err := ScanGit(context.Background(), testOptions(t, &w), GitOptions{Backend: "git"}, r.dir)
		if err == nil || !strings.Contains(err.Error(), GitReaderEnv) {
			t.Fatalf("want the forced pack reader's error, got %v", err)
		}
		if c := children(t); len(c) != 0 {
			t.Errorf("git processes left after a failed scan: %v", c)
		}
	})

	t.Run("cancelled scan", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var w warnings
		opts := testOptions(t, &w)
		opts.Progress = &cancelAt{cancel: cancel}
		res, err := ScanGit(ctx, opts, GitOptions{Backend: "git"}, r.dir)
		if err == nil || res == nil || !res.Incomplete {
			t.Fatalf("want an incomplete result and the context's error, got %v, %v", res, err)
		}
		if c := children(t); len(c) != 0 {
			t.Errorf("git processes left after a cancelled scan: %v", c)
		}
	})

	t.Run("nothing found", func(t *testing.T) {
		clean := newRepo(t)
		for i := 0; i < 30; i++ {
			clean.write(fmt.Sprintf("f%d.txt", i), fmt.Sprintf("nothing %d\n", i))
			clean.commit(fmt.Sprintf("c%d", i))
		}
		res := scanFor(t, clean.dir, "git")
		if len(res.Findings) != 0 {
			t.Fatalf("found %+v", res.Findings)
		}
		if c := children(t); len(c) != 0 {
			t.Errorf("git processes left after a scan without findings: %v", c)
		}
	})

	t.Run("stop", func(t *testing.T) {
		var c counters
		var w warnings
		g := newGitCLI(r.dir, testOptions(t, &w), &c)
		g.prefetch(context.Background())
		g.stop()
		g.stop() // stopping twice is stopping once
		if c := children(t); len(c) != 0 {
			t.Errorf("git processes left after stop: %v", c)
		}
		// Asked after a stop, the log runs again: a full answer, never
		// what a stopped run had read.
		want := map[string]bool{r.blobHash("HEAD", "config/app.env"): true, r.blobHash("HEAD", "merged.txt"): true}
		got, err := g.introductions(context.Background(), want)
		if err != nil {
			t.Fatal(err)
		}
		fresh := newGitCLI(r.dir, testOptions(t, &w), &c)
		exp, err := fresh.introductions(context.Background(), want)
		if err != nil {
			t.Fatal(err)
		}
		if introSummary(got) != introSummary(exp) || len(exp) != 2 {
			t.Errorf("after stop:\n%s\nwant\n%s", introSummary(got), introSummary(exp))
		}
		if c := children(t); len(c) != 0 {
			t.Errorf("git processes left: %v", c)
		}
	})
}

// introSummary prints introductions by blob, path and commit.
func introSummary(m map[string][]intro) string {
	var b strings.Builder
	hashes := make([]string, 0, len(m))
	for h := range m {
		hashes = append(hashes, h)
	}
	sort.Strings(hashes)
	for _, h := range hashes {
		for _, in := range m[h] {
			fmt.Fprintf(&b, "%s %s %+v\n", h, in.path, *in.commit)
		}
	}
	return b.String()
}

// FuzzLogIndex holds the log's index to parseRawLog: for every blob
// parseRawLog reports, the index gives the same introductions (path and
// commit, in the log's order) and the same commit count.
func FuzzLogIndex(f *testing.F) {
	header := "\x01" + hashA + "\x00Ann Author\x00ann@example.com\x001700000000\x001700000100\x00add config\n"
	f.Add([]byte(header + "\n:000000 100644 " + zero + " " + hashB + " A\tconfig/app.env\n:100644 100644 " + hashC + " " + hashB + " M\t\"tab\\there\"\n"))
	f.Add([]byte("\x01" + hashB + "\x00M\x00m@x\x00bad\x00\x00merge\x00more\n\n::100644 100644 100644 " + hashA + " " + hashC + " " + hashB + " MM\tmerged.txt\n" +
		":160000 160000 " + hashA + " " + hashB + " M\tsub\n:100644 000000 " + hashA + " " + zero + " D\tgone\n"))
	f.Add([]byte("\x01not-a-hash\x00a\x00b\x00c\x00d\x00e\n:000000 100644 " + zero + " " + hashB + " A\tx\n" + header +
		":100644\u00a0100644 " + hashA + " " + hashB + " M\tnbsp\n:100644 100644\v" + hashA + " " + strings.ToUpper(hashB) + " M\tupper\n"))
	f.Add([]byte(":100644 100644 abc M\tp\n" + header + ":::\tp\n:100644\tp\n:000000 100644 " + zero + " " + hashB + " A\t" + strings.Repeat("long/", 70000) + "\r\n"))
	f.Add([]byte(header + ":000000 100644 " + zero + " " + strings.Repeat("ab", 32) + " A\tsha256\n" + header + ":000000 100644 " + zero + " " + hashC + " A\tconfig/app.env"))
	f.Fuzz(func(t *testing.T, data []byte) {
		want := map[string]bool{}
		n, err := parseRawLog(bytes.NewReader(data), func(hash string, in intro) {
			if _, ok := parseHash(hash); ok {
				want[hash] = true
			}
		})
		if err != nil {
			t.Fatal(err) // a bytes.Reader never fails
		}
		expIntros := map[string][]intro{}
		if _, err := parseRawLog(bytes.NewReader(data), func(hash string, in intro) {
			if want[hash] {
				expIntros[hash] = append(expIntros[hash], intro{path: in.path, commit: in.commit})
			}
		}); err != nil {
			t.Fatal(err)
		}
		x, err := indexRawLog(bytes.NewReader(data), 1<<30)
		if err != nil {
			t.Fatal(err)
		}
		if x.ncommit != n {
			t.Fatalf("index counts %d commits, parseRawLog %d", x.ncommit, n)
		}
		got := x.introductions(want)
		if a, b := introSummary(got), introSummary(expIntros); a != b {
			t.Fatalf("index:\n%s\nparseRawLog:\n%s", a, b)
		}
		if len(data) > 0 {
			if _, err := indexRawLog(bytes.NewReader(data), 0); err != nil && err != errLogBudget {
				t.Fatalf("over budget: %v", err)
			}
		}
	})
}

// TestPathTableKeepsEachPathOnce: a path interned again, from a string or
// from bytes, gets the index it got first, and the index names it.
func TestPathTableKeepsEachPathOnce(t *testing.T) {
	var tab pathTable
	a := tab.intern("src/a.go")
	b := tab.internBytes([]byte("docs/b.md"))
	buf := []byte("src/a.go")
	if got := tab.internBytes(buf); got != a {
		t.Fatalf("src/a.go from bytes = %d, first %d", got, a)
	}
	buf[0] = 'X' // the table must not share the caller's buffer
	if got := tab.intern("docs/b.md"); got != b || a == b {
		t.Fatalf("docs/b.md = %d, first %d (src/a.go %d)", got, b, a)
	}
	if len(tab.paths) != 2 || tab.paths[a] != "src/a.go" || tab.paths[b] != "docs/b.md" {
		t.Fatalf("table %q", tab.paths)
	}
}
