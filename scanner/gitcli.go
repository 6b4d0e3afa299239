package scanner

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// gitCLI reads history through the git binary in two passes. First the
// blobs to scan are listed, each once with a path: from the raw log that
// provenance needs anyway (logListing), or, when that cannot be used, by
// `rev-list --objects --all` piped into `cat-file --batch-check`. Then the
// pack reader (gitpack.go) or `cat-file --batch-all-objects
// --unordered --batch` streams every object in pack order, which lets git
// resolve delta chains from its cache (about twice as fast as asking for
// objects by name), and the blobs listed in the first pass are scanned.
type gitCLI struct {
	dir     string
	opts    Options
	c       *counters
	ncommit atomic.Int64
	// ahead holds the provenance commands prefetch started (gitprov.go).
	ahead *ahead
}

func newGitCLI(dir string, opts Options, c *counters) *gitCLI {
	return &gitCLI{dir: dir, opts: opts, c: c}
}

func (g *gitCLI) commits() int64 { return g.ncommit.Load() }

// reachable is the set of blobs to scan, with an index into paths; the
// index is set to consumed once the blob has been read.
type reachable struct {
	blobs map[[20]byte]int32 // each blob's path, in the embedded table
	pathTable
	// total is the size of the listed blobs, for a progress percentage.
	total int64
}

const consumed = -1

func parseHash(s string) ([20]byte, bool) {
	var h [20]byte
	if len(s) != 40 {
		return h, false
	}
	_, err := hex.Decode(h[:], []byte(s))
	return h, err == nil
}

// list runs the first pass.
func (g *gitCLI) list(ctx context.Context, skip func(string) bool) (*reachable, error) {
	revList := gitCommand(ctx, g.dir, "rev-list", "--objects", "--all", "--missing=print")
	var revErr bytes.Buffer
	revList.Stderr = &revErr
	listOut, err := revList.StdoutPipe()
	if err != nil {
		return nil, err
	}
	// --buffer: without it cat-file flushes every line into the pipe
	// (180,000 writes on etcd); nothing here is interactive.
	check := gitCommand(ctx, g.dir, "cat-file", "--buffer", "--batch-check=%(objecttype) %(objectname) %(objectsize) %(rest)")
	check.Stdin = listOut
	var checkErr bytes.Buffer
	check.Stderr = &checkErr
	checkOut, err := check.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := revList.Start(); err != nil {
		return nil, fmt.Errorf("starting git: %w", err)
	}
	if err := check.Start(); err != nil {
		_ = revList.Process.Kill()
		_ = revList.Wait()
		return nil, fmt.Errorf("starting git: %w", err)
	}
	rs, readErr := g.readReachable(checkOut, skip)
	if readErr != nil {
		_ = revList.Process.Kill()
		_ = check.Process.Kill()
	}
	checkWaitErr := check.Wait()
	revWaitErr := revList.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if readErr != nil {
		return nil, fmt.Errorf("listing objects: %w", readErr)
	}
	// A listing git could not finish (a repository git refuses to open, a
	// broken ref, an object it cannot parse) leaves an unknown part of the
	// history unread: the scan fails rather than pass on what it saw.
	if revWaitErr != nil {
		return nil, fmt.Errorf("%w: listing the objects of %s: git rev-list: %v: %s", ErrTarget, g.dir, revWaitErr, trimStderr(revErr.Bytes()))
	}
	if checkWaitErr != nil {
		return nil, fmt.Errorf("%w: listing the objects of %s: git cat-file: %v: %s", ErrTarget, g.dir, checkWaitErr, trimStderr(checkErr.Bytes()))
	}
	return rs, nil
}

// readReachable reads `git cat-file --batch-check` lines ("<type> <name>
// <size> <path>", or a missing object) for the objects `rev-list
// --objects` listed: it counts commits and collects the blobs with their
// paths. A line it does not understand is skipped.
func (g *gitCLI) readReachable(out io.Reader, skip func(string) bool) (*reachable, error) {
	rs := &reachable{blobs: map[[20]byte]int32{}}
	br := bufio.NewReaderSize(out, 256<<10)
	for {
		line, err := br.ReadString('\n')
		if err == io.EOF {
			return rs, nil
		}
		if err != nil {
			return nil, err
		}
		line = strings.TrimSuffix(line, "\n")
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
		if skip(path) {
			g.c.skipped.Add(1)
			continue
		}
		h, ok := parseHash(parts[1])
		if !ok {
			continue
		}
		if n, err := strconv.ParseInt(parts[2], 10, 64); err == nil {
			rs.total += n
		}
		rs.blobs[h] = rs.intern(path)
	}
}

