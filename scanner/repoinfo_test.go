package scanner

import (
	"context"
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
