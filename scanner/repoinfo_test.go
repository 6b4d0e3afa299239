package scanner

import (
	"context"
	"path/filepath"
	"testing"
)

func TestRemoteURI(t *testing.T) {
	for in, want := range map[string]string{
		"git@github.com:achilles-sec/achilles.git": "ssh://github.com/achilles-sec/achilles.git",
		"git@github.com:o/r.git?token=SECRET#frag": "ssh://github.com/o/r.git",
		"github.com:o/r": "ssh://github.com/o/r",
		"https://x-access-token:ghs_SECRET@github.com/o/r.git": "https://github.com/o/r.git",
		"https://github.com/o/r":                               "https://github.com/o/r",
		"ssh://git:pw@host:2222/o/r.git":                       "ssh://host:2222/o/r.git",
		"ssh://ghp_TOKEN@host/o/r.git":                         "ssh://host/o/r.git",
		"https://host/o/r.git?private_token=SECRET":            "https://host/o/r.git",
		"https://host/o/r.git#SECRET":                          "https://host/o/r.git",
		"https://host/o/r.git?#":                               "https://host/o/r.git",
		"https://user@host/o/r.git":                            "https://host/o/r.git",
		"/srv/git/r.git":                                       "",
		"file:///srv/git/r.git":                                "",
		"../r":                                                 "",
		"":                                                     "",
	} {
		if got := remoteURI(in); got != want {
			t.Errorf("%q: got %q, want %q", in, got, want)
		}
	}
}

func TestRepositoryInfo(t *testing.T) {
	r := newRepo(t)
	if info := RepositoryInfo(context.Background(), r.dir); info != (RepoInfo{Branch: "main"}) {
		t.Fatalf("empty repository: %+v", info)
	}
	head := r.commit("one")
	r.git("remote", "add", "origin", "https://u:tok@example.com/o/r.git")
	want := RepoInfo{URI: "https://example.com/o/r.git", Revision: head, Branch: "main"}
	if info := RepositoryInfo(context.Background(), r.dir); info != want {
		t.Fatalf("got %+v, want %+v", info, want)
	}
}

// WorkTreeTop finds the top of the work tree from a subfolder and from a
// linked work tree, tells a bare repository, and gives nothing for a
// repository's git folder or a folder outside any repository.
func TestWorkTreeTop(t *testing.T) {
	ctx := context.Background()
	r := newRepo(t)
	r.write("sub/f.txt", "x\n")
	r.commit("one")
	real := func(p string) string {
		t.Helper()
		q, err := filepath.EvalSymlinks(p)
		if err != nil {
			t.Fatal(err)
		}
		return q
	}
	for _, dir := range []string{r.dir, filepath.Join(r.dir, "sub")} {
		if top, bare := WorkTreeTop(ctx, dir); real(top) != real(r.dir) || bare {
			t.Errorf("%s: top %q bare %v, want %q", dir, top, bare, r.dir)
		}
	}
	linked := filepath.Join(t.TempDir(), "linked")
	r.git("worktree", "add", "-q", linked)
	if top, bare := WorkTreeTop(ctx, linked); real(top) != real(linked) || bare {
		t.Errorf("linked work tree: top %q bare %v, want %q", top, bare, linked)
	}
	bareDir := filepath.Join(t.TempDir(), "b.git")
	r.git("clone", "-q", "--bare", r.dir, bareDir)
	if top, bare := WorkTreeTop(ctx, bareDir); top != "" || !bare {
		t.Errorf("bare repository: top %q bare %v", top, bare)
	}
	if top, bare := WorkTreeTop(ctx, filepath.Join(r.dir, ".git")); top != "" || bare {
		t.Errorf("git folder: top %q bare %v", top, bare)
	}
	outside := t.TempDir()
	t.Setenv("GIT_CEILING_DIRECTORIES", filepath.Dir(outside))
	if top, bare := WorkTreeTop(ctx, outside); top != "" || bare {
		t.Errorf("no repository: top %q bare %v", top, bare)
	}
}
