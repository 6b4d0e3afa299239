//go:build !(linux || darwin || freebsd || openbsd || netbsd || dragonfly)

package scanner

import "os"

// mapFile is not available here: pack files are read with ReadAt.
func mapFile(*os.File, int64) ([]byte, func() error, error) { return nil, nil, errNoMmap }