func (g *gitCLI) blobs(ctx context.Context, skip func(string) bool, sink blobSink) error {
	// The pack reader opens the object store while git lists the blobs.
	mode := os.Getenv(GitReaderEnv)
	switch mode {
	case "", "auto", "pack", "cat-file":
	default:
		return fmt.Errorf("%s=%q: want auto, pack or cat-file", GitReaderEnv, mode)
	}
	type opened struct {
		s   *packStore
		err error
	}
	store := make(chan opened, 1)
	if mode != "cat-file" {
		go func() {
			obj, err := repoObjectDir(ctx, g.dir)
			if err != nil {
				store <- opened{err: err}
				return
			}
			s, err := openPackStore(obj)
			store <- opened{s, err}
		}()
	}
	rs, fromLog := g.logListing(ctx, skip)
	var err error
	if !fromLog {
		rs, err = g.list(ctx, skip)
	}
	var ps opened
	if mode != "cat-file" {
		ps = <-store
		if ps.s != nil {
			defer ps.s.close()
		}
	}
	if err != nil {
		return err
	}
	if ps.s != nil {
		// The log names blobs without reading them: one the store lacks is
		// missing (said so and dropped, as rev-list's listing does) or
		// somewhere the reader does not look (the reader then refuses the
		// store). Git is asked which while the store is planned.
		at := ps.s.locate(rs)
		var dropped int
		var dropErr error
		var wg sync.WaitGroup
		if fromLog && len(at.absent) > 0 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				dropped, dropErr = g.dropMissing(ctx, rs, at.absent)
			}()
		}
		ps.err = ps.s.plan(at)
		wg.Wait()
		if dropErr != nil {
			return dropErr
		}
		if left := len(at.absent) - dropped; left > 0 && ps.err == nil {
			ps.err = unsupported("%d listed blobs are not in its packs or loose objects", left)
		}
	}
	if len(rs.blobs) == 0 {
		return nil
	}
	if t, ok := g.opts.Progress.(ProgressTotal); ok {
		if fromLog && ps.s != nil && ps.err == nil {
			rs.total = ps.s.wantedBytes()
		}
		if rs.total > 0 {
			t.SetTotal(rs.total)
		}
	}
	if mode != "cat-file" {
		if ps.err == nil {
			maxSize := g.opts.MaxFileSize
			if maxSize <= 0 {
				maxSize = DefaultMaxFileSize
			}
			return ps.s.read(ctx, g.dir, rs, maxSize, func(err error) { g.opts.warn(g.c, err) }, sink)
		}
		// What the reader does not handle, git cat-file reads; forced,
		// the scan says why it could not.
		if mode == "pack" {
			return fmt.Errorf("%s=pack: %w", GitReaderEnv, ps.err)
		}
	}
	// batchCtx stops git once every listed blob has been read.
	batchCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	batch := gitCommand(batchCtx, g.dir, "cat-file", "--batch-all-objects", "--unordered", "--batch=%(objecttype) %(objectname) %(objectsize)")
	var batchErr bytes.Buffer
	batch.Stderr = &batchErr
	pr, pw, err := os.Pipe()
	if err != nil {
		return err
	}
	growPipe(pw)
	batch.Stdout = pw
	if err := batch.Start(); err != nil {
		pr.Close()
		pw.Close()
		return fmt.Errorf("starting git: %w", err)
	}
	pw.Close()
	defer pr.Close()
	r := bufio.NewReaderSize(pr, 1<<20)
	left, readErr := g.readObjects(r, rs, sink.fn, sink.large)
	// Every listed blob has been read (or the stream failed): stop git.
	cancel()
	_, _ = io.Copy(io.Discard, r)
	_ = batch.Wait()
	switch {
	case readErr == nil, left == 0:
		// Every blob was read: an error after that is our own stop.
	case ctx.Err() != nil:
		return ctx.Err()
	default:
		return readErr
	}
	if left > 0 && fromLog {
		// The log's listing names blobs without reading them: those git
		// says are missing are named as rev-list's listing names them.
		var unread [][20]byte
		for h, idx := range rs.blobs {
			if idx != consumed {
				unread = append(unread, h)
			}
		}
		slices.SortFunc(unread, func(a, b [20]byte) int { return bytes.Compare(a[:], b[:]) })
		dropped, err := g.dropMissing(ctx, rs, unread)
		if err != nil {
			return err
		}
		left -= dropped
	}
	if left > 0 {
		g.opts.warn(g.c, fmt.Errorf("%s: %d listed blobs were not found by git cat-file: %s", g.dir, left, trimStderr(batchErr.Bytes())))
	}
	return nil
}

