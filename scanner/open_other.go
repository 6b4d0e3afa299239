//go:build !unix

package scanner

import "os"

// openFile opens a folder's file for reading.
func openFile(path string) (*os.File, error) { return os.Open(path) }
