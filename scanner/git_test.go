package scanner

import (
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/achilles-sec/achilles/scanner/finding"
)

// summary is the part of a finding the history tests assert on.
type summary struct {
	Rule, Secret, Path string
	Line, Column       int
	Commit, Message    string
	Date               string
	StillPresent       bool
}

func summarize(fs []finding.Finding) []summary {
	var out []summary
	for _, f := range fs {
		s := summary{Rule: f.RuleID, Secret: f.Secret, Path: f.Path, Line: f.Line, Column: f.Column}
		if g := f.Git; g != nil {
			s.Commit, s.Message, s.Date = g.Commit, g.Message, g.Date
			s.StillPresent = g.StillPresent != nil && *g.StillPresent
		}
		out = append(out, s)
	}
	return out
}

func TestGitHistoryProvenance(t *testing.T) {
	r := newRepo(t)
	r.write("README.md", "hello\n")
	c1 := r.commit("initial")

	// A secret added, then deleted on main.
	r.write("config/app.env", "x=1\nTOKEN="+tokA+"\n")
	c2 := r.commit("add config with token")
	r.write("config/app.env", "x=1\n")
	r.commit("remove token")

	// The same secret in many commits of one file: reported once, at the
	// commit that introduced it.
	r.write("src/client.go", "package main\n\n// key\nconst key = \""+tokB+"\"\n")
	c4 := r.commit("client with key")
	for i := 0; i < 5; i++ {
		r.write("src/client.go", fmt.Sprintf("package main\n\n// key\nconst key = \"%s\"\n// rev %d\n", tokB, i))
		r.commit(fmt.Sprintf("edit %d", i))
	}

	// A branch with its own secret, merged back.
	r.git("checkout", "-q", "-b", "feature")
	r.write("deploy/secrets.yaml", "password: \"Hx7!pQ2@zL9#\"\n")
	c10 := r.commit("feature secrets")
	r.git("checkout", "-q", "main")
	r.write("other.txt", "unrelated\n")
	r.commit("unrelated on main")
	r.tick++
	r.git("merge", "-q", "--no-ff", "-m", "merge feature", "feature")

	// A branch never merged.
	r.git("checkout", "-q", "-b", "side", c1)
	r.write("side/key.txt", "\n\n   "+tokC+"\n")
	c12 := r.commit("side branch key")
	r.git("checkout", "-q", "main")

	// Vendored code is allowlisted by path.
	r.write("vendor/lib/x.go", tokC+"\n")
	r.commit("vendor a lib")

	want := []summary{
		{Rule: "test-token", Secret: tokA, Path: "config/app.env", Line: 2, Column: 7, Commit: c2, Message: "add config with token", Date: "2024-01-03T10:00:00Z", StillPresent: false},
		{Rule: "test-password", Secret: "Hx7!pQ2@zL9#", Path: "deploy/secrets.yaml", Line: 1, Column: 1, Commit: c10, Message: "feature secrets", Date: "2024-01-11T10:00:00Z", StillPresent: true},
		{Rule: "test-token", Secret: tokC, Path: "side/key.txt", Line: 3, Column: 4, Commit: c12, Message: "side branch key", Date: "2024-01-14T10:00:00Z", StillPresent: false},
		{Rule: "test-token", Secret: tokB, Path: "src/client.go", Line: 4, Column: 14, Commit: c4, Message: "client with key", Date: "2024-01-05T10:00:00Z", StillPresent: true},
	}
	for backend, res := range scanGitBoth(t, r.dir) {
		got := summarize(res.Findings)
		if len(got) != len(want) {
			t.Fatalf("%s: %d findings, want %d:\n%+v", backend, len(got), len(want), got)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("%s: finding %d\n got %+v\nwant %+v", backend, i, got[i], want[i])
			}
		}
		for _, f := range res.Findings {
			if f.Git.Author != "Ada Author" || f.Git.Email != "ada@example.com" {
				t.Errorf("%s: author %q <%s>", backend, f.Git.Author, f.Git.Email)
			}
			if f.Fingerprint != finding.MakeFingerprint(f.RuleID, f.Secret, f.Path) {
				t.Errorf("%s: fingerprint %s", backend, f.Fingerprint)
			}
		}
		// Every unique blob scanned once: README, app.env x2, client.go x6,
		// secrets.yaml, other.txt, side key, vendor (skipped by path).
		if res.Stats.Objects != 12 {
			t.Errorf("%s: scanned %d blobs, want 12", backend, res.Stats.Objects)
		}
	}
}

