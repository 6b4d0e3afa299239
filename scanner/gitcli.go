package scanner

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// gitCLI reads history through the git binary: `rev-list --objects --all`
// lists every reachable object once with a path, `cat-file --batch-check`
// tells blobs from trees, and `cat-file --batch` streams blob contents. Git's
// own pack reader and delta cache do the heavy lifting.
type gitCLI struct {
	dir     string
	opts    Options
	c       *counters
	ncommit atomic.Int64
}

func newGitCLI(dir string, opts Options, c *counters) *gitCLI {
	return &gitCLI{dir: dir, opts: opts, c: c}
}

func (g *gitCLI) commits() int64 { return g.ncommit.Load() }

func (g *gitCLI) blobs(ctx context.Context, skip func(string) bool, fn func(blob) error, large func(blob, io.Reader) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	revList := gitCommand(ctx, g.dir, "rev-list", "--objects", "--all", "--missing=print")
	var revErr bytes.Buffer
	revList.Stderr = &revErr
	listOut, err := revList.StdoutPipe()
	if err != nil {
		return err
	}
	check := gitCommand(ctx, g.dir, "cat-file", "--batch-check=%(objecttype) %(objectname) %(objectsize) %(rest)")
	check.Stdin = listOut
	var checkErr bytes.Buffer
	check.Stderr = &checkErr
	checkOut, err := check.StdoutPipe()
	if err != nil {
		return err
	}
	batch := gitCommand(ctx, g.dir, "cat-file", "--batch")
	var batchErr bytes.Buffer
	batch.Stderr = &batchErr
	batchIn, err := batch.StdinPipe()
	if err != nil {
		return err
	}
	batchOut, err := batch.StdoutPipe()
	if err != nil {
		return err
	}
	for _, cmd := range []interface{ Start() error }{revList, check, batch} {
		if err := cmd.Start(); err != nil {
			return fmt.Errorf("starting git: %w", err)
		}
	}

	// Listing: blob names go to cat-file --batch, their paths to the reader
	// in the same order.
	type pending struct {
		hash, path string
		size       int64
	}
	queue := make(chan pending, 4096)
	listDone := make(chan error, 1)
	go func() {
		defer close(queue)
		defer batchIn.Close()
		w := bufio.NewWriterSize(batchIn, 64<<10)
		br := bufio.NewReaderSize(checkOut, 64<<10)
		for {
			// Before a read that may block, hand cat-file every name written
			// so far: the reader may be waiting for one of them.
			if br.Buffered() == 0 {
				if err := w.Flush(); err != nil {
					listDone <- err
					return
				}
			}
			raw, err := br.ReadString('\n')
			if err == io.EOF {
				break
			}
			if err != nil {
				listDone <- err
				return
			}
			line := strings.TrimSuffix(raw, "\n")
			if strings.HasPrefix(line, "?") || strings.HasSuffix(line, " missing") {
				name := strings.TrimPrefix(strings.Fields(line)[0], "?")
				g.opts.warn(g.c, fmt.Errorf("%s: object %s is missing from the repository; not scanned", g.dir, name))
				continue
			}
			parts := strings.SplitN(line, " ", 4)
			if len(parts) < 3 {
				continue
			}
			switch parts[0] {
			case "commit":
				g.ncommit.Add(1)
				continue
			case "blob":
			default:
				continue
			}
			path := ""
			if len(parts) == 4 {
				path = parts[3]
			}
			size, _ := strconv.ParseInt(parts[2], 10, 64)
			if skip(path) {
				g.c.skipped.Add(1)
				continue
			}
			if _, err := w.WriteString(parts[1] + "\n"); err != nil {
				listDone <- err
				return
			}
			item := pending{parts[1], path, size}
			select {
			case queue <- item:
				continue
			default:
			}
			if err := w.Flush(); err != nil {
				listDone <- err
				return
			}
			select {
			case queue <- item:
			case <-ctx.Done():
				listDone <- ctx.Err()
				return
			}
		}
		if err := w.Flush(); err != nil {
			listDone <- err
			return
		}
		listDone <- nil
	}()

	maxSize := g.opts.MaxFileSize
	if maxSize <= 0 {
		maxSize = DefaultMaxFileSize
	}
	r := bufio.NewReaderSize(batchOut, 1<<20)
	var readErr error
	for p := range queue {
		header, err := r.ReadString('\n')
		if err != nil {
			readErr = fmt.Errorf("reading git cat-file output: %w", err)
			break
		}
		f := strings.Fields(header)
		if len(f) < 2 || f[1] == "missing" {
			g.opts.warn(g.c, fmt.Errorf("%s: blob %s (%s) is missing; not scanned", g.dir, p.hash, p.path))
			continue
		}
		if len(f) < 3 {
			readErr = fmt.Errorf("unexpected git cat-file header %q", strings.TrimSpace(header))
			break
		}
		size, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil {
			readErr = fmt.Errorf("unexpected git cat-file header %q", strings.TrimSpace(header))
			break
		}
		b := blob{hash: p.hash, path: p.path, size: size}
		if size > maxSize {
			lr := io.LimitReader(r, size)
			err = large(b, lr)
			if _, derr := io.Copy(io.Discard, lr); err == nil && derr != nil {
				err = derr
			}
		} else {
			b.data = make([]byte, size)
			if _, err = io.ReadFull(r, b.data); err == nil {
				err = fn(b)
			}
		}
		if err != nil {
			readErr = err
			break
		}
		if _, err := r.Discard(1); err != nil { // the newline after the content
			readErr = err
			break
		}
	}
	if readErr != nil {
		cancel()
		for range queue {
		}
	}
	listErr := <-listDone
	_ = batch.Wait()
	checkWaitErr := check.Wait()
	revWaitErr := revList.Wait()
	if ctx.Err() != nil && readErr == nil {
		readErr = ctx.Err()
	}
	if readErr != nil {
		return readErr
	}
	if listErr != nil {
		return fmt.Errorf("listing objects: %w", listErr)
	}
	if revWaitErr != nil {
		// rev-list stops at the first object it cannot read; what it listed
		// before was scanned.
		g.opts.warn(g.c, fmt.Errorf("%s: git rev-list: %v: %s; objects after the failure were not listed", g.dir, revWaitErr, trimStderr(revErr.Bytes())))
	}
	if checkWaitErr != nil {
		g.opts.warn(g.c, fmt.Errorf("%s: git cat-file: %v: %s", g.dir, checkWaitErr, trimStderr(checkErr.Bytes())))
	}
	return nil
}

