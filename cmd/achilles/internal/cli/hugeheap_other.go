//go:build !linux

package cli

// hugeHeap is a Linux measure (see hugeheap_linux.go); elsewhere the
// heap's pages are the system's business.
func hugeHeap() {}