func TestGitSameContentAtTwoPaths(t *testing.T) {
	r := newRepo(t)
	r.write("a/key.txt", tokA+"\n")
	c1 := r.commit("first")
	r.write("b/key.txt", tokA+"\n")
	c2 := r.commit("copy")
	for backend, res := range scanGitBoth(t, r.dir) {
		got := summarize(res.Findings)
		if len(got) != 2 || got[0].Path != "a/key.txt" || got[0].Commit != c1 || got[1].Path != "b/key.txt" || got[1].Commit != c2 {
			t.Fatalf("%s: %+v", backend, got)
		}
		if res.Stats.Objects != 1 {
			t.Errorf("%s: %d blobs scanned, want 1 (same content)", backend, res.Stats.Objects)
		}
	}
}

func TestGitPathOnlyRuleAndBinary(t *testing.T) {
	r := newRepo(t)
	r.write("app/.env.production", "NOTHING=here\n")
	r.write("img.bin", "\x00\x01\x02"+tokA)
	r.commit("env and binary")
	for backend, res := range scanGitBoth(t, r.dir) {
		got := summarize(res.Findings)
		if len(got) != 1 || got[0].Rule != "test-env-file" || got[0].Path != "app/.env.production" || !got[0].StillPresent {
			t.Fatalf("%s: %+v", backend, got)
		}
		if res.Stats.Binary != 1 {
			t.Errorf("%s: binary = %d, want 1", backend, res.Stats.Binary)
		}
	}
}

// TestGitLargeBlobVersions checks content-defined chunking: many versions of
// a large file find every secret once, with exact lines, while most chunks of
// later versions come from the cache.
func TestGitLargeBlobVersions(t *testing.T) {
	r := newRepo(t)
	var lines []string
	for i := 0; i < 20000; i++ {
		lines = append(lines, fmt.Sprintf("line %05d of the changelog with some ordinary words", i))
	}
	lines[100] = "early " + tokA
	r.write("CHANGELOG", strings.Join(lines, "\n")+"\n")
	r.commit("v0")
	for v := 1; v <= 4; v++ {
		lines = append([]string{fmt.Sprintf("release %d", v)}, lines...)
		r.write("CHANGELOG", strings.Join(lines, "\n")+"\n")
		r.commit(fmt.Sprintf("v%d", v))
	}
	lines[15000] = "late " + tokB
	r.write("CHANGELOG", strings.Join(lines, "\n")+"\n")
	c := r.commit("late secret")
	for backend, res := range scanGitBoth(t, r.dir) {
		got := summarize(res.Findings)
		if len(got) != 2 {
			t.Fatalf("%s: %+v", backend, got)
		}
		// Four releases later the secret sits four lines lower at HEAD,
		// where it is reported; the introducing commit had it on line 101.
		if got[0].Secret != tokA || got[0].Line != 105 || got[0].Column != 7 {
			t.Errorf("%s: first %+v", backend, got[0])
		}
		for _, f := range res.Findings {
			if f.Secret == tokA && f.Git.IntroducedLine != 101 {
				t.Errorf("%s: introduced_line %d, want 101", backend, f.Git.IntroducedLine)
			}
		}
		if got[1].Secret != tokB || got[1].Line != 15001 || got[1].Column != 6 || got[1].Commit != c {
			t.Errorf("%s: second %+v", backend, got[1])
		}
		if res.Stats.ChunksDeduped == 0 {
			t.Errorf("%s: no chunk was served from the cache", backend)
		}
	}
}

func TestGitNotARepository(t *testing.T) {
	var w warnings
	_, err := ScanGit(t.Context(), testOptions(t, &w), GitOptions{}, t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "opening repository") {
		t.Fatalf("got %v", err)
	}
}

// A SHA-256 repository is refused with a message that says so, not read
// in part.
func TestGitSHA256RepositoryIsRefused(t *testing.T) {
	dir := t.TempDir()
	if out, err := exec.Command("git", "init", "-q", "--object-format=sha256", dir).CombinedOutput(); err != nil {
		t.Skipf("this git cannot make a SHA-256 repository: %v: %s", err, out)
	}
	var w warnings
	_, err := ScanGit(t.Context(), testOptions(t, &w), GitOptions{}, dir)
	if !errors.Is(err, ErrTarget) || !strings.Contains(err.Error(), "SHA-256") {
		t.Fatalf("got %v", err)
	}
}

func TestGitReportsAreDeterministic(t *testing.T) {
	r := newRepo(t)
	for i := 0; i < 30; i++ {
		r.write(fmt.Sprintf("f%02d.txt", i), fmt.Sprintf("%s\n%s\n", tokA, tokB))
		r.commit(fmt.Sprintf("c%d", i))
	}
	var first []byte
	for jobs := 1; jobs <= 4; jobs++ {
		var w warnings
		opts := testOptions(t, &w)
		opts.Jobs = jobs
		res, err := ScanGit(t.Context(), opts, GitOptions{}, r.dir)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(res.Findings)
		if first == nil {
			first = b
		} else if string(b) != string(first) {
			t.Fatalf("jobs=%d gave a different report", jobs)
		}
	}
}
