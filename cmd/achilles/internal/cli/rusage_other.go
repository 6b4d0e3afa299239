//go:build !unix

package cli

// peakRSSKB is not available here.
func peakRSSKB() int64 { return 0 }
