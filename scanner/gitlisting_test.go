package scanner

import (
	"context"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// listingRepo has every shape of history that decides which blobs a walk
// reaches: two root commits, a merge that resolves a conflict with content
// neither parent had, an octopus merge, a file copied to a second path and
// one deleted, a symbolic link, a submodule entry, a file moved into and out
// of an allowlisted folder, and tags (lightweight and annotated) on commits.
func listingRepo(t *testing.T) *repo {
	r := newRepo(t)
	r.write("a.txt", "one\n")
	r.write("dir/b.txt", "two\n")
	r.commit("root")
	r.git("checkout", "-q", "-b", "side")
	r.write("a.txt", "side edit\n")
	r.write("side/only.txt", "k="+tokB+"\n")
	r.commit("side")
	r.git("checkout", "-q", "main")
	r.write("a.txt", "main edit\n")
	r.commit("main edit")
	if out, err := r.gitMayFail("merge", "-q", "--no-edit", "side"); err == nil {
		t.Fatalf("the merge should conflict: %s", out)
	}
	r.write("a.txt", "resolved with "+tokA+"\n")
	r.git("add", "a.txt")
	r.git("commit", "-q", "--no-edit")
	r.git("checkout", "-q", "--orphan", "pages")
	r.git("rm", "-q", "-r", "-f", ".")
	r.write("index.html", "<p>pages</p>\n")
	r.commit("second root")
	r.git("checkout", "-q", "main")
	for _, b := range []string{"o1", "o2"} {
		r.git("checkout", "-q", "-b", b, "main")
		r.write(b+".txt", b+"\n")
		r.commit(b)
	}
	r.git("checkout", "-q", "main")
	r.git("merge", "-q", "--no-edit", "o1", "o2")
	r.write("copy/b.txt", "two\n")
	r.git("rm", "-q", "dir/b.txt")
	if err := os.Symlink("a.txt", filepath.Join(r.dir, "link")); err != nil {
		t.Fatal(err)
	}
	r.write("vendor/lib.txt", "v="+tokC+"\n")
	r.commit("copy, delete, link, vendor")
	r.git("update-index", "--add", "--cacheinfo", "160000,"+r.git("rev-parse", "HEAD~1")+",sub")
	r.write("lib.txt", "v="+tokC+"\n")
	r.commit("submodule, and the vendored file at a second path")
	r.git("tag", "light", "HEAD~1")
	r.git("tag", "-a", "-m", "release", "v1", "HEAD")
	return r
}

// gitMayFail is git for a command expected to fail.
func (r *repo) gitMayFail(args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = r.dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=Ada Author", "GIT_AUTHOR_EMAIL=ada@example.com",
		"GIT_COMMITTER_NAME=Ada Author", "GIT_COMMITTER_EMAIL=ada@example.com", "GIT_CONFIG_NOSYSTEM=1", "HOME="+r.dir)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// hashObject writes content as a blob and returns its name.
func (r *repo) hashObject(content string) string {
	r.t.Helper()
	cmd := exec.Command("git", "hash-object", "-w", "--stdin")
	cmd.Dir = r.dir
	cmd.Stdin = strings.NewReader(content)
	out, err := cmd.Output()
	if err != nil {
		r.t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

// listings lists r's blobs both ways: from the log prefetch ran, and with
// rev-list. ok says whether the log's listing could be used.
func listings(t *testing.T, dir string) (fromLog, fromRevList []string, ok bool) {
	t.Helper()
	var w warnings
	opts := testOptions(t, &w)
	cfg := opts.Engine.Config()
	skip := func(p string) bool { return pathIgnored(cfg, p) }
	ctx := context.Background()
	g := newGitCLI(dir, opts, &counters{})
	g.prefetch(ctx)
	defer g.stop()
	keys := func(rs *reachable) []string {
		var out []string
		for h := range rs.blobs {
			out = append(out, hex.EncodeToString(h[:]))
		}
		slices.Sort(out)
		return out
	}
	rs, ok := g.logListing(ctx, skip)
	if ok {
		fromLog = keys(rs)
	}
	rl, err := g.list(ctx, skip)
	if err != nil {
		t.Fatal(err)
	}
	if w.joined() != "" {
		t.Fatalf("warnings: %s", w.joined())
	}
	return fromLog, keys(rl), ok
}

// The raw log reaches exactly the blobs rev-list does, in every shape of
// history listingRepo has.
func TestLogListingReachesWhatRevListDoes(t *testing.T) {
	r := listingRepo(t)
	fromLog, fromRevList, ok := listings(t, r.dir)
	if !ok {
		t.Fatal("the log's listing was not used on a history whose refs all name commits")
	}
	// The blobs: a.txt's four versions, b.txt, only.txt, index.html,
	// o1.txt, o2.txt, the link, lib.txt (vendor/lib.txt is the same blob).
	if len(fromRevList) != 11 {
		t.Fatalf("rev-list listed %d blobs, want 11", len(fromRevList))
	}
	if !reflect.DeepEqual(fromLog, fromRevList) {
		t.Errorf("the listings differ:\n log     %q\n rev-list %q", fromLog, fromRevList)
	}
}

// Refs to blobs (a tag, a replace ref standing in for a lost blob) reach
// blobs no commit does: the log's listing adds them, at no path, as
// rev-list lists them, and the scan finds the secret in each; a tag of a
// tree makes the scan list with rev-list.
func TestLogListingListsRefsToBlobs(t *testing.T) {
	r := newRepo(t)
	r.write("a.txt", "one\n")
	r.commit("root")
	r.git("tag", "loose-blob", r.hashObject("k="+tokA+"\n"))
	r.git("tag", "-a", "-m", "annotated", "loose-blob-2", r.hashObject("k="+tokB+"\n"))
	r.git("update-ref", "refs/replace/"+r.hashObject("lost\n"), r.hashObject("k="+tokC+"\n"))
	fromLog, fromRevList, ok := listings(t, r.dir)
	if !ok {
		t.Fatal("the log's listing was not used although every ref names a commit or a blob")
	}
	if len(fromRevList) != 4 || !reflect.DeepEqual(fromLog, fromRevList) {
		t.Errorf("the listings differ (want a.txt and the three blobs refs name):\n log     %q\n rev-list %q", fromLog, fromRevList)
	}
	for _, reader := range []string{"pack", "cat-file"} {
		t.Setenv(GitReaderEnv, reader)
		got := scanFor(t, r.dir, "git")
		var secrets []string
		for _, f := range got.Findings {
			secrets = append(secrets, f.Secret)
		}
		slices.Sort(secrets)
		want := []string{tokA, tokB, tokC}
		slices.Sort(want)
		if !reflect.DeepEqual(secrets, want) {
			t.Errorf("%s: findings %+v; want the secret of each blob a ref names", reader, got.Findings)
		}
	}
	r.git("tag", "a-tree", r.git("rev-parse", "HEAD^{tree}"))
	if _, _, ok := listings(t, r.dir); ok {
		t.Fatal("the log's listing was used although a tag names a tree")
	}
}

// A blob skipped at one path (an allowlisted folder) and committed at
// another is scanned, even when the newest commit holds it only at the
// skipped path (where rev-list's walk first meets it), and its finding is
// reported at the path that is not allowlisted.
func TestLogListingSkipsOnlyWhatEveryPathSkips(t *testing.T) {
	r := newRepo(t)
	r.write("vendor/lib.txt", "v="+tokC+"\n")
	r.commit("vendored")
	r.write("lib.txt", "v="+tokC+"\n")
	r.commit("and at a second path")
	r.git("rm", "-q", "lib.txt")
	r.write("vendor/other.txt", "v="+tokB+"\n")
	r.commit("only vendored")
	for _, reader := range []string{"pack", "cat-file", "go-git"} {
		backend := "git"
		if reader == "go-git" {
			backend = reader
		} else {
			t.Setenv(GitReaderEnv, reader)
		}
		got := scanFor(t, r.dir, backend)
		var secrets []string
		for _, f := range got.Findings {
			secrets = append(secrets, f.Secret)
		}
		if !slices.Contains(secrets, tokC) || slices.Contains(secrets, tokB) {
			t.Errorf("%s: findings %+v; want the secret at lib.txt and none only under vendor/", reader, got.Findings)
		}
		if !strings.Contains(got.Full, `"lib.txt"`) {
			t.Errorf("%s: findings %s; want one at lib.txt", reader, got.Full)
		}
		if !strings.Contains(got.Stats, "Skipped:1 ") {
			t.Errorf("%s: stats %s; want the one blob only under vendor/ skipped", reader, got.Stats)
		}
	}
}

// A history scan finds the same with the log's listing as with rev-list's,
// with both readers.
func TestLogListingSameFindings(t *testing.T) {
	r := listingRepo(t)
	for _, reader := range []string{"pack", "cat-file"} {
		t.Run(reader, func(t *testing.T) {
			t.Setenv(GitReaderEnv, reader)
			got := scanFor(t, r.dir, "git")
			old := logListingOn
			logListingOn = false
			want := scanFor(t, r.dir, "git")
			logListingOn = old
			if len(want.Findings) < 3 {
				t.Fatalf("only %d findings: %+v", len(want.Findings), want.Findings)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("log listing differs\n got %+v\nwant %+v", got, want)
			}
		})
	}
}
