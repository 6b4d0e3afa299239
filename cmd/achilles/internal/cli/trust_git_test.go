package cli

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Trust boundary, git side: a scanned repository's own configuration must
// not make git run anything, revisions never become options, a repository
// git cannot read fails the scan, and `ignore add` writes only where it
// says. Every vector runs the built binary against a real repository.

// achilles runs the built binary in dir with the repository's test
// environment (plus extra variables) and stdin.
func (r *gitRepo) achilles(dir, stdin string, extraEnv []string, args ...string) result {
	r.t.Helper()
	return execAchilles(r.t, dir, append(r.env(), extraEnv...), stdin, args...)
}

// markerScript writes a shell script that creates marker when it runs (and
// then runs rest, if any) and returns the script's path.
func markerScript(t *testing.T, marker, rest string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "evil.sh")
	if err := os.WriteFile(p, []byte("#!/bin/sh\ntouch '"+marker+"'\n"+rest+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func assertNoMarker(t *testing.T, marker, what string) {
	t.Helper()
	if _, err := os.Stat(marker); err == nil {
		t.Errorf("%s: the repository's configured program ran (%s exists)", what, marker)
		os.Remove(marker)
	}
}

// assertKeyReported checks exit 1 and that the planted key is in the
// JSON-lines output.
func assertKeyReported(t *testing.T, res result, what string) {
	t.Helper()
	if res.code != ExitFindings || !strings.Contains(res.stdout, tokA) {
		t.Errorf("%s: want exit %d with the planted key reported, got %d\nstdout: %s\nstderr: %s", what, ExitFindings, res.code, res.stdout, res.stderr)
	}
}

// baseAndSecret makes a repository with a base commit and a commit that
// adds a.env holding tokA; it returns the base commit.
func baseAndSecret(t *testing.T) (*gitRepo, string) {
	r := newGitRepo(t)
	r.write("README", "hello\n")
	r.run("git", "add", "-A")
	r.run("git", "commit", "-qm", "base")
	base := strings.TrimSpace(r.run("git", "rev-parse", "HEAD"))
	r.write("a.env", "T="+tokA+"\n")
	r.write("b.txt", "another blob\n")
	r.run("git", "add", "-A")
	r.run("git", "commit", "-qm", "secret")
	return r, base
}

// Vector 2: log.showSignature with gpg.program and a signed commit.
func TestTrustGitSignatureProgramNeverRuns(t *testing.T) {
	r, base := baseAndSecret(t)
	// A "signed" commit: the secret commit again with a gpgsig header.
	raw := r.run("git", "cat-file", "commit", "HEAD")
	hdr, msg, _ := strings.Cut(raw, "\n\n")
	signed := hdr + "\ngpgsig -----BEGIN PGP SIGNATURE-----\n \n iQEzBAABCAAdFiEE\n -----END PGP SIGNATURE-----\n\n" + msg
	cmd := exec.Command("git", "hash-object", "-t", "commit", "-w", "--stdin")
	cmd.Dir, cmd.Env, cmd.Stdin = r.dir, r.env(), strings.NewReader(signed)
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	sha := strings.TrimSpace(string(out))
	r.run("git", "update-ref", "refs/heads/main", sha)
	marker := filepath.Join(t.TempDir(), "gpg-ran")
	r.run("git", "config", "log.showSignature", "true")
	r.run("git", "config", "gpg.program", markerScript(t, marker, "exit 1"))
	// The vector is armed: plain git runs the program.
	r.try("git", "log", "-1", "--format=%H")
	if _, err := os.Stat(marker); err != nil {
		t.Fatalf("setup: git log did not run gpg.program, so this test proves nothing")
	}
	os.Remove(marker)

	cfg := []string{"-c", r.config(), "-f", "jsonl", "--no-progress"}
	for _, c := range []struct {
		name, stdin string
		args        []string
	}{
		{"history", "", []string{"git", "."}},
		{"--since", "", []string{"git", ".", "--since", base}},
		{"--range", "", []string{"git", ".", "--range", base + "..HEAD"}},
		{"--pre-push", "refs/heads/main " + sha + " refs/heads/main " + base + "\n", []string{"git", ".", "--pre-push"}},
	} {
		res := r.achilles(r.dir, c.stdin, nil, append(c.args, cfg...)...)
		assertNoMarker(t, marker, c.name)
		assertKeyReported(t, res, c.name)
	}
}

// Vector 2: a partial clone whose promisor remote's upload-pack is a
// program, with a blob missing, so reading it would lazily fetch.
func TestTrustGitLazyFetchNeverRuns(t *testing.T) {
	src, base := baseAndSecret(t)
	missing := strings.TrimSpace(src.run("git", "rev-parse", "HEAD:b.txt"))
	r := &gitRepo{t: t, dir: filepath.Join(t.TempDir(), "clone")}
	src.run("git", "clone", "-q", "--no-local", src.dir, r.dir)
	marker := filepath.Join(t.TempDir(), "upload-pack-ran")
	// As `git clone --filter` writes it.
	r.run("git", "config", "core.repositoryFormatVersion", "1")
	r.run("git", "config", "extensions.partialClone", "origin")
	r.run("git", "config", "remote.origin.promisor", "true")
	r.run("git", "config", "remote.origin.url", src.dir)
	// A repository that allows the file transport itself must not get its
	// way either.
	r.run("git", "config", "protocol.file.allow", "always")
	r.run("git", "config", "remote.origin.uploadpack", markerScript(t, marker, `exec git-upload-pack "$@"`))
	// Every object loose, then the blob removed.
	packs, _ := filepath.Glob(filepath.Join(r.dir, ".git", "objects", "pack", "*.pack"))
	for _, p := range packs {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		moved := filepath.Join(t.TempDir(), "p.pack")
		os.WriteFile(moved, data, 0o644)
		os.Remove(p)
		os.Remove(strings.TrimSuffix(p, ".pack") + ".idx")
		cmd := exec.Command("git", "unpack-objects", "-q")
		cmd.Dir, cmd.Env = r.dir, r.env()
		f, _ := os.Open(moved)
		cmd.Stdin = f
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("unpack-objects: %v\n%s", err, out)
		}
		f.Close()
	}
	dropBlob := func() {
		os.Remove(filepath.Join(r.dir, ".git", "objects", missing[:2], missing[2:]))
		ps, _ := filepath.Glob(filepath.Join(r.dir, ".git", "objects", "pack", "*"))
		for _, p := range ps {
			os.Remove(p)
		}
	}
	dropBlob()
	// The vector is armed: plain git fetches the blob through the program.
	r.try("git", "cat-file", "-p", missing)
	if _, err := os.Stat(marker); err != nil {
		t.Fatalf("setup: git cat-file did not run the promisor's upload-pack, so this test proves nothing")
	}
	os.Remove(marker)
	dropBlob()

	cfg := []string{"-c", r.config(), "-f", "jsonl", "--no-progress"}
	for _, c := range []struct {
		name string
		args []string
	}{
		{"--since", []string{"git", ".", "--since", base}},
		{"--range", []string{"git", ".", "--range", base + "..HEAD"}},
	} {
		res := r.achilles(r.dir, "", nil, append(c.args, cfg...)...)
		assertNoMarker(t, marker, c.name)
		assertKeyReported(t, res, c.name)
		if !strings.Contains(res.stderr, missing) && !strings.Contains(res.stderr, "missing") {
			t.Errorf("%s: no warning about the missing blob: %s", c.name, res.stderr)
		}
	}
	// A full history scan opens the repository with go-git first, which
	// does not read partial clones: it fails (exit 2), and runs nothing.
	res := r.achilles(r.dir, "", nil, append([]string{"git", "."}, cfg...)...)
	assertNoMarker(t, marker, "history")
	if res.code != ExitUsage && !(res.code == ExitFindings && strings.Contains(res.stdout, tokA)) {
		t.Errorf("history: want exit %d, or the key reported, got %d: %s", ExitUsage, res.code, res.stderr)
	}
}

// Vector 2: core.fsmonitor runs a program whenever git reads the index.
func TestTrustGitFsmonitorNeverRuns(t *testing.T) {
	r := newGitRepo(t)
	r.write("README", "hello\n")
	r.run("git", "add", "-A")
	r.run("git", "commit", "-qm", "base")
	r.write("a.env", "T="+tokA+"\n")
	r.run("git", "add", "a.env")
	marker := filepath.Join(t.TempDir(), "fsmonitor-ran")
	r.run("git", "config", "core.fsmonitor", markerScript(t, marker, "exit 1"))
	r.try("git", "status", "--short")
	if _, err := os.Stat(marker); err != nil {
		t.Fatalf("setup: git status did not run core.fsmonitor, so this test proves nothing")
	}
	os.Remove(marker)

	res := r.achilles(r.dir, "", nil, "git", ".", "--staged", "-c", r.config(), "-f", "jsonl", "--no-progress")
	assertNoMarker(t, marker, "git --staged")
	assertKeyReported(t, res, "git --staged")
	res = r.achilles(r.dir, "", nil, "precommit", "-c", r.config(), "-f", "jsonl")
	assertNoMarker(t, marker, "precommit")
	assertKeyReported(t, res, "precommit")
	res = r.achilles(r.dir, "", nil, "precommit", "a.env", "-c", r.config(), "-f", "jsonl")
	assertNoMarker(t, marker, "precommit a.env")
	assertKeyReported(t, res, "precommit a.env")
}

// Vector 4: a repository git refuses to read fails the scan (exit 2) with
// git's reason; ACHILLES_SAFE_DIRECTORY is the opt-in that lets git read it.
func TestTrustGitDubiousOwnershipFails(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give the repository to another user (git refuses a repository another user owns)")
	}
	r, base := baseAndSecret(t)
	const nobody = 65534
	err := filepath.Walk(r.dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, nobody, nobody)
	})
	if err != nil {
		t.Fatal(err)
	}
	if out, code := r.try("git", "rev-parse", "HEAD"); code == 0 {
		t.Fatalf("setup: git still reads the repository: %s", out)
	}
	cfg := []string{"-c", r.config(), "-f", "sarif", "--no-progress"}
	for _, c := range []struct {
		name   string
		reason bool // the message must carry git's reason
		args   []string
	}{
		{"history", true, []string{"git", "."}},
		{"--staged", true, []string{"git", ".", "--staged"}},
		{"--since", false, []string{"git", ".", "--since", base}},
		{"--range", false, []string{"git", ".", "--range", base + "..HEAD"}},
	} {
		res := r.achilles(r.dir, "", []string{"SUDO_UID="}, append(c.args, cfg...)...)
		if res.code != ExitUsage || c.reason && !strings.Contains(res.stderr, "dubious ownership") {
			t.Errorf("%s: want exit %d naming git's reason, got %d\nstderr: %s", c.name, ExitUsage, res.code, res.stderr)
		}
		if strings.Contains(res.stderr, "0 findings") {
			t.Errorf("%s: a scan that read nothing reported 0 findings: %s", c.name, res.stderr)
		}
	}
	res := r.achilles(r.dir, "", []string{"ACHILLES_SAFE_DIRECTORY=" + r.dir}, "git", ".", "-c", r.config(), "-f", "jsonl", "--no-progress")
	assertKeyReported(t, res, "ACHILLES_SAFE_DIRECTORY")
}

