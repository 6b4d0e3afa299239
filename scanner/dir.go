package scanner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/achilles-sec/achilles/detectors"
	"github.com/achilles-sec/achilles/scanner/finding"
	"github.com/sourcegraph/conc/pool"
)

// ErrTarget marks a target that cannot be scanned at all (exit status 2).
var ErrTarget = errors.New("target cannot be scanned")

// ScanPaths scans files and folders. Folders are walked (".git" folders
// skipped, symlinks not followed); binary files are skipped and counted;
// files over MaxFileSize are streamed in chunks.
func ScanPaths(ctx context.Context, opts Options, paths []string) (*Result, error) {
	start := time.Now()
	var c counters
	opts.countInline(&c)
	for _, p := range paths {
		if _, err := os.Lstat(p); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrTarget, err)
		}
	}
	jobs := opts.Jobs
	if jobs <= 0 {
		jobs = runtime.NumCPU()
	}
	files := make(chan string, 256)
	var col collector
	p := pool.New().WithContext(ctx).WithMaxGoroutines(jobs + 1).WithCancelOnError()
	p.Go(func(ctx context.Context) error {
		defer close(files)
		for _, root := range paths {
			err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
				if err != nil {
					opts.warn(&c, fmt.Errorf("%s: %w", path, unwrapPathErr(err)))
					if d != nil && d.IsDir() {
						return fs.SkipDir
					}
					return nil
				}
				if d.IsDir() {
					if d.Name() == ".git" && path != root {
						return fs.SkipDir
					}
					return nil
				}
				if !d.Type().IsRegular() {
					// Symlinks, sockets, devices: not followed or read.
					c.skipped.Add(1)
					return nil
				}
				select {
				case files <- path:
					return nil
				case <-ctx.Done():
					return ctx.Err()
				}
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}
	for i := 0; i < jobs; i++ {
		p.Go(func(ctx context.Context) error {
			for path := range files {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				fs, err := scanFile(ctx, opts, &c, path, &bufPool)
				if err != nil {
					if ctx.Err() != nil {
						return ctx.Err()
					}
					opts.warn(&c, err)
					continue
				}
				col.add(fs)
			}
			return nil
		})
	}
	err := p.Wait()
	res := &Result{Findings: col.all(), Incomplete: ctx.Err() != nil}
	c.fill(&res.Stats)
	res.Stats.What = describePaths(paths)
	res.Stats.Duration = time.Since(start)
	finding.Sort(res.Findings)
	res.Findings = finding.Group(res.Findings)
	return res, err
}

func describePaths(paths []string) string {
	if len(paths) == 1 {
		return paths[0]
	}
	return fmt.Sprintf("%d paths", len(paths))
}

func unwrapPathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func scanFile(ctx context.Context, opts Options, c *counters, path string, bufPool *sync.Pool) ([]finding.Finding, error) {
	cfg := opts.Engine.Config()
	rel := filepath.ToSlash(path)
	out := pathFindings(cfg, place{path: rel})
	if pathIgnored(cfg, rel) {
		c.skipped.Add(1)
		return out, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return out, fmt.Errorf("%s: %w", path, unwrapPathErr(err))
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return out, fmt.Errorf("%s: %w", path, unwrapPathErr(err))
	}
	max := opts.MaxFileSize
	if max <= 0 {
		max = DefaultMaxFileSize
	}
	c.objects.Add(1)
	if st.Size() > max {
		head := make([]byte, 8000)
		n, _ := io.ReadFull(f, head)
		if fs, ok := opts.archiveFindings(ctx, c, rel, head[:n], f, st.Size()); ok {
			opts.progress(st.Size(), 1)
			return append(out, fs...), nil
		}
		if IsBinary(head[:n]) {
			c.binary.Add(1)
			opts.progress(st.Size(), 1)
			return out, nil
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return out, fmt.Errorf("%s: %w", path, err)
		}
		fs, err := streamFindings(ctx, opts, c, f, place{path: rel}, st.Size())
		opts.progress(0, 1)
		if err != nil {
			return out, fmt.Errorf("%s: %w", path, unwrapPathErr(err))
		}
		return joinFindings(out, fs), nil
	}
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := (*bp)[:0]
	if int64(cap(buf)) < st.Size()+1 {
		buf = make([]byte, 0, st.Size()+512)
	}
	for {
		n, err := f.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return out, fmt.Errorf("%s: %w", path, unwrapPathErr(err))
		}
		if len(buf) == cap(buf) {
			// The file grew while being read.
			buf = append(buf, 0)[:len(buf)]
		}
	}
	if cap(buf) <= 4<<20 {
		*bp = buf
	}
	c.bytes.Add(int64(len(buf)))
	opts.progress(int64(len(buf)), 1)
	if fs, ok := opts.archiveFindings(ctx, c, rel, buf, bytes.NewReader(buf), int64(len(buf))); ok {
		return append(out, fs...), nil
	}
	if IsBinary(buf) {
		c.binary.Add(1)
		return out, nil
	}
	return joinFindings(out, toFindings(cfg, opts.bufScanner().Scan(buf), place{path: rel})), nil
}

// joinFindings appends b to a without copying b when a is empty: b can
// hold a million findings.
func joinFindings(a, b []finding.Finding) []finding.Finding {
	if len(a) == 0 {
		return b
	}
	return append(a, b...)
}

// streamFindings scans r (about size bytes; 0: unknown) in stream windows
// and makes each window's findings as soon as it is scanned, so that the
// matches of the whole stream are never held at once.
func streamFindings(ctx context.Context, opts Options, c *counters, r io.Reader, at place, size int64) ([]finding.Finding, error) {
	fm := newFindingMaker(opts.Engine.Config(), at)
	err := scanStreamWindows(ctx, opts.bufScanner(), r, streamChunk, streamOverlap, func(n int) {
		c.bytes.Add(int64(n))
		opts.progress(int64(n), 0)
	}, func(ms []detectors.Match, done int) {
		var estimate func(int) int
		if size > int64(done) && done > 0 {
			// As many findings per byte in the rest as so far, a little
			// more, and at most eight times as many as so far: a dense
			// start must not reserve room for a sparse rest.
			estimate = func(have int) int {
				est := float64(have) * float64(size) / float64(done) * 1.02
				return int(min(est, float64(have)*8)) + 16
			}
		}
		fm.add(ms, estimate)
	})
	return fm.finish(), err
}

// ScanReader scans one stream (stdin) in overlapping chunks.
func ScanReader(ctx context.Context, opts Options, r io.Reader, name string) (*Result, error) {
	start := time.Now()
	var c counters
	opts.countInline(&c)
	fs, err := streamFindings(ctx, opts, &c, r, place{path: name, kind: finding.KindStdin}, 0)
	c.objects.Add(1)
	res := &Result{Findings: fs, Incomplete: ctx.Err() != nil}
	c.fill(&res.Stats)
	res.Stats.What = name
	res.Stats.Duration = time.Since(start)
	finding.Sort(res.Findings)
	res.Findings = finding.Group(res.Findings)
	return res, err
}