// introductions walks `git log --all --raw`: each raw line names the blob a
// commit wrote at a path. Merge commits show (with -c) only what differs
// from every parent, which is what the merge itself introduced.
func (g *gitCLI) introductions(ctx context.Context, want map[string]bool) (map[string][]intro, error) {
	cmd := gitCommand(ctx, g.dir, "log", "--all", "--raw", "--no-renames", "--no-abbrev", "-c",
		"--format=%x01%H%x00%an%x00%ae%x00%at%x00%s")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting git log: %w", err)
	}
	res := map[string][]intro{}
	var cur *commitInfo
	var n int64
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) == 0 {
			continue
		}
		if line[0] == 1 {
			f := strings.SplitN(string(line[1:]), "\x00", 5)
			if len(f) < 5 {
				continue
			}
			n++
			ts, _ := strconv.ParseInt(f[3], 10, 64)
			cur = &commitInfo{hash: f[0], author: f[1], email: f[2], when: time.Unix(ts, 0).UTC(), summary: f[4]}
			continue
		}
		if line[0] != ':' || cur == nil {
			continue
		}
		tab := bytes.IndexByte(line, '\t')
		if tab < 0 {
			continue
		}
		colons := 0
		for colons < len(line) && line[colons] == ':' {
			colons++
		}
		fields := strings.Fields(string(line[colons:tab]))
		idx := 2*colons + 1
		if idx >= len(fields) {
			continue
		}
		hash := fields[idx]
		if !want[hash] {
			continue
		}
		path := unquoteGitPath(string(line[tab+1:]))
		res[hash] = append(res[hash], intro{path: path, commit: cur})
	}
	if err := sc.Err(); err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, fmt.Errorf("reading git log: %w", err)
	}
	if err := cmd.Wait(); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		g.opts.warn(g.c, fmt.Errorf("%s: git log: %v: %s; provenance may be incomplete", g.dir, err, trimStderr(stderr.Bytes())))
	}
	if g.ncommit.Load() == 0 {
		g.ncommit.Store(n)
	}
	return res, nil
}

// unquoteGitPath undoes git's C-style quoting of unusual paths.
func unquoteGitPath(p string) string {
	if len(p) < 2 || p[0] != '"' || p[len(p)-1] != '"' {
		return p
	}
	if s, err := strconv.Unquote(p); err == nil {
		return s
	}
	return p
}