// readObjects reads `git cat-file --batch-all-objects --batch` output and
// hands each blob of rs, once, to fn, or to large when it is over the size
// limit. It stops once every blob of rs has been read, or at the end of the
// output, and returns how many were not found.
func (g *gitCLI) readObjects(r *bufio.Reader, rs *reachable, fn func(blob) error, large func(blob, io.Reader) error) (left int, err error) {
	maxSize := g.opts.MaxFileSize
	if maxSize <= 0 {
		maxSize = DefaultMaxFileSize
	}
	left = len(rs.blobs)
	for left > 0 {
		header, err := r.ReadSlice('\n')
		if err == io.EOF {
			return left, nil
		}
		if err != nil {
			return left, fmt.Errorf("reading git cat-file output: %w", err)
		}
		f := strings.Fields(string(header))
		if len(f) != 3 {
			return left, fmt.Errorf("unexpected git cat-file header %.200q", strings.TrimSpace(string(header)))
		}
		size, ok := objectSize(f[2])
		if !ok {
			return left, fmt.Errorf("unexpected git cat-file header %.200q", strings.TrimSpace(string(header)))
		}
		h, _ := parseHash(f[1])
		idx, want := rs.blobs[h]
		if f[0] != "blob" || !want || idx == consumed {
			if _, err := r.Discard(int(size)); err != nil {
				return left, fmt.Errorf("reading object %.100s from git cat-file: %w", f[1], err)
			}
			if err := endOfObject(r); err != nil {
				return left, err
			}
			continue
		}
		rs.blobs[h] = consumed
		left--
		b := blob{hash: f[1], path: rs.paths[idx], size: size}
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
			return left, err
		}
		if err := endOfObject(r); err != nil {
			return left, err
		}
	}
	return 0, nil
}

// endOfObject reads the newline git writes after an object's content.
func endOfObject(r *bufio.Reader) error {
	if c, err := r.ReadByte(); err != nil || c != '\n' {
		return errors.New("reading git cat-file output: no newline after an object's content")
	}
	return nil
}

// introductions walks `git log --all --raw` (the run prefetch started, or
// one started now): each raw line names the blob a
// commit wrote at a path. Merge commits show (with -c) only what differs
// from every parent, which is what the merge itself introduced.
func (g *gitCLI) introductions(ctx context.Context, want map[string]bool) (map[string][]intro, error) {
	if g.ahead != nil {
		return g.logIntroductions(ctx, g.ahead.log, want)
	}
	return g.runIntroductions(ctx, want)
}

// runIntroductions is introductions by running git log now.
func (g *gitCLI) runIntroductions(ctx context.Context, want map[string]bool) (map[string][]intro, error) {
	cmd, err := startGit(ctx, g.dir, nil, "log", "--all", "--topo-order", "--root", "--no-show-signature", "--no-ext-diff", "--no-textconv", "--raw", "--no-renames", "--no-abbrev", "-c",
		"--format="+rawLogFormat)
	if err != nil {
		return nil, err
	}
	res := map[string][]intro{}
	n, perr := parseRawLog(cmd.Stdout, func(hash string, in intro) {
		if want[hash] {
			res[hash] = append(res[hash], in)
		}
	})
	if perr != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, perr
	}
	if err := cmd.Wait(); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		g.opts.warn(g.c, fmt.Errorf("%s: git log: %v: %s; provenance may be incomplete", g.dir, err, trimStderr(cmd.Stderr.Bytes())))
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

// logListingOn lets tests compare the log's listing with rev-list's.
var logListingOn = true

