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
	"sync/atomic"
	"time"

	"github.com/achilles-sec/achilles/detectors"
	"github.com/achilles-sec/achilles/scanner/finding"
	"github.com/sourcegraph/conc/pool"
)

// ErrTarget marks a target that cannot be scanned at all (exit status 2).
var ErrTarget = errors.New("target cannot be scanned")

// Blob is one piece of content a source offers the searcher: a file of a
// folder, an entry of an image layer, an attachment of an issue.
type Blob struct {
	// Path is the path findings report (path rules apply to it).
	Path string
	// Size is the content's size in bytes (-1: unknown; the content is
	// then streamed).
	Size int64
	// Open opens the content. A reader that is also an io.ReaderAt can be
	// opened as an archive when it is larger than the size limit.
	Open func() (io.ReadCloser, error)
	// Locate, when set, gives each finding of the blob its kind of
	// location and origin (an image layer); findings are files otherwise.
	Locate func(*finding.Finding)
	// Done, when set, is called once the searcher is finished with the
	// blob, whether it was opened or not (a path ignored by the rules is
	// never opened): a source holding the content in memory or in a
	// temporary file frees it there.
	Done func()
}

// BlobSource enumerates a source's blobs: it calls yield for each (yield
// returns an error when the scan stops; the blob is the searcher's either
// way, which calls its Done) and returns what stopped it.
// Problems with one blob are warnings (warn); an error returned means the
// source could not be read at all.
type BlobSource func(ctx context.Context, warn func(error), yield func(Blob) error) error

