//go:build unix && !(linux && (amd64 || arm64))

package scanner

import "syscall"

// quickFstat and quickClose are the ordinary calls where a raw one is not
// known to match them (see open_quick_linux.go).
func quickFstat(fd int, st *syscall.Stat_t) error { return syscall.Fstat(fd, st) }

func quickClose(fd int) error { return syscall.Close(fd) }
