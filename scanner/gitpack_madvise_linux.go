package scanner

import "golang.org/x/sys/unix"

// dropPages takes the pages of a read-only file mapping out of achilles'
// resident memory; they stay in the page cache and fault back in if read
// again.
func dropPages(b []byte) bool { return unix.Madvise(b, unix.MADV_DONTNEED) == nil }

const canDropPages = true