// ScanBlobs is the searcher for every source that is not git history:
// each blob is read by one of opts.Jobs workers with the same size limit,
// binary check, archive opening, decoding and streaming, so that a folder,
// an image or an issue tracker are scanned alike.
func ScanBlobs(ctx context.Context, opts Options, what string, src BlobSource) (*Result, error) {
	start := time.Now()
	var c counters
	opts.countInline(&c)
	jobs := opts.Jobs
	if jobs <= 0 {
		jobs = runtime.NumCPU()
	}
	// Blobs go to the workers in batches when the workers are behind: a
	// folder of small files would otherwise cost a hand-over (and often a
	// wake-up) per file. A blob is passed on at once while the queue has
	// room, so a slow source (an API) is scanned as its items come.
	blobs := make(chan []Blob, 8)
	var col collector
	p := pool.New().WithContext(ctx).WithMaxGoroutines(jobs + 1).WithCancelOnError()
	p.Go(func(ctx context.Context) error {
		defer close(blobs)
		var batch []Blob
		err := src(ctx, func(err error) { opts.warn(&c, err) }, func(b Blob) error {
			batch = append(batch, b)
			if len(batch) < blobBatch {
				select {
				case blobs <- batch:
					batch = nil
				default:
				}
				return nil
			}
			select {
			case blobs <- batch:
				batch = nil
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
		if len(batch) > 0 && err == nil {
			select {
			case blobs <- batch:
				batch = nil
			case <-ctx.Done():
				err = ctx.Err()
			}
		}
		for _, b := range batch {
			if b.Done != nil {
				b.Done() // never handed over
			}
		}
		return err
	})
	for i := 0; i < jobs; i++ {
		p.Go(func(ctx context.Context) error {
			// The worker's own read buffer: at least 64 KiB, grown for a
			// larger file and kept up to 4 MiB.
			buf := make([]byte, 0, 64<<10)
			for batch := range blobs {
				for i, b := range batch {
					if ctx.Err() != nil {
						for _, b := range batch[i:] {
							if b.Done != nil {
								b.Done()
							}
						}
						return ctx.Err()
					}
					fs, err := scanBlob(ctx, opts, &c, b, &buf)
					if b.Done != nil {
						b.Done()
					}
					if b.Locate != nil {
						for i := range fs {
							b.Locate(&fs[i])
						}
					}
					col.add(fs)
					if err != nil {
						if ctx.Err() != nil {
							return ctx.Err()
						}
						opts.warn(&c, err)
					}
				}
			}
			return nil
		})
	}
	err := p.Wait()
	for batch := range blobs { // left when the scan stopped
		for _, b := range batch {
			if b.Done != nil {
				b.Done()
			}
		}
	}
	res := &Result{Findings: col.all(), Incomplete: ctx.Err() != nil}
	c.fill(&res.Stats)
	res.Stats.What = what
	res.Stats.Duration = time.Since(start)
	finding.Sort(res.Findings)
	res.Findings = finding.Group(res.Findings)
	if err != nil && !res.Incomplete && !errors.Is(err, ErrTarget) {
		err = fmt.Errorf("%w: %w", ErrTarget, err)
	}
	return res, err
}

// blobBatch is the most blobs handed to a worker at once.
const blobBatch = 64

// ScanPaths scans files and folders. Folders are walked (".git" folders
// skipped, symlinks not followed); binary files are skipped and counted;
// files over MaxFileSize are streamed in chunks.
func ScanPaths(ctx context.Context, opts Options, paths []string) (*Result, error) {
	for _, p := range paths {
		if _, err := os.Lstat(p); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrTarget, err)
		}
	}
	var skipped atomic.Int64
	res, err := ScanBlobs(ctx, opts, describePaths(paths), func(ctx context.Context, warn func(error), yield func(Blob) error) error {
		for _, root := range paths {
			err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
				if err != nil {
					warn(fmt.Errorf("%s: %w", path, unwrapPathErr(err)))
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
					skipped.Add(1)
					return nil
				}
				return yield(fileBlob(path))
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if res != nil {
		res.Stats.Skipped += skipped.Load()
	}
	return res, err
}

// fileBlob is a file of a folder: its size is read when it is opened.
func fileBlob(path string) Blob {
	return Blob{Path: filepath.ToSlash(path), Size: -1, Open: func() (io.ReadCloser, error) {
		f, err := openFile(path)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, unwrapPathErr(err))
		}
		return f, nil
	}}
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

// sizer is a reader that can tell its size (an *os.File).
type sizer interface{ Stat() (fs.FileInfo, error) }

// fileSizer is a reader that tells its size directly (a folder's rawFile).
type fileSizer interface{ Size() (int64, error) }

func scanBlob(ctx context.Context, opts Options, c *counters, b Blob, bp *[]byte) ([]finding.Finding, error) {
	cfg := opts.Engine.Config()
	rel := b.Path
	out := pathFindings(cfg, place{path: rel})
	if pathIgnored(cfg, rel) {
		c.skipped.Add(1)
		return out, nil
	}
	f, err := b.Open()
	if err != nil {
		return out, err
	}
	defer f.Close()
	size := b.Size
	if s, ok := f.(fileSizer); ok && size < 0 {
		if size, err = s.Size(); err != nil {
			return out, fmt.Errorf("%s: %w", rel, unwrapPathErr(err))
		}
	} else if s, ok := f.(sizer); ok && size < 0 {
		st, err := s.Stat()
		if err != nil {
			return out, fmt.Errorf("%s: %w", rel, unwrapPathErr(err))
		}
		size = st.Size()
	}
	max := opts.MaxFileSize
	if max <= 0 {
		max = DefaultMaxFileSize
	}
	c.objects.Add(1)
	if size < 0 || size > max {
		head := make([]byte, 8000)
		n, _ := io.ReadFull(f, head)
		head = head[:n]
		if ra, ok := f.(io.ReaderAt); ok && size > 0 {
			if fs, ok := opts.archiveFindings(ctx, c, rel, head, ra, size); ok {
				opts.progress(size, 1)
				return append(out, fs...), nil
			}
		} else if opts.isArchive(head) {
			opts.warn(c, fmt.Errorf("%s: an archive larger than --max-file-size read as a stream is scanned as it is, not opened", rel))
		}
		if IsBinary(head) {
			c.binary.Add(1)
			opts.progress(max64(size, 0), 1)
			return out, nil
		}
		fs, err := streamFindings(ctx, opts, c, io.MultiReader(bytes.NewReader(head), f), place{path: rel}, max64(size, 0))
		opts.progress(0, 1)
		if err != nil {
			return out, fmt.Errorf("%s: %w", rel, unwrapPathErr(err))
		}
		return joinFindings(out, fs), nil
	}
	buf := (*bp)[:0] // at least 64 KiB
	// A large file is decided binary by its first 8000 bytes (git's test)
	// before the rest is read: a folder's executables and object files
	// are most of its bytes. A small one is read whole in one call. The
	// read stops at the size the file had when opened (a file growing
	// meanwhile is scanned as it was), which saves the call that would
	// only say end of file.
	first := cap(buf) - 1
	switch {
	case size > int64(first):
		first = 8000
	case size >= 0:
		first = int(size)
	}
	n, err := io.ReadFull(f, buf[:first])
	buf = buf[:n]
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return out, fmt.Errorf("%s: %w", rel, unwrapPathErr(err))
	}
	if err == nil && IsBinary(buf) && !opts.isArchive(buf) {
		c.binary.Add(1)
		opts.progress(size, 1)
		return out, nil
	}
	if int64(cap(buf)) < size+1 {
		buf = append(make([]byte, 0, size+512), buf...)
	}
	for err == nil && int64(len(buf)) != size {
		n, err = f.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return out, fmt.Errorf("%s: %w", rel, unwrapPathErr(err))
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

func max64(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
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
