package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestGitFromSubfolderBareAndWorktree: `achilles git` run in a subfolder
// scans the whole repository with the root's .achillesignore; a bare clone
// reads its .achilles.toml from HEAD; a linked work tree finds HEAD (so
// still_present is set), with both backends.
func TestGitFromSubfolderBareAndWorktree(t *testing.T) {
	const kept, ignored = "AKIAQYLPMN5HHHFPZAM2", "AKIAZ3MSJV4WQPTHKR7N"
	r := newGitRepo(t)
	r.write("sub/keep.env", "AWS_ACCESS_KEY_ID="+kept+"\n")
	r.write("other/old.env", "AWS_ACCESS_KEY_ID="+ignored+"\n")
	r.run("git", "add", "-A")
	r.run("git", "commit", "-qm", "keys")
	first := decodeFindings(t, r.achilles(r.dir, "", nil, "git", ".", "-f", "json", "--no-progress"))
	var fp string
	for _, f := range first {
		if f.Secret == ignored {
			fp = f.Fingerprint
		}
	}
	if fp == "" {
		t.Fatalf("the second key was not found: %+v", first)
	}
	r.write(".achillesignore", fp+"\n")
	// The repository also allowlists a path in its own configuration.
	r.write(".achilles.toml", "[[allowlists]]\ndescription = \"fixtures\"\npaths = ['''^fixtures/''']\n")
	r.write("fixtures/f.env", "AWS_ACCESS_KEY_ID=AKIAMX7JQ2NDLW5TRHV4\n")
	r.run("git", "add", "-A")
	r.run("git", "commit", "-qm", "triage")

	secrets := func(res result) map[string]bool {
		out := map[string]bool{}
		for _, f := range decodeFindings(t, res) {
			out[f.Secret] = true
		}
		return out
	}
	want := func(where string, res result) {
		t.Helper()
		got := secrets(res)
		if res.code != ExitFindings || !got[kept] || got[ignored] || got["AKIAMX7JQ2NDLW5TRHV4"] || len(got) != 1 {
			t.Errorf("%s: exit %d, secrets %v: want only the kept key (stderr %s)", where, res.code, got, res.stderr)
		}
	}
	want("root", r.achilles(r.dir, "", nil, "git", ".", "-f", "json", "--no-progress"))
	want("subfolder", r.achilles(filepath.Join(r.dir, "sub"), "", nil, "git", "-f", "json", "--no-progress"))

	bare := filepath.Join(t.TempDir(), "bare.git")
	r.run("git", "clone", "-q", "--bare", r.dir, bare)
	want("bare clone", r.achilles(bare, "", nil, "git", ".", "-f", "json", "--no-progress"))

	wt := filepath.Join(t.TempDir(), "wt")
	r.run("git", "worktree", "add", "-q", wt)
	for _, backend := range []string{"git", "go-git"} {
		res := r.achilles(wt, "", nil, "git", ".", "-f", "json", "--no-progress", "--git-backend", backend)
		want("worktree, "+backend, res)
		if strings.Contains(res.stderr, "still_present is left out") {
			t.Errorf("worktree, %s: HEAD not found: %s", backend, res.stderr)
		}
		for _, f := range decodeFindings(t, res) {
			if f.StillPresent == nil || !*f.StillPresent {
				t.Errorf("worktree, %s: still_present %v for a key at HEAD", backend, f.StillPresent)
			}
		}
	}
}