// Vector 4: a ref naming an object the repository lacks fails the scan,
// with either backend.
func TestTrustGitBrokenRefFails(t *testing.T) {
	r, _ := baseAndSecret(t)
	if err := os.WriteFile(filepath.Join(r.dir, ".git", "refs", "heads", "broken"), []byte(strings.Repeat("ab", 20)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, backend := range []string{"git", "go-git"} {
		res := r.achilles(r.dir, "", nil, "git", ".", "--git-backend", backend, "-c", r.config(), "-f", "sarif", "--no-progress")
		if res.code != ExitUsage {
			t.Errorf("%s: a broken ref: want exit %d, got %d\nstdout: %s\nstderr: %s", backend, ExitUsage, res.code, res.stdout, res.stderr)
		}
		if strings.Contains(res.stderr, "0 findings") {
			t.Errorf("%s: reported 0 findings: %s", backend, res.stderr)
		}
	}
}

// Vector 5: revisions given to --range, --since and --pre-push never
// become git options.
func TestTrustGitRevisionsNeverBecomeOptions(t *testing.T) {
	r, base := baseAndSecret(t)
	outDir := t.TempDir()
	out := filepath.Join(outDir, "written-by-git")
	cfg := []string{"-c", r.config(), "-f", "jsonl", "--no-progress"}
	for _, c := range []struct {
		name, stdin string
		args        []string
	}{
		{"--range", "", []string{"git", ".", "--range", "--output=" + out + "..HEAD"}},
		{"--since", "", []string{"git", ".", "--since", "--output=" + out}},
		{"--range end", "", []string{"git", ".", "--range", base + "..--output=" + out}},
		{"--pre-push", "refs/heads/main --output=" + out + " refs/heads/main " + base + "\n", []string{"git", ".", "--pre-push"}},
	} {
		res := r.achilles(r.dir, c.stdin, nil, append(c.args, cfg...)...)
		// git would write "written-by-git..HEAD" or "written-by-git".
		if written, _ := os.ReadDir(outDir); len(written) > 0 {
			t.Errorf("%s: git wrote %s", c.name, written[0].Name())
			os.RemoveAll(outDir)
			os.Mkdir(outDir, 0o755)
		}
		if res.code != ExitUsage {
			t.Errorf("%s: want exit %d, got %d\nstdout: %s\nstderr: %s", c.name, ExitUsage, res.code, res.stdout, res.stderr)
		}
	}
	// The same range, given properly, holds the key.
	assertKeyReported(t, r.achilles(r.dir, "", nil, append([]string{"git", ".", "--range", base + "..HEAD"}, cfg...)...), "--range base..HEAD")
	assertKeyReported(t, r.achilles(r.dir, "", nil, append([]string{"git", ".", "--since", base}, cfg...)...), "--since base")
}

// Vector 7: `ignore add` never writes through a committed symlink, and a
// fingerprint cannot add a line of its own.
func TestTrustGitIgnoreAddRefusesSymlinkAndControlCharacters(t *testing.T) {
	r := newGitRepo(t)
	home := t.TempDir()
	bashrc := filepath.Join(home, ".bashrc")
	const original = "export PATH=$PATH:/usr/local/bin\n"
	os.WriteFile(bashrc, []byte(original), 0o644)
	rel, err := filepath.Rel(r.dir, bashrc)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(rel, filepath.Join(r.dir, ".achillesignore")); err != nil {
		t.Fatal(err)
	}
	r.run("git", "add", "-A")
	r.run("git", "commit", "-qm", "ignore file")
	fp := "generic:0123456789abcdef:a$(touch " + filepath.Join(home, "ran") + ").env"
	res := r.achilles(r.dir, "", nil, "ignore", "add", fp)
	if res.code != ExitUsage || !strings.Contains(res.stderr, "symbolic link") {
		t.Errorf("symlinked .achillesignore: want exit %d and a clear error, got %d: %s", ExitUsage, res.code, res.stderr)
	}
	if got, _ := os.ReadFile(bashrc); string(got) != original {
		t.Errorf("the symlink's target was written: %q", got)
	}
	// --file names the link directly: refused the same way.
	res = r.achilles(r.dir, "", nil, "ignore", "add", "--file", filepath.Join(r.dir, ".achillesignore"), fp)
	if res.code != ExitUsage {
		t.Errorf("--file through a symlink: exit %d: %s", res.code, res.stderr)
	}
	if got, _ := os.ReadFile(bashrc); string(got) != original {
		t.Errorf("the symlink's target was written: %q", got)
	}

	// A regular file: a fingerprint with a control character is refused
	// and nothing is written; a plain one is appended as one line.
	plain := filepath.Join(t.TempDir(), "ignore")
	for _, bad := range []string{"rule:abc:a\nrm -rf ~", "rule:abc:a\rb", "rule:abc:a\x1b[2Jb", "rule:abc:a\u0085b", "rule:abc:a\x85b"} {
		res = r.achilles(r.dir, "", nil, "ignore", "add", "--file", plain, "rule:ok:x", bad)
		if res.code != ExitUsage {
			t.Errorf("%q: want exit %d, got %d", bad, ExitUsage, res.code)
		}
		if _, err := os.Stat(plain); err == nil {
			t.Fatalf("%q: the ignore file was written", bad)
		}
	}
	res = r.achilles(r.dir, "", nil, "ignore", "add", "--file", plain, fp)
	if res.code != 0 {
		t.Fatalf("a regular file: exit %d: %s", res.code, res.stderr)
	}
	if got, _ := os.ReadFile(plain); string(got) != fp+"\n" {
		t.Errorf("ignore file holds %q", got)
	}
}

// still_present must hold for paths git quotes (a tab, a newline).
func TestTrustGitStillPresentForQuotedPaths(t *testing.T) {
	r := newGitRepo(t)
	for _, p := range []string{"a\tb.env", "c\nd.env", "dir\t1/e.env", "gone.env"} {
		r.write(p, "T="+tokA+"\n")
	}
	r.run("git", "add", "-A")
	r.run("git", "commit", "-qm", "odd paths")
	r.run("git", "rm", "-q", "gone.env")
	r.run("git", "commit", "-qm", "remove one")
	res := r.achilles(r.dir, "", nil, "git", ".", "-c", r.config(), "-f", "jsonl", "--no-progress")
	if res.code != ExitFindings {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	want := map[string]bool{"a\tb.env": true, "c\nd.env": true, "dir\t1/e.env": true, "gone.env": false}
	got := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(res.stdout), "\n") {
		var f struct {
			Path         string `json:"path"`
			StillPresent *bool  `json:"still_present"`
		}
		if err := json.Unmarshal([]byte(line), &f); err != nil {
			t.Fatal(err)
		}
		if f.StillPresent == nil {
			t.Errorf("%q: no still_present", f.Path)
			continue
		}
		got[f.Path] = *f.StillPresent
	}
	for p, present := range want {
		if v, ok := got[p]; !ok || v != present {
			t.Errorf("%q: still_present %v (reported: %v), want %v", p, v, ok, present)
		}
	}
}

// SARIF's repositoryUri carries no credentials, query or fragment.
func TestTrustGitSarifRepositoryURIHasNoCredentials(t *testing.T) {
	r, _ := baseAndSecret(t)
	r.run("git", "remote", "add", "origin", "https://x-access-token:ghs_SECRETSECRET@example.com/o/r.git?private_token=QSECRET#FSECRET")
	res := r.achilles(r.dir, "", nil, "git", ".", "-c", r.config(), "-f", "sarif", "--no-progress")
	if res.code != ExitFindings {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	if !strings.Contains(res.stdout, `"repositoryUri": "https://example.com/o/r.git"`) && !strings.Contains(res.stdout, `"repositoryUri":"https://example.com/o/r.git"`) {
		t.Errorf("no clean repositoryUri in the SARIF report:\n%s", res.stdout)
	}
	for _, s := range []string{"SECRETSECRET", "x-access-token", "QSECRET", "FSECRET"} {
		if strings.Contains(res.stdout+res.stderr, s) {
			t.Errorf("the report carries %q", s)
		}
	}
}

// `hook install` runs git with the overrides, whose own core.hooksPath must
// not decide where the hook goes: a configured core.hooksPath (where git
// runs hooks from) does, else the hooks folder of the git dir.
func TestTrustGitHookInstallFindsHooksFolder(t *testing.T) {
	r := newGitRepo(t)
	res := r.achilles(r.dir, "", nil, "hook", "install")
	if res.code != 0 {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	if _, err := os.Stat(filepath.Join(r.dir, ".git", "hooks", "pre-commit")); err != nil {
		t.Errorf("no .git/hooks/pre-commit: %v", err)
	}
	r.run("git", "config", "core.hooksPath", ".githooks")
	res = r.achilles(r.dir, "", nil, "hook", "install", "--pre-push")
	if res.code != 0 {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	if _, err := os.Stat(filepath.Join(r.dir, ".githooks", "pre-push")); err != nil {
		t.Errorf("core.hooksPath: no .githooks/pre-push: %v", err)
	}
	if _, err := os.Stat(filepath.Join(os.DevNull, "pre-push")); err == nil {
		t.Error("the hook went to the override's path")
	}
}
