package scanner

import (
	"context"
	"fmt"
	"sync"
)

// The git binary's provenance runs beside the scan. Listing, reading and
// scanning the blobs take most of a history scan, and `git log --all --raw`
// (which commit wrote which blob at which path) and the hidden refs' commits
// need none of their results, so they start with the scan and are ready when
// it ends: the blobs with matches are then looked up in an index of the log
// instead of in a second walk of history. What a phase reports (warnings,
// errors, the commit count) is still reported when the scan asks for it, in
// the order it asked before, and not at all when it does not ask.

// logLine is one raw line of the log: a commit wrote the blob hash at a
// path. It holds no pointer, so the index of a large history costs the
// collector nothing to scan.
type logLine struct {
	hash   [20]byte
	commit int32 // index into logIndex.commits
	path   int32 // index into logIndex.paths
}

// logIndex is `git log --all --raw -c` kept as a list of its raw lines, in
// the log's order, with each commit and path stored once.
type logIndex struct {
	commits []*commitInfo
	paths   []string
	pathIdx map[string]int32
	lines   []logLine
	// ncommit counts the log's commits (parseRawLog's count).
	ncommit int64
}

func newLogIndex() *logIndex {
	return &logIndex{pathIdx: map[string]int32{}}
}

// add records one raw line as parseRawLog reports it. Lines of one commit
// come together, so a commit is a new one when its pointer changes.
func (x *logIndex) add(hash string, in intro) {
	h, ok := parseHash(hash)
	if !ok {
		return
	}
	if n := len(x.commits); n == 0 || x.commits[n-1] != in.commit {
		x.commits = append(x.commits, in.commit)
	}
	p, ok := x.pathIdx[in.path]
	if !ok {
		// A path is a substring of its raw line: a copy keeps only the path.
		path := string([]byte(in.path))
		p = int32(len(x.paths))
		x.paths = append(x.paths, path)
		x.pathIdx[path] = p
	}
	x.lines = append(x.lines, logLine{hash: h, commit: int32(len(x.commits) - 1), path: p})
}

// introductions returns the lines of the wanted blobs as introductions, in
// the log's order: what gitCLI.introductions collected while reading the log
// itself. Range scans, which need the parents' blobs, read their own log.
func (x *logIndex) introductions(want map[string]bool) map[string][]intro {
	wanted := make(map[[20]byte]string, len(want))
	for hash := range want {
		if h, ok := parseHash(hash); ok {
			wanted[h] = hash
		}
	}
	res := map[string][]intro{}
	for _, l := range x.lines {
		if hash, ok := wanted[l.hash]; ok {
			res[hash] = append(res[hash], intro{path: x.paths[l.path], commit: x.commits[l.commit]})
		}
	}
	return res
}

// logRun is one `git log --all --raw` started ahead and read into an index.
type logRun struct {
	done chan struct{}
	// Set before done is closed.
	index    *logIndex
	startErr error  // git could not be started
	readErr  error  // reading its output failed (git was killed)
	waitErr  error  // git failed
	stderr   string // git's error output, trimmed
}

// startLog starts `git log --all --raw` in the background. The run stops
// when ctx ends.
func (g *gitCLI) startLog(ctx context.Context) *logRun {
	run := &logRun{done: make(chan struct{})}
	go func() {
		defer close(run.done)
		cmd, err := startGit(ctx, g.dir, nil, "log", "--all", "--topo-order", "--root", "--no-show-signature", "--no-ext-diff", "--no-textconv", "--raw", "--no-renames", "--no-abbrev", "-c",
			"--format="+rawLogFormat)
		if err != nil {
			run.startErr = err
			return
		}
		x := newLogIndex()
		n, perr := parseRawLog(cmd.Stdout, x.add)
		x.ncommit = n
		if perr != nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			run.readErr = perr
			return
		}
		run.waitErr = cmd.Wait()
		run.stderr = trimStderr(cmd.Stderr.Bytes())
		run.index = x
	}()
	return run
}

// wait waits for the run to end, or for ctx.
func (r *logRun) wait(ctx context.Context) error {
	select {
	case <-r.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// hiddenRun is hiddenOnly started ahead.
type hiddenRun struct {
	done   chan struct{}
	hidden map[string]string
	err    error
}

func (g *gitCLI) startHidden(ctx context.Context) *hiddenRun {
	run := &hiddenRun{done: make(chan struct{})}
	go func() {
		defer close(run.done)
		run.hidden, run.err = g.listHidden(ctx)
	}()
	return run
}

// ahead is what a gitCLI scan started beside the blobs: the log and the
// hidden refs' commits, stopped and reaped by stop.
type ahead struct {
	cancel context.CancelFunc
	log    *logRun
	hidden *hiddenRun
	once   sync.Once
}

// prefetch starts the provenance commands; stop ends them. Without
// prefetch, introductions and hiddenOnly run their commands when asked.
func (g *gitCLI) prefetch(ctx context.Context) {
	actx, cancel := context.WithCancel(ctx)
	g.ahead = &ahead{cancel: cancel, log: g.startLog(actx), hidden: g.startHidden(actx)}
}

// stop ends what prefetch started and waits for its git processes to exit.
func (g *gitCLI) stop() {
	a := g.ahead
	if a == nil {
		return
	}
	a.once.Do(func() {
		a.cancel()
		<-a.log.done
		<-a.hidden.done
	})
}

// logIntroductions is introductions from the log started ahead, with the
// outcomes introductions has when it runs git log itself.
func (g *gitCLI) logIntroductions(ctx context.Context, run *logRun, want map[string]bool) (map[string][]intro, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := run.wait(ctx); err != nil {
		return nil, err
	}
	switch {
	case run.startErr != nil:
		return nil, run.startErr
	case run.readErr != nil:
		return nil, run.readErr
	}
	if run.waitErr != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		g.opts.warn(g.c, fmt.Errorf("%s: git log: %v: %s; provenance may be incomplete", g.dir, run.waitErr, run.stderr))
	}
	if g.ncommit.Load() == 0 {
		g.ncommit.Store(run.index.ncommit)
	}
	return run.index.introductions(want), nil
}

// hiddenFrom is hiddenOnly from the run started ahead.
func hiddenFrom(ctx context.Context, run *hiddenRun) (map[string]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	select {
	case <-run.done:
		return run.hidden, run.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
