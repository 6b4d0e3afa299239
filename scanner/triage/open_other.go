//go:build !unix

package triage

import "os"

// openAppendNoFollow opens path for appending, creating it. There is no
// O_NOFOLLOW here: the caller's Lstat before and Stat after the open
// refuse a link or anything but a regular file.
func openAppendNoFollow(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o644)
}
