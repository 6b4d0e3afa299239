package scanner

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
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

// provenanceAhead turns prefetch on; tests turn it off to compare.
var provenanceAhead = true

// logLine is one raw line of the log: a commit wrote the blob hash at a
// path. It holds no pointer, so the index of a large history costs the
// collector nothing to scan.
type logLine struct {
	hash   [20]byte
	commit int32 // index into logIndex.commits
	path   int32 // index into logIndex.paths
}

// logCommit is a commit header of the log: heads[start:end] (without its
// \x01), and its number in the log (parseRawLog's count, for its rank).
type logCommit struct {
	start, end int
	n          int64
}

// logIndex is `git log --all --raw -c` kept as a list of its raw lines, in
// the log's order, with each commit header and path stored once. Headers
// are kept as text, in one buffer, and read only for the commits that
// introduced a wanted blob.
type logIndex struct {
	heads   []byte
	commits []logCommit
	pathTable
	lines []logLine
	// ncommit counts the log's commits (parseRawLog's count).
	ncommit int64
	// size estimates the index's memory.
	size int
}

// logIndexBudget bounds the index's memory: a history whose log needs more
// (a million raw lines and more) is not indexed, and its introductions run
// git log again after the scan, keeping only the wanted blobs' lines.
var logIndexBudget = 48 << 20

// errLogBudget says the log did not fit logIndexBudget.
var errLogBudget = errors.New("the log is larger than its index's budget")

// Approximate costs of an index entry beyond its bytes, for the budget.
const (
	logLineCost   = 28
	logCommitCost = 24
	logPathCost   = 64 // string header, map slot and allocation rounding
)

// indexRawLog reads `git log --raw -c` output (rawLogFormat headers) as
// parseRawLog does, without a string per line, and indexes it. It fails
// with errLogBudget when the index would exceed budget bytes.
func indexRawLog(r io.Reader, budget int) (*logIndex, error) {
	x := &logIndex{}
	br := bufio.NewReaderSize(r, 256<<10)
	var long []byte // a line longer than br's buffer
	cur := int32(-1)
	for {
		line, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			long = append(long, line...)
			continue
		}
		if long != nil {
			long = append(long, line...)
			line, long = long, nil
		}
		line = bytes.TrimSuffix(line, []byte{'\n'})
		if len(line) > 0 {
			switch {
			case line[0] == 1:
				cur = -1
				if isLogHeader(string(line[1:])) {
					x.ncommit++
					cur = int32(len(x.commits))
					x.commits = append(x.commits, logCommit{start: len(x.heads), end: len(x.heads) + len(line) - 1, n: x.ncommit})
					x.heads = append(x.heads, line[1:]...)
					x.size += len(line) + logCommitCost
				}
			case line[0] == ':' && cur >= 0:
				if h, path, ok := rawBlob(line); ok {
					n := len(x.paths)
					p := x.internBytes(path)
					if len(x.paths) > n {
						x.size += len(path) + logPathCost
					}
					x.lines = append(x.lines, logLine{hash: h, commit: cur, path: p})
					x.size += logLineCost
				}
			}
			if x.size > budget {
				return nil, errLogBudget
			}
		}
		if err == io.EOF {
			return x, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading git log: %w", err)
		}
	}
}

// rawBlob is rawLine for indexRawLog: the new blob's name (a 40-digit one;
// the scan names no other) and the path of a raw line rawLine accepts.
// Lines with bytes outside ASCII before the tab, which strings.Fields splits
// on Unicode spaces, and quoted paths go through rawLine itself.
func rawBlob(line []byte) (hash [20]byte, path []byte, ok bool) {
	tab := bytes.IndexByte(line, '\t')
	if tab < 0 {
		return hash, nil, false
	}
	head := line[:tab]
	for _, c := range head {
		if c >= 0x80 {
			return rawBlobSlow(line)
		}
	}
	if len(line) > tab+1 && line[tab+1] == '"' {
		return rawBlobSlow(line)
	}
	colons := 0
	for colons < len(head) && head[colons] == ':' {
		colons++
	}
	// Fields of head[colons:]: colons+1 modes, colons+1 hashes (the
	// parents', then the new one) and the status.
	want := 2*colons + 3
	var newMode, newHash []byte
	i, k := colons, 0
	for {
		for i < len(head) && asciiSpace(head[i]) {
			i++
		}
		if i == len(head) {
			break
		}
		j := i
		for j < len(head) && !asciiSpace(head[j]) {
			j++
		}
		f := head[i:j]
		if k >= colons+1 && k <= 2*colons+1 && !isHash(string(f)) {
			return hash, nil, false
		}
		switch k {
		case colons:
			newMode = f
		case 2*colons + 1:
			newHash = f
		}
		k++
		i = j
	}
	if colons == 0 || k != want {
		return hash, nil, false
	}
	if allZeros(newHash) || string(newMode) == "160000" {
		return hash, nil, false
	}
	if len(newHash) != 40 {
		return hash, nil, false
	}
	if _, err := hex.Decode(hash[:], newHash); err != nil {
		return hash, nil, false
	}
	return hash, line[tab+1:], true
}

