// Package gotree gives benchmarks a fixed, realistic body of text to scan:
// the Go tree's own sources, which every machine that builds achilles has.
package gotree

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// TextFiles is up to limit bytes of the text files under GOROOT/src, one
// buffer per file, in walk order (files over 1 MiB and files with a NUL
// byte in their first 8,000 bytes are left out), and their total size.
// An empty result means there is no Go tree to read.
func TextFiles(limit int) (files [][]byte, total int) {
	filepath.WalkDir(filepath.Join(runtime.GOROOT(), "src"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || total >= limit {
			return fs.SkipDir
		}
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil || len(data) > 1<<20 || bytes.IndexByte(data[:min(len(data), 8000)], 0) >= 0 {
			return nil
		}
		files = append(files, data)
		total += len(data)
		return nil
	})
	return files, total
}
