//go:build unix

package triage

import (
	"os"
	"syscall"
)

// openAppendNoFollow opens path for appending, creating it, without
// following a symbolic link in its last part (O_NOFOLLOW makes that an
// error) and without blocking on a FIFO (O_NONBLOCK).
func openAppendNoFollow(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0o644)
}
