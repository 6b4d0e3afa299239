//go:build unix

package scanner

import (
	"io"
	"os"
	"syscall"
)

// openFile opens a folder's file for reading. An *os.File costs system
// calls a scan does not need: os.Open offers every file to the network
// poller (three fcntl calls and a failing epoll_ctl), os.NewFile asks the
// kernel for the descriptor's flags, and each sets a finalizer. A rawFile
// is the descriptor alone, read with plain blocking calls: open, fstat,
// read and close are all a file costs (fstat and close through quickFstat
// and quickClose). The walker never yields a symlink; O_NOFOLLOW keeps one
// swapped in after the walk saw a regular file from being followed out of
// the tree.
func openFile(path string) (*rawFile, error) {
	for {
		fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC|syscall.O_NOCTTY|syscall.O_NOFOLLOW, 0)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "open", Path: path, Err: err}
		}
		return &rawFile{fd: fd, path: path}, nil
	}
}

// openStoreFile opens a file of a git object store as an *os.File (the
// pack reader maps it), not following a symbolic link.
func openStoreFile(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
}

// rawFile is an open regular file of a folder: a reader, a ReaderAt (a
// large archive is opened in place) and its size. Whoever opens one closes
// it; there is no finalizer.
type rawFile struct {
	fd   int
	path string
}

func (f *rawFile) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if f.fd < 0 {
		return 0, os.ErrClosed
	}
	for {
		n, err := syscall.Read(f.fd, p)
		switch {
		case err == syscall.EINTR:
			continue
		case err != nil:
			return 0, &os.PathError{Op: "read", Path: f.path, Err: err}
		case n == 0:
			return 0, io.EOF
		}
		return n, nil
	}
}

// ReadAt reads len(p) bytes at off, or fewer and an error (io.EOF at the
// end), as io.ReaderAt asks.
func (f *rawFile) ReadAt(p []byte, off int64) (int, error) {
	if f.fd < 0 {
		return 0, os.ErrClosed
	}
	n := 0
	for n < len(p) {
		m, err := syscall.Pread(f.fd, p[n:], off+int64(n))
		switch {
		case err == syscall.EINTR:
			continue
		case err != nil:
			return n, &os.PathError{Op: "read", Path: f.path, Err: err}
		case m == 0:
			return n, io.EOF
		}
		n += m
	}
	return n, nil
}

// Size is the file's size now.
func (f *rawFile) Size() (int64, error) {
	if f.fd < 0 {
		return 0, os.ErrClosed
	}
	var st syscall.Stat_t
	for {
		err := quickFstat(f.fd, &st)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return 0, &os.PathError{Op: "stat", Path: f.path, Err: err}
		}
		return int64(st.Size), nil
	}
}

func (f *rawFile) Close() error {
	if f.fd < 0 {
		return os.ErrClosed
	}
	fd := f.fd
	f.fd = -1
	// Not retried on EINTR: on Linux the descriptor is gone either way.
	if err := quickClose(fd); err != nil {
		return &os.PathError{Op: "close", Path: f.path, Err: err}
	}
	return nil
}
