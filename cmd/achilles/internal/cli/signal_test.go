package cli

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/achilles-sec/achilles/detectors/verify/verifytest"
)

// TestInterruptWritesIncompleteReport: SIGINT or SIGTERM stops a scan
// within a second; the report holds what was found, marked incomplete; the
// exit status is 130.
func TestInterruptWritesIncompleteReport(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) { testInterrupt(t, sig) })
	}
}

func testInterrupt(t *testing.T, sig syscall.Signal) {
	bin := achillesBinary(t)
	abs, _ := filepath.Abs(testConfig)
	out := filepath.Join(t.TempDir(), "report.txt")
	cmd := exec.Command(bin, "stdin", "-c", abs, "-o", out, "--no-progress")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// An endless stream with a secret near its start.
	go func() {
		stdin.Write([]byte("first line\nkey = " + tokA + "\n"))
		filler := bytes.Repeat([]byte("ordinary text that goes on and on\n"), 4096)
		for {
			if _, err := stdin.Write(filler); err != nil {
				return
			}
		}
	}()
	time.Sleep(500 * time.Millisecond)
	sent := time.Now()
	if err := cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	took := time.Since(sent)
	stdin.Close()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != ExitInterrupted {
		t.Fatalf("exit: %v (stderr %s)", err, stderr.String())
	}
	if took > 1500*time.Millisecond {
		t.Errorf("took %v to stop after %v", took, sig)
	}
	report, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("no report written: %v (stderr %s)", err, stderr.String())
	}
	if !strings.Contains(string(report), "INCOMPLETE") || !strings.Contains(string(report), "test-token") {
		t.Fatalf("report:\n%s", report)
	}
}

// TestInterruptDuringVerification: SIGINT while verification waits on a
// provider host that never answers stops within a second, writes the report
// marked incomplete and exits 130; it does not wait for --verify-timeout.
// (It used to write a complete-looking report and exit 1.)
func TestInterruptDuringVerification(t *testing.T) {
	bin := achillesBinary(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.env"), []byte("A="+tokA+"\n"), 0o644)
	out := filepath.Join(t.TempDir(), "report.txt")
	host, accepted := verifytest.HangingHostAccepting(t)
	cmd := exec.Command(bin, "dir", dir, "-c", verifyConfigAt(t, host),
		"--verify", "--verify-timeout", "60s", "-o", out, "--no-progress")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select { // the scan is done; the request hangs
	case <-accepted:
	case <-time.After(60 * time.Second):
		t.Fatal("no verification request reached the host")
	}
	time.Sleep(100 * time.Millisecond)
	sent := time.Now()
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	took := time.Since(sent)
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != ExitInterrupted {
		t.Fatalf("exit: %v (stderr %s)", err, stderr.String())
	}
	if took > 1500*time.Millisecond {
		t.Errorf("took %v to stop after SIGINT", took)
	}
	report, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("no report written: %v (stderr %s)", err, stderr.String())
	}
	if !strings.Contains(string(report), "INCOMPLETE") || !strings.Contains(string(report), "test-token") {
		t.Fatalf("report:\n%s", report)
	}
}

// TestRunEmbeddable calls Run twice in this process, as a program embedding
// achilles would, and stays alive past the interrupt grace period: the
// watchdog that ends a stuck scan starts only when a signal arrives.
func TestRunEmbeddable(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "k.env"), []byte("AWS_ACCESS_KEY_ID=AKIAQYLPMN5HHHFPZAM2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		var out, errOut bytes.Buffer
		if code := Run([]string{"dir", dir, "--no-progress", "-f", "json"}, strings.NewReader(""), &out, &errOut); code != ExitFindings {
			t.Fatalf("run %d: exit %d, want %d; stderr:\n%s", i+1, code, ExitFindings, errOut.String())
		}
		if !strings.Contains(out.String(), "AKIAQYLPMN5HHHFPZAM2") {
			t.Fatalf("run %d: the key is not in the report:\n%s", i+1, out.String())
		}
	}
	time.Sleep(interruptGrace + 300*time.Millisecond)
	// Reaching this line is the assertion: the old watchdog exited the
	// process with status 130 here.
}
