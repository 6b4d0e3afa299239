package scanner

import (
	"testing"
)

// A commit that only a pull or merge request ref reaches is scanned, and
// its findings name that ref; one a branch also reaches does not, whatever
// refs reach it too.
func TestGitHiddenRefs(t *testing.T) {
	r := newRepo(t)
	r.write("README.md", "hello\n")
	base := r.commit("initial")

	// Pull request 7: two commits, the second adds a key; its head is kept
	// only as refs/pull/7/head (the branch is gone, as on a fork).
	r.git("checkout", "-q", "-b", "pr7")
	r.write("notes.txt", "wip\n")
	r.commit("pr 7 first")
	r.write("pr/key.txt", "TOKEN="+tokA+"\n")
	pr7 := r.commit("pr 7 adds a key")
	// The forge's test merge of pull request 7 into main, and pull request
	// 10 stacked on 7 with a key of its own.
	r.git("checkout", "-q", "main")
	r.tick++
	r.git("merge", "-q", "--no-ff", "-m", "test merge", "pr7")
	merge := r.git("rev-parse", "HEAD")
	r.git("reset", "-q", "--hard", base)
	r.git("checkout", "-q", "-b", "pr10", pr7)
	r.write("pr/other.txt", "TOKEN="+tokB+"\n")
	pr10 := r.commit("pr 10 adds a key")
	// A merge request whose commit was also merged into main: not hidden.
	r.git("checkout", "-q", "main")
	r.write("main.txt", "TOKEN="+tokC+"\n")
	onMain := r.commit("main adds a key")
	r.git("update-ref", "refs/pull/10/head", pr10)
	r.git("update-ref", "refs/pull/7/merge", merge)
	r.git("update-ref", "refs/pull/7/head", pr7)
	r.git("update-ref", "refs/merge-requests/3/head", onMain)
	r.git("branch", "-q", "-D", "pr7", "pr10")

	for backend, res := range scanGitBoth(t, r.dir) {
		got := map[string]string{}
		commits := map[string]string{}
		for _, f := range res.Findings {
			got[f.Secret] = f.Git.HiddenRef
			commits[f.Secret] = f.Git.Commit
		}
		if len(res.Findings) != 3 {
			t.Fatalf("%s: %d findings, want 3: %+v", backend, len(res.Findings), summarize(res.Findings))
		}
		for secret, want := range map[string]string{tokA: "refs/pull/7/head", tokB: "refs/pull/10/head", tokC: ""} {
			if got[secret] != want {
				t.Errorf("%s: %s hidden_ref %q, want %q", backend, secret[:8], got[secret], want)
			}
		}
		if commits[tokA] != pr7 || commits[tokB] != pr10 || commits[tokC] != onMain {
			t.Errorf("%s: commits %v", backend, commits)
		}
	}
}

// Without hidden refs nothing is marked (and nothing more is run than a
// ref listing).
func TestGitNoHiddenRefs(t *testing.T) {
	r := newRepo(t)
	r.write("a.txt", "TOKEN="+tokA+"\n")
	r.commit("key")
	r.git("checkout", "-q", "-b", "side")
	r.write("b.txt", "TOKEN="+tokB+"\n")
	r.commit("side key")
	r.git("update-ref", "refs/notes/other", "HEAD")
	r.git("checkout", "-q", "main")
	r.git("branch", "-q", "-D", "side")
	for backend, res := range scanGitBoth(t, r.dir) {
		if len(res.Findings) != 2 {
			t.Fatalf("%s: %d findings", backend, len(res.Findings))
		}
		for _, f := range res.Findings {
			if f.Git.HiddenRef != "" {
				t.Errorf("%s: %s marked %q", backend, f.Path, f.Git.HiddenRef)
			}
		}
	}
}

func TestNaturalLess(t *testing.T) {
	in := []string{"refs/pull/10/head", "refs/pull/7/merge", "refs/pull/7/head", "refs/merge-requests/2/head", "refs/pull/007/head"}
	for i, a := range in {
		for j, b := range in {
			if i != j && naturalLess(a, b) && naturalLess(b, a) {
				t.Fatalf("%s and %s both less", a, b)
			}
		}
	}
	if !naturalLess("refs/pull/7/head", "refs/pull/10/head") || !naturalLess("refs/pull/7/head", "refs/pull/7/merge") ||
		naturalLess("refs/pull/10/head", "refs/pull/9/head") {
		t.Fatal("natural order wrong")
	}
}
