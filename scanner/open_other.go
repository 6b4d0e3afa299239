//go:build !unix

package scanner

import "os"

// openFile opens a folder's file for reading.
func openFile(path string) (*os.File, error) { return os.Open(path) }

// openStoreFile opens a file of a git object store (the pack reader has
// checked with Lstat that it is not a symbolic link).
func openStoreFile(path string) (*os.File, error) { return os.Open(path) }
