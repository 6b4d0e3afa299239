package cli

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestDockerfileBuildsStaticBinary runs the build stage of the checkout's
// Dockerfile the way `docker build .` does (its RUN command, with the
// platform arguments buildx passes), outside a container: the binary it
// makes must be static (no ELF interpreter, so it runs on alpine and on
// scratch) and report the VERSION build argument. With a Docker daemon the
// image itself is built and run against a repository holding a key.
func TestDockerfileBuildsStaticBinary(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the image is linux only")
	}
	root := repoRoot(t)
	data, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(data), "\\\n", " ")
	var build string
	for _, line := range strings.Split(text, "\n") {
		if rest, ok := strings.CutPrefix(line, "RUN CGO_ENABLED=0"); ok {
			build = "CGO_ENABLED=0" + rest
		}
	}
	if build == "" || !strings.Contains(text, "FROM --platform=$BUILDPLATFORM") || !strings.Contains(text, "COPY --from=build") {
		t.Fatalf("the Dockerfile has no multi-stage pure-Go build:\n%s", data)
	}
	out := t.TempDir()
	build = strings.ReplaceAll(build, "/out/achilles", filepath.Join(out, "achilles"))
	cmd := exec.Command("sh", "-c", build)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "TARGETOS=linux", "TARGETARCH="+runtime.GOARCH, "VERSION=9.9.9-test")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the Dockerfile's build step failed: %v\n%s", err, b)
	}
	bin := filepath.Join(out, "achilles")
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("the binary is dynamically linked")
		}
	}
	f.Close()
	v, err := exec.Command(bin, "version").Output()
	if err != nil || !strings.Contains(string(v), "9.9.9-test") {
		t.Errorf("version %q (%v): the VERSION build argument is not stamped", v, err)
	}

	if exec.Command("docker", "info").Run() != nil {
		t.Log("no Docker daemon: the image itself is not built")
		return
	}
	r := newGitRepo(t)
	r.write("deploy.env", "AWS_ACCESS_KEY_ID=AKIAQYLPMN5HHHFPZAM2\n")
	r.run("git", "add", "-A")
	r.run("git", "commit", "-qm", "key")
	tag := "achilles-dockerfile-test"
	if b, err := exec.Command("docker", "build", "-q", "-t", tag, root).CombinedOutput(); err != nil {
		t.Fatalf("docker build: %v\n%s", err, b)
	}
	run := exec.Command("docker", "run", "--rm", "-v", r.dir+":/repo", "-e", "ACHILLES_SAFE_DIRECTORY=/repo", tag, "git", ".", "--no-progress")
	b, _ := run.CombinedOutput()
	if run.ProcessState.ExitCode() != ExitFindings || !strings.Contains(string(b), "aws-access-key-id") {
		t.Errorf("the image did not find the key: exit %d\n%s", run.ProcessState.ExitCode(), b)
	}
}

// repoRoot is the folder holding go.mod.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, _ := filepath.Abs(".")
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		if filepath.Dir(dir) == dir {
			t.Fatal("repository root not found")
		}
		dir = filepath.Dir(dir)
	}
}
