//go:build unix

package cli

import "syscall"

// peakRSSKB is the process's own peak resident set size in KiB (Linux
// reports ru_maxrss in KiB).
func peakRSSKB() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return int64(ru.Maxrss)
}
