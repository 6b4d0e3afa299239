package cli

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
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
			if f.Git.StillPresent == nil || !*f.Git.StillPresent {
				t.Errorf("worktree, %s: still_present %v for a key at HEAD", backend, f.Git.StillPresent)
			}
		}
	}
}

// TestProvenanceWithEqualTimestamps: commits made in one second (a rebase,
// `git am`, a scripted import) are ordered by ancestry: a secret added in
// the second commit and edited in the next three is first introduced in
// the second, with both backends; so is one added in a commit whose author
// date a rebase left earlier than its parent's.
func TestProvenanceWithEqualTimestamps(t *testing.T) {
	const key = "AKIAQYLPMN5HHHFPZAM2"
	r := newGitRepo(t)
	same := []string{"GIT_AUTHOR_DATE=2024-05-01T10:00:00Z", "GIT_COMMITTER_DATE=2024-05-01T10:00:00Z"}
	commit := func(msg string, env ...string) string {
		cmd := exec.Command("git", "commit", "-qm", msg)
		cmd.Dir = r.dir
		cmd.Env = append(r.env(), env...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("commit: %v %s", err, out)
		}
		return strings.TrimSpace(r.run("git", "rev-parse", "HEAD"))
	}
	r.write("README", "hello\n")
	r.run("git", "add", "-A")
	commit("first", same...)
	r.write("app.env", "AWS_ACCESS_KEY_ID="+key+"\n")
	r.run("git", "add", "-A")
	introduced := commit("add key", same...)
	for i := 0; i < 3; i++ {
		r.write("app.env", "AWS_ACCESS_KEY_ID="+key+"\n"+strings.Repeat("# edit\n", i+1))
		r.run("git", "add", "-A")
		commit(fmt.Sprintf("edit %d", i), same...)
	}
	// A commit whose author date is older than its parent's, as a rebase
	// leaves it: a second key added there, then edited.
	const key2 = "AKIAZ3MSJV4WQPTHKR7N"
	r.write("b.env", "AWS_ACCESS_KEY_ID="+key2+"\n")
	r.run("git", "add", "-A")
	introduced2 := commit("add key 2", "GIT_AUTHOR_DATE=2023-01-01T00:00:00Z", "GIT_COMMITTER_DATE=2024-05-01T10:00:05Z")
	r.write("b.env", "AWS_ACCESS_KEY_ID="+key2+"\n# moved\n")
	r.run("git", "add", "-A")
	commit("edit key 2", "GIT_AUTHOR_DATE=2022-01-01T00:00:00Z", "GIT_COMMITTER_DATE=2024-05-01T10:00:06Z")

	for _, backend := range []string{"git", "go-git"} {
		fs := decodeFindings(t, r.achilles(r.dir, "", nil, "git", ".", "-f", "json", "--no-progress", "--git-backend", backend))
		got := map[string]string{}
		for _, f := range fs {
			got[f.Secret] = f.Git.Commit
		}
		if got[key] != introduced {
			t.Errorf("%s: key first introduced in %.12s, want %.12s (the commit that added it)", backend, got[key], introduced)
		}
		if got[key2] != introduced2 {
			t.Errorf("%s: second key first introduced in %.12s, want %.12s", backend, got[key2], introduced2)
		}
	}
}

// TestLinesAtHead: a pull request whose second commit inserts five lines
// above a secret the first added: SARIF (range and full history) points
// at the line `grep -n` finds at the head, and JSON keeps the introducing
// line as introduced_line.
func TestLinesAtHead(t *testing.T) {
	const key = "AKIAQYLPMN5HHHFPZAM2"
	r := newGitRepo(t)
	r.write("README", "base\n")
	r.run("git", "add", "-A")
	r.run("git", "commit", "-qm", "base")
	base := strings.TrimSpace(r.run("git", "rev-parse", "HEAD"))
	r.write("deploy/app.env", "AWS_ACCESS_KEY_ID="+key+"\n")
	r.run("git", "add", "-A")
	r.run("git", "commit", "-qm", "add config")
	r.write("deploy/app.env", "# one\n# two\n# three\n# four\n# five\nAWS_ACCESS_KEY_ID="+key+"\n")
	r.run("git", "commit", "-qam", "document it")
	grep := r.run("grep", "-n", key, "deploy/app.env")
	wantLine, _ := strconv.Atoi(strings.SplitN(grep, ":", 2)[0])
	if wantLine != 6 {
		t.Fatalf("grep -n says %q", grep)
	}
	for _, args := range [][]string{{"--range", base + "..HEAD"}, {}} {
		res := r.achilles(r.dir, "", nil, append([]string{"git", ".", "-f", "sarif", "--no-progress"}, args...)...)
		var log struct {
			Runs []struct {
				Results []struct {
					Locations []struct {
						PhysicalLocation struct {
							ArtifactLocation struct{ URI string } `json:"artifactLocation"`
							Region           struct {
								StartLine int `json:"startLine"`
							} `json:"region"`
						} `json:"physicalLocation"`
					} `json:"locations"`
				} `json:"results"`
			} `json:"runs"`
		}
		if err := json.Unmarshal([]byte(res.stdout), &log); err != nil || len(log.Runs) != 1 || len(log.Runs[0].Results) != 1 {
			t.Fatalf("%v: %v %s %s", args, err, res.stdout, res.stderr)
		}
		loc := log.Runs[0].Results[0].Locations[0].PhysicalLocation
		if loc.ArtifactLocation.URI != "deploy/app.env" || loc.Region.StartLine != wantLine {
			t.Errorf("%v: SARIF points at %s:%d, grep -n at the head says line %d", args, loc.ArtifactLocation.URI, loc.Region.StartLine, wantLine)
		}
		fs := decodeFindings(t, r.achilles(r.dir, "", nil, append([]string{"git", ".", "-f", "json", "--no-progress"}, args...)...))
		if len(fs) != 1 || fs[0].Line != wantLine || fs[0].Git.IntroducedLine != 1 {
			t.Errorf("%v: JSON line %d, introduced_line %d; want %d and 1", args, fs[0].Line, fs[0].Git.IntroducedLine, wantLine)
		}
	}
}
