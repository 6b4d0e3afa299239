// Package chromiumtest runs headless Chromium for the tests that render the
// HTML report in a real browser (the scan's -f html page and the sweep's).
package chromiumtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"syscall"
)

// Run runs bin headless on args (a page URL last), with a profile under
// dir, and returns its standard output and error. When the browser itself
// crashes (killed by a signal: on a loaded machine its zygote can fail to
// fork) it runs once more with a fresh profile; any answer it gives is the
// caller's to judge.
func Run(ctx context.Context, bin, dir string, args ...string) (stdout []byte, stderr string, err error) {
	for attempt := 0; ; attempt++ {
		flags := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
			"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
			"--hide-scrollbars", "--user-data-dir=" + filepath.Join(dir, fmt.Sprintf("profile%d", attempt))}
		cmd := exec.CommandContext(ctx, bin, append(flags, args...)...)
		var errOut bytes.Buffer
		cmd.Stderr = &errOut
		stdout, err = cmd.Output()
		if err == nil || attempt == 1 || ctx.Err() != nil || !crashed(err) {
			return stdout, errOut.String(), err
		}
	}
}

// crashed reports whether a process ended by a signal rather than an exit.
func crashed(err error) bool {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return false
	}
	ws, ok := ee.ProcessState.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled()
}
