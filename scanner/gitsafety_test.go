package scanner

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// The overrides outrank whatever the repository's own config says: git,
// asked through gitCommand, reports the override for every key a
// repository could point at a program.
func TestGitCommandOverridesRepositoryConfig(t *testing.T) {
	r := newRepo(t)
	evil := "/bin/sh -c 'touch /tmp/achilles-should-not-exist'"
	want := map[string]string{
		"core.fsmonitor":      "false",
		"core.hooksPath":      os.DevNull,
		"core.pager":          "cat",
		"core.sshCommand":     "false",
		"core.askPass":        "",
		"core.useReplaceRefs": "false",
		"credential.helper":   "",
		"log.showSignature":   "false",
		"gpg.program":         "false",
		"gpg.ssh.program":     "false",
		"protocol.allow":      "never",
		"protocol.file.allow": "never",
		"protocol.ext.allow":  "never",
	}
	for key := range want {
		r.git("config", key, evil)
	}
	for key, v := range want {
		out, err := gitCommand(t.Context(), r.dir, "config", "--get", key).Output()
		if err != nil && v != "" {
			t.Errorf("%s: %v", key, err)
			continue
		}
		if got := strings.TrimSpace(string(out)); got != v {
			t.Errorf("%s: git uses %q, want the override %q", key, got, v)
		}
	}
	env := strings.Join(gitCommand(t.Context(), r.dir, "version").Env, "\n")
	for _, kv := range []string{"GIT_NO_LAZY_FETCH=1", "GIT_NO_REPLACE_OBJECTS=1", "GIT_TERMINAL_PROMPT=0", "GIT_CONFIG_NOSYSTEM=1"} {
		if !strings.Contains(env, kv) {
			t.Errorf("environment lacks %s", kv)
		}
	}
}

func TestSplitRevisions(t *testing.T) {
	for _, c := range []struct {
		in           []string
		pseudo, revs []string
		ok           bool
	}{
		{[]string{"a..b"}, nil, []string{"a..b"}, true},
		{[]string{"abc", "--not", "--remotes"}, []string{"--not", "--remotes", "--not"}, []string{"abc"}, true},
		{[]string{"abc", "--not", "def"}, nil, []string{"abc", "^def"}, true},
		{[]string{"--output=x..HEAD"}, nil, nil, false},
		{[]string{"HEAD", "-p"}, nil, nil, false},
		{[]string{""}, nil, nil, false},
		{[]string{"--not", "--remotes"}, nil, nil, false},
		{[]string{"x", "--not", "a..b"}, nil, nil, false},
		{[]string{"--all"}, nil, nil, false},
	} {
		pseudo, revs, err := splitRevisions(c.in)
		if (err == nil) != c.ok {
			t.Errorf("%q: err %v", c.in, err)
			continue
		}
		if err != nil {
			if !errors.Is(err, ErrTarget) {
				t.Errorf("%q: %v does not wrap ErrTarget", c.in, err)
			}
			continue
		}
		if !reflect.DeepEqual(pseudo, c.pseudo) || !reflect.DeepEqual(revs, c.revs) {
			t.Errorf("%q: got %q %q, want %q %q", c.in, pseudo, revs, c.pseudo, c.revs)
		}
	}
}

// A revision is never read as an option, and the scan says so.
func TestScanGitRevisionOptionRefused(t *testing.T) {
	r := newRepo(t)
	r.write("a.env", "k="+tokA+"\n")
	r.commit("one")
	out := filepath.Join(t.TempDir(), "out")
	var w warnings
	_, err := ScanGit(t.Context(), testOptions(t, &w), GitOptions{Revisions: []string{"--output=" + out}}, r.dir)
	if !errors.Is(err, ErrTarget) {
		t.Fatalf("want ErrTarget, got %v", err)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("git wrote the file an option named")
	}
}

// Replace refs and grafts can show git other history than the objects
// hold; neither hides a secret from a scan.
func TestScanGitIgnoresReplaceRefsAndGrafts(t *testing.T) {
	r := newRepo(t)
	r.write("a.env", "k="+tokA+"\n")
	secret := r.commit("secret")
	r.write("a.env", "k=nothing\n")
	clean := r.commit("clean")
	// The secret commit replaced by a clean one with the same parents.
	r.git("replace", "--graft", clean)
	r.git("replace", secret, clean)
	var w warnings
	res, err := ScanGit(t.Context(), testOptions(t, &w), GitOptions{Backend: "git"}, r.dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 1 || res.Findings[0].Secret != tokA {
		t.Errorf("replace refs hid the secret: %+v", summarize(res.Findings))
	}
	// A graft that makes the clean commit a root.
	r.git("replace", "-d", secret)
	r.git("replace", "-d", clean)
	if err := os.WriteFile(filepath.Join(r.dir, ".git", "info", "grafts"), []byte(clean+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err = ScanGit(t.Context(), testOptions(t, &w), GitOptions{Backend: "git"}, r.dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 1 || res.Findings[0].Secret != tokA {
		t.Errorf("a graft hid the secret: %+v", summarize(res.Findings))
	}
}

// A ref naming a missing object fails the scan with either backend; a
// folder that is no repository does too.
func TestScanGitUnreadableTargetFails(t *testing.T) {
	r := newRepo(t)
	r.write("a.env", "k="+tokA+"\n")
	r.commit("one")
	if err := os.WriteFile(filepath.Join(r.dir, ".git", "refs", "heads", "broken"), []byte(strings.Repeat("cd", 20)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, backend := range []string{"git", "go-git"} {
		var w warnings
		_, err := ScanGit(t.Context(), testOptions(t, &w), GitOptions{Backend: backend}, r.dir)
		if !errors.Is(err, ErrTarget) {
			t.Errorf("%s: a broken ref: want ErrTarget, got %v", backend, err)
		}
	}
	var w warnings
	if _, err := ScanStaged(t.Context(), testOptions(t, &w), t.TempDir()); !errors.Is(err, ErrTarget) || !strings.Contains(err.Error(), "not a git repository") {
		t.Errorf("staged scan of a plain folder: %v", err)
	}
}
