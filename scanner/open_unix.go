//go:build unix

package scanner

import (
	"os"
	"syscall"
)

// openFile opens a folder's file for reading. os.Open also offers every
// file to the network poller, which refuses regular files: three fcntl
// calls and a failing epoll_ctl per file, as many system calls as the
// open, stat, read and close a scan needs. os.NewFile on a blocking
// descriptor asks the kernel once and leaves the poller out. The walker
// never yields a symlink; O_NOFOLLOW keeps one swapped in after the walk
// saw a regular file from being followed out of the tree.
func openFile(path string) (*os.File, error) {
	for {
		fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC|syscall.O_NOCTTY|syscall.O_NOFOLLOW, 0)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "open", Path: path, Err: err}
		}
		return os.NewFile(uintptr(fd), path), nil
	}
}
