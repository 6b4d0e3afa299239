package cli

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestPermissionDeniedAsUnprivilegedUser: an unreadable file and an
// unreadable folder each get a warning naming them on stderr, the readable
// secret beside them is still reported, and the exit status is the one for
// findings. Root reads everything, so when the tests run as root (as in a
// container) the scan runs as the user nobody; as anyone else it runs as
// that user.
func TestPermissionDeniedAsUnprivilegedUser(t *testing.T) {
	const hidden = "tok_Lk3nP9qR2sT5uV8wX1yZ4aB7" // only in what cannot be read
	bin := achillesBinary(t)
	// Everything the scan needs must be reachable by the user it runs as.
	root, err := os.MkdirTemp("", "achilles-perm")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
			if err == nil && info.IsDir() {
				os.Chmod(p, 0o755)
			}
			return nil
		})
		os.RemoveAll(root)
	})
	copyFile(t, bin, filepath.Join(root, "achilles"), 0o755)
	abs, _ := filepath.Abs(testConfig)
	copyFile(t, abs, filepath.Join(root, "rules.toml"), 0o644)
	target := filepath.Join(root, "repo")
	writeTestFile(t, filepath.Join(target, "open.txt"), "key = "+tokA+"\n", 0o644)
	writeTestFile(t, filepath.Join(target, "locked.txt"), "key = "+hidden+"\n", 0o000)
	writeTestFile(t, filepath.Join(target, "closed", "inner.txt"), "key = "+hidden+"\n", 0o644)
	for _, d := range []string{root, target} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(filepath.Join(target, "closed"), 0o000); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(filepath.Join(root, "achilles"), "dir", target, "-c", filepath.Join(root, "rules.toml"), "-f", "json", "--no-progress")
	if os.Geteuid() == 0 {
		const nobody = 65534
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	if errors.Is(err, syscall.EPERM) {
		t.Skipf("cannot run the scan as another user here: %v", err)
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != ExitFindings {
		t.Fatalf("exit: %v, want %d (stderr %s)", err, ExitFindings, stderr.String())
	}
	for _, name := range []string{"locked.txt", "closed"} {
		if !strings.Contains(stderr.String(), name) || !strings.Contains(stderr.String(), "permission denied") {
			t.Errorf("stderr does not say %s could not be read:\n%s", name, stderr.String())
		}
	}
	if !strings.Contains(stdout.String(), tokA) || !strings.Contains(stdout.String(), "open.txt") {
		t.Errorf("the readable secret is not reported:\n%s", stdout.String())
	}
	if strings.Contains(stdout.String(), hidden) || strings.Contains(stderr.String(), hidden) {
		t.Error("a secret from an unreadable file or folder shows up")
	}
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, mode); err != nil {
		t.Fatal(err)
	}
}

func writeTestFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}
