package sweep

import (
	"context"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/achilles-sec/achilles/scanner"
	"github.com/achilles-sec/achilles/scanner/finding"
	"github.com/achilles-sec/achilles/scanner/sweep/targets"
)

// A sweep fetches pull request refs: a key only refs/pull/7/head holds is
// found, the clone keeps the ref, and a new push to the pull request makes
// the next run scan again. A server without such refs is swept as before.
func TestSweepFetchesPullRequestRefs(t *testing.T) {
	root, work := t.TempDir(), t.TempDir()
	r := rand.New(rand.NewSource(7))
	hiddenKey, laterKey := awsKeyID(r), awsKeyID(r)

	w := filepath.Join(work, "pr")
	os.MkdirAll(w, 0o755)
	runGit(t, w, "init", "-q", "-b", "main")
	os.WriteFile(filepath.Join(w, "README.md"), []byte("# pr\n"), 0o644)
	runGit(t, w, "add", ".")
	runGit(t, w, "commit", "-q", "-m", "init")
	runGit(t, w, "checkout", "-q", "-b", "fork")
	os.WriteFile(filepath.Join(w, "fork.env"), []byte("aws_access_key_id = "+hiddenKey+"\n"), 0o644)
	runGit(t, w, "add", ".")
	runGit(t, w, "commit", "-q", "-m", "from a fork")
	runGit(t, w, "checkout", "-q", "main")
	bare := filepath.Join(root, "pr.git")
	runGit(t, root, "clone", "-q", "--bare", w, "pr.git")
	runGit(t, bare, "update-ref", "refs/pull/7/head", "refs/heads/fork")
	runGit(t, bare, "branch", "-q", "-D", "fork")

	plain := filepath.Join(work, "plain")
	os.MkdirAll(plain, 0o755)
	runGit(t, plain, "init", "-q", "-b", "main")
	os.WriteFile(filepath.Join(plain, "a.env"), []byte("aws_access_key_id = "+laterKey+"\n"), 0o644)
	runGit(t, plain, "add", ".")
	runGit(t, plain, "commit", "-q", "-m", "plain")
	runGit(t, root, "clone", "-q", "--bare", plain, "plain.git")

	srv := gitServer(t, root)
	var ts []targets.Target
	for _, n := range []string{"pr", "plain"} {
		u := srv.URL + "/" + n + ".git"
		ts = append(ts, targets.Target{Key: targets.Normalize(u), URL: u, Source: "file"})
	}
	st := openStore(t, t.TempDir(), "sweep.db")
	o := options(t)
	sum, err := Run(context.Background(), st, ts, o)
	if err != nil || sum.Scanned != 2 || sum.Failed != 0 {
		t.Fatalf("sweep: %+v %v", sum, err)
	}
	stored := keys(t, st)
	for _, want := range []struct{ repo, key string }{{"pr", hiddenKey}, {"plain", laterKey}} {
		found := false
		for _, k := range stored {
			found = found || strings.HasSuffix(k.Repo, "/"+want.repo) && strings.Contains(k.Fingerprint, finding.SecretHash(want.key))
		}
		if !found {
			t.Errorf("%s: key not stored: %v", want.repo, stored)
		}
	}

	// The cache holds the pull request ref, and a scan of it says so.
	dir := filepath.Join(o.CacheDir, cacheName(ts[0].Key))
	if out, err := exec.Command("git", "-C", dir, "for-each-ref", "refs/pull").Output(); err != nil || !strings.Contains(string(out), "refs/pull/7/head") {
		t.Fatalf("cache refs: %q %v", out, err)
	}
	res, err := scanner.ScanGit(context.Background(), o.Scan, o.Git, dir)
	if err != nil || len(res.Findings) != 1 || res.Findings[0].Git.HiddenRef != "refs/pull/7/head" {
		t.Fatalf("scan of the cache: %+v %v", res, err)
	}

	// Nothing changed: both skipped. A push to the pull request only: that
	// repository is fetched and scanned again.
	if sum, err := Run(context.Background(), st, ts, o); err != nil || sum.Skipped != 2 {
		t.Fatalf("no-change run: %+v %v", sum, err)
	}
	runGit(t, w, "checkout", "-q", "fork")
	os.WriteFile(filepath.Join(w, "more.txt"), []byte("more\n"), 0o644)
	runGit(t, w, "add", ".")
	runGit(t, w, "commit", "-q", "-m", "more")
	runGit(t, w, "push", "-q", bare, "fork:refs/pull/7/head")
	if sum, err := Run(context.Background(), st, ts, o); err != nil || sum.Scanned != 1 || sum.Skipped != 1 {
		t.Fatalf("after a push to the pull request: %+v %v", sum, err)
	}
}