// logListing lists the blobs to scan from the raw log prefetch started:
// every blob a commit wrote is on one of its lines (a root commit shows its
// whole tree, every other commit what differs from its parents, and a merge,
// with -c, what differs from all of them), so the log reaches the blobs
// `rev-list --objects --all` does, and the scan saves that walk and its
// `cat-file --batch-check` (1.2 s of 7.9 s of CPU on etcd). Its answer is
// used only when it is the whole log and every ref names a commit or a
// blob (refBlobs adds those); a ref to a tree reaches what rev-list alone
// lists, and then ok is false and the scan lists with rev-list.
//
// A blob's path is the first one, in the log's order, that skip keeps; a
// blob is skipped only when skip drops every path the log shows it at.
func (g *gitCLI) logListing(ctx context.Context, skip func(string) bool) (rs *reachable, ok bool) {
	if !logListingOn || g.ahead == nil {
		return nil, false
	}
	named, ok := g.refBlobs(ctx)
	if !ok {
		return nil, false
	}
	run := g.ahead.log
	if run.wait(ctx) != nil || run.index == nil || run.waitErr != nil {
		return nil, false
	}
	x := run.index
	rs = &reachable{blobs: make(map[[20]byte]int32, len(x.lines)/2)}
	ignored := map[[20]byte]bool{}
	for _, h := range named {
		if skip("") {
			ignored[h] = true
		} else {
			rs.blobs[h] = rs.intern("")
		}
	}
	for _, l := range x.lines {
		if _, ok := rs.blobs[l.hash]; ok {
			continue
		}
		if skip(x.paths[l.path]) {
			ignored[l.hash] = true
			continue
		}
		rs.blobs[l.hash] = rs.intern(x.paths[l.path])
	}
	for h := range ignored {
		if _, ok := rs.blobs[h]; !ok {
			g.c.skipped.Add(1)
		}
	}
	g.ncommit.Store(x.ncommit)
	return rs, true
}

// refBlobs returns the blobs refs name, directly or through a tag (a
// replace ref for a lost blob, a tagged blob): the log walks commits only,
// so these are listed apart, first and at no path, as rev-list lists
// them. ok is false when a ref names something else the log does not
// walk (a tree, a tag of a tag).
func (g *gitCLI) refBlobs(ctx context.Context) (blobs [][20]byte, ok bool) {
	out, err := gitCommand(ctx, g.dir, "for-each-ref", "--format=%(objecttype) %(objectname) %(*objecttype) %(*objectname)").Output()
	if err != nil {
		return nil, false
	}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		var name string
		switch {
		case len(f) == 0, len(f) == 2 && f[0] == "commit", len(f) == 4 && f[0] == "tag" && f[2] == "commit":
			continue
		case len(f) == 2 && f[0] == "blob":
			name = f[1]
		case len(f) == 4 && f[0] == "tag" && f[2] == "blob":
			name = f[3]
		default:
			return nil, false
		}
		h, ok := parseHash(name)
		if !ok {
			return nil, false
		}
		blobs = append(blobs, h)
	}
	return blobs, true
}

// dropMissing asks git about listed blobs the store lacks: those git says
// are missing are warned about and dropped from rs, as rev-list's listing
// does; any git has stay listed (and the pack reader refuses the store).
// It returns how many it dropped.
func (g *gitCLI) dropMissing(ctx context.Context, rs *reachable, absent [][20]byte) (dropped int, err error) {
	if len(absent) == 0 {
		return 0, nil
	}
	var in bytes.Buffer
	for _, h := range absent {
		fmt.Fprintf(&in, "%x\n", h)
	}
	check := gitCommand(ctx, g.dir, "cat-file", "--batch-check=%(objectname)")
	check.Stdin = &in
	out, err := check.Output()
	if err != nil {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		return 0, nil // the reader refuses the store, and cat-file reads
	}
	for _, line := range strings.Split(string(out), "\n") {
		name, ok := strings.CutSuffix(line, " missing")
		if !ok {
			continue
		}
		if h, ok := parseHash(name); ok {
			if _, listed := rs.blobs[h]; listed {
				delete(rs.blobs, h)
				dropped++
				g.opts.warn(g.c, fmt.Errorf("%s: object %s is missing from the repository; not scanned", g.dir, name))
			}
		}
	}
	return dropped, nil
}
