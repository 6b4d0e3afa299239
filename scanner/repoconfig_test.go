package scanner

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

var configNames = []string{".achilles.toml", ".gitleaksignore"}

// ChangedFiles reports the commits of a range that change the files which
// decide what achilles reports: plain commits, and a merge that makes them
// differ from every parent (an "evil" merge); a merge that only brings in
// the base branch's version is not a change of the range.
func TestChangedFilesSeesEvilMergesNotCleanOnes(t *testing.T) {
	ctx := context.Background()
	r := newRepo(t)
	r.write("a", "a\n")
	r.commit("base")
	r.git("checkout", "-qb", "feature")
	r.write("x", "x\n")
	r.commit("feature work")
	r.git("checkout", "-q", "main")
	r.write(".achilles.toml", "title = 'main'\n")
	r.commit("main sets its config")
	r.git("checkout", "-q", "feature")
	r.git("merge", "-q", "main", "-m", "merge main")
	fs, err := ChangedFiles(ctx, r.dir, []string{"main..feature"}, configNames, "cfg", "d")
	if err != nil || len(fs) != 0 {
		t.Fatalf("a clean merge of the base counted as a change: %+v %v", fs, err)
	}
	r.write(".achilles.toml", "[allowlist]\npaths = ['.*']\n")
	r.git("add", "-A")
	r.git("commit", "-q", "--amend", "-m", "merge main (and silence achilles)")
	evil := r.git("rev-parse", "HEAD")
	r.write(".gitleaksignore", "x\n")
	ignore := r.commit("ignore")
	fs, err = ChangedFiles(ctx, r.dir, []string{"main..feature"}, configNames, "cfg", "d")
	if err != nil || len(fs) != 2 {
		t.Fatalf("%+v %v", fs, err)
	}
	got := map[string]string{fs[0].Path: fs[0].Git.Commit, fs[1].Path: fs[1].Git.Commit}
	if got[".achilles.toml"] != evil || got[".gitleaksignore"] != ignore {
		t.Fatalf("changes %v, want the evil merge %s and %s", got, evil, ignore)
	}
	if base, err := RangeBase(ctx, r.dir, []string{"main..feature"}); err != nil || base != r.git("rev-parse", "main") {
		t.Fatalf("base %q %v", base, err)
	}
}

// The files are read from the base commit only as regular blobs under the
// size limit: a symlink or a submodule in the tree is refused, an absent
// file is fs.ErrNotExist.
func TestReadRevisionFileRefusesLinks(t *testing.T) {
	ctx := context.Background()
	r := newRepo(t)
	r.write(".gitleaks.toml", "title = 'ok'\n")
	if err := os.Symlink("/etc/passwd", filepath.Join(r.dir, ".achilles.toml")); err != nil {
		t.Skip(err)
	}
	head := r.commit("configs")
	if data, err := ReadRevisionFile(ctx, r.dir, head, ".gitleaks.toml"); err != nil || string(data) != "title = 'ok'\n" {
		t.Fatalf("%q %v", data, err)
	}
	if _, err := ReadRevisionFile(ctx, r.dir, head, ".achilles.toml"); err == nil || errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a symlink was read: %v", err)
	}
	if _, err := ReadRevisionFile(ctx, r.dir, head, ".achillesignore"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("absent: %v", err)
	}
	if _, err := ReadRevisionFile(ctx, r.dir, "--output=x", ".gitleaks.toml"); err == nil {
		t.Fatal("an option was taken for a revision")
	}
}
