//go:build linux || darwin || freebsd || openbsd || netbsd || dragonfly

package scanner

import (
	"os"

	"golang.org/x/sys/unix"
)

// mapFile maps a pack file read-only. The mapping outlives the descriptor.
func mapFile(f *os.File, size int64) ([]byte, func() error, error) {
	if size == 0 || int64(int(size)) != size {
		return nil, nil, errNoMmap
	}
	b, err := unix.Mmap(int(f.Fd()), 0, int(size), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return nil, nil, err
	}
	return b, func() error { return unix.Munmap(b) }, nil
}