func rawBlobSlow(line []byte) (hash [20]byte, path []byte, ok bool) {
	hs, p, _, ok := rawLine(string(line))
	if !ok {
		return hash, nil, false
	}
	h, ok := parseHash(hs)
	if !ok {
		return hash, nil, false
	}
	return h, []byte(p), true
}

// asciiSpace is unicode.IsSpace for a byte below 0x80.
func asciiSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

func allZeros(b []byte) bool {
	for _, c := range b {
		if c != '0' {
			return false
		}
	}
	return true
}

// introductions returns the lines of the wanted blobs as introductions, in
// the log's order: what gitCLI.introductions collects when it reads the log
// after the scan (parents left out: only range scans use them, and they read
// their own log). The introductions of one commit share its commitInfo.
func (x *logIndex) introductions(want map[string]bool) map[string][]intro {
	wanted := make(map[[20]byte]string, len(want))
	for hash := range want {
		if h, ok := parseHash(hash); ok && isHash(hash) {
			wanted[h] = hash
		}
	}
	infos := map[int32]*commitInfo{}
	res := map[string][]intro{}
	for _, l := range x.lines {
		hash, ok := wanted[l.hash]
		if !ok {
			continue
		}
		info := infos[l.commit]
		if info == nil {
			c := x.commits[l.commit]
			info = logHeader(string(x.heads[c.start:c.end]), c.n)
			infos[l.commit] = info
		}
		res[hash] = append(res[hash], intro{path: x.paths[l.path], commit: info})
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
	// overBudget: the log was too large to index, and was stopped.
	overBudget bool
	// stopped: the run's context ended before the log did.
	stopped bool
}

// startLog starts `git log --all --raw` in the background. The run stops
// when ctx ends.
func (g *gitCLI) startLog(ctx context.Context) *logRun {
	run := &logRun{done: make(chan struct{})}
	go func() {
		defer close(run.done)
		defer func() {
			// Stopped (or the scan's context ended) before the log did:
			// neither what was read nor the error is the log's answer.
			run.stopped = ctx.Err() != nil
		}()
		cmd, err := startGit(ctx, g.dir, nil, "log", "--all", "--topo-order", "--root", "--no-show-signature", "--no-ext-diff", "--no-textconv", "--raw", "--no-renames", "--no-abbrev", "-c",
			"--format="+rawLogFormat)
		if err != nil {
			run.startErr = err
			return
		}
		x, perr := indexRawLog(cmd.Stdout, logIndexBudget)
		if errors.Is(perr, errLogBudget) {
			// introductions runs git log itself, as without prefetch.
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			run.overBudget = true
			return
		}
		if perr != nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			run.readErr = perr
			return
		}
		run.waitErr = cmd.Wait()
		if ctx.Err() != nil {
			return // stopped: what was read is not the whole log
		}
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
	done    chan struct{}
	hidden  map[string]string
	err     error
	stopped bool // its context ended first: hidden and err are not an answer
}

func (g *gitCLI) startHidden(ctx context.Context) *hiddenRun {
	run := &hiddenRun{done: make(chan struct{})}
	go func() {
		defer close(run.done)
		run.hidden, run.err = g.listHidden(ctx)
		run.stopped = ctx.Err() != nil
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
	if !provenanceAhead {
		return
	}
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
	case run.overBudget, run.stopped:
		// Run again, as without prefetch (stopped by stop: the scan's
		// own context is live).
		return g.runIntroductions(ctx, want)
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
func (g *gitCLI) hiddenFrom(ctx context.Context, run *hiddenRun) (map[string]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	select {
	case <-run.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if run.stopped {
		return g.listHidden(ctx)
	}
	return run.hidden, run.err
}
