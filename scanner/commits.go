package scanner

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/achilles-sec/achilles/detectors"
	"github.com/achilles-sec/achilles/scanner/finding"
)

// scanCommits scans only what the commits selected by revArgs (as `git log`
// takes them: "A..B", "REF..HEAD", "SHA --not --remotes") introduced: every
// blob they wrote, once, with the commit in the range that first wrote it
// at that path, less the secrets the file already held before. It is the CI
// and pre-push mode of ScanGit: only the range's blobs, and the parents'
// versions of those with matches, are read.
func scanCommits(ctx context.Context, opts Options, dir string, revArgs []string) (*Result, error) {
	start := time.Now()
	var c counters
	opts.countInline(&c)
	if out, err := gitCommand(ctx, dir, "rev-parse", "--is-shallow-repository").Output(); err == nil && strings.TrimSpace(string(out)) == "true" {
		opts.warn(&c, fmt.Errorf("%s: shallow clone: a commit at the shallow boundary looks as if it added every file it holds, so secrets from before the range may be reported; fetch the history behind the range (actions/checkout: fetch-depth: 0)", dir))
	}
	pseudo, revs, err := splitRevisions(revArgs)
	if err != nil {
		return nil, err
	}
	args := []string{"log", "--topo-order", "--raw", "--root", "--no-renames", "--no-abbrev", "-c", "--no-show-signature",
		"--no-ext-diff", "--no-textconv", "--format=" + rawLogFormat}
	args = append(args, pseudo...)
	args = append(args, "--end-of-options")
	args = append(args, revs...)
	args = append(args, "--")
	cmd, err := startGit(ctx, dir, nil, args...)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTarget, err)
	}
	intros := map[string][]intro{}
	var order []string
	ncommits, perr := parseRawLog(cmd.Stdout, func(hash string, in intro) {
		if _, seen := intros[hash]; !seen {
			order = append(order, hash)
		}
		intros[hash] = append(intros[hash], in)
	})
	if err := cmd.Wait(); err != nil {
		return nil, fmt.Errorf("%w: git log %s: %s", ErrTarget, strings.Join(revArgs, " "), trimStderr(cmd.Stderr.Bytes()))
	}
	if perr != nil {
		return nil, perr
	}
	c.commits.Store(ncommits)
	cfg := opts.Engine.Config()
	opts.Engine = opts.Engine.RememberingMisses()
	hs := &histScan{opts: opts, c: &c, cache: newChunkCache(), overlap: opts.Engine.Overlap()}
	var want []string
	for _, h := range order {
		if pathIgnored(cfg, intros[h][0].path) {
			c.skipped.Add(1)
			continue
		}
		want = append(want, h)
	}
	src := &namedBlobs{dir: dir, hashes: want, maxSize: opts.MaxFileSize,
		path: func(hash string) string { return intros[hash][0].path },
		missing: func(hash string) {
			opts.warn(&c, fmt.Errorf("%s: blob %s (%s) is missing; not scanned", dir, hash, intros[hash][0].path))
		}}
	if err := hs.scanBlobs(ctx, src); err != nil && ctx.Err() == nil {
		return nil, err
	}
	hs.warnSkipped(dir)
	// A path-only rule flags a blob at any of the paths it was written to.
	for _, h := range want {
		for _, in := range intros[h] {
			if len(pathFindings(cfg, place{path: in.path})) > 0 {
				hs.pathOnly[h] = true
				if hs.matches[h] == nil {
					hs.firstAt[h] = in.path
				}
			}
		}
	}
	if err := hs.dropInherited(ctx, dir, intros); err != nil && ctx.Err() == nil {
		return nil, err
	}
	// Lines are reported as they are at the range's tip, where a reviewer
	// (and code scanning's annotation of the pull request) looks.
	atTip := tipBlobs(ctx, dir, rangeTip(revs), hs.firstAt)
	res := &Result{Findings: hs.assemble(intros, atTip), Incomplete: ctx.Err() != nil}
	c.fill(&res.Stats)
	res.Stats.What = "commits " + strings.Join(revArgs, " ") + " in " + dir
	res.Stats.Duration = time.Since(start)
	finding.Sort(res.Findings)
	return res, ctx.Err()
}

// splitRevisions checks the revision arguments of a range scan and splits
// them into what goes before `--end-of-options` (the pseudo-options
// PrePushRevisions adds: "--not --remotes") and the revisions after it, so
// that nothing given (a --since or --range value, a ref name) can become
// an option of git: a revision starting with '-' is refused. A revision
// after "--not" is written negated ("^rev").
func splitRevisions(revArgs []string) (pseudo, revs []string, err error) {
	not := false
	for _, r := range revArgs {
		switch {
		case r == "--not":
			not = !not
		case r == "--remotes":
			if not {
				pseudo = append(pseudo, "--not", "--remotes", "--not")
			} else {
				pseudo = append(pseudo, "--remotes")
			}
		case r == "" || strings.HasPrefix(r, "-"):
			return nil, nil, fmt.Errorf("%w: revision %q: a revision cannot be empty or start with '-'", ErrTarget, r)
		case not && (strings.HasPrefix(r, "^") || strings.Contains(r, "..")):
			return nil, nil, fmt.Errorf("%w: revision %q cannot follow --not", ErrTarget, r)
		case not:
			revs = append(revs, "^"+r)
		default:
			revs = append(revs, r)
		}
	}
	if len(revs) == 0 {
		return nil, nil, fmt.Errorf("%w: no revision to scan", ErrTarget)
	}
	return pseudo, revs, nil
}

// dropInherited makes assemble leave out secrets a commit did not add: a
// changed file keeps the secrets it already had, and those were introduced
// before the range (or by an earlier commit in it). It reads the parents'
// versions of the changed files that had matches, and only those.
func (hs *histScan) dropInherited(ctx context.Context, dir string, intros map[string][]intro) error {
	var want []string
	seen := map[string]bool{}
	for hash := range hs.matches {
		for _, in := range intros[hash] {
			for _, p := range in.parents {
				if !seen[p] {
					seen[p] = true
					want = append(want, p)
				}
			}
		}
	}
	type secret struct{ rule, secret string }
	before := map[string]map[secret]bool{} // parent blob -> secrets in it
	hs.inherited = func(in intro, f finding.Finding) bool {
		if len(in.parents) > 0 && f.Secret == "" && f.Line == 0 {
			// A path-only finding: the file was already at this path.
			return true
		}
		for _, p := range in.parents {
			if before[p][secret{f.RuleID, f.Secret}] {
				return true
			}
		}
		return false
	}
	if len(want) == 0 {
		return nil
	}
	// The parents' versions are read to compare, not reported: their
	// inline allow markers are not counted.
	quiet := hs.opts
	quiet.Engine = quiet.Engine.CountingInline(nil)
	sc := quiet.bufScanner()
	keep := func(hash string, ms []detectors.Match) {
		set := map[secret]bool{}
		for _, m := range ms {
			set[secret{m.Rule.ID, m.Secret}] = true
		}
		before[hash] = set
	}
	src := &namedBlobs{dir: dir, hashes: want, maxSize: hs.opts.MaxFileSize, missing: func(string) {}}
	return src.blobs(ctx, nil, blobSink{fn: func(b blob) error {
		if !IsBinary(b.data) {
			keep(b.hash, sc.Scan(b.data))
		}
		return nil
	}, large: func(b blob, r io.Reader) error {
		br := bufio.NewReaderSize(r, 8192)
		if head, _ := br.Peek(8000); IsBinary(head) {
			return nil
		}
		ms, err := scanStream(ctx, sc, br, nil)
		keep(b.hash, ms)
		return err
	}})
}

// parseRawLog reads `git log --raw -c` output with the commit format used
// above and calls fn for each blob a commit wrote; it returns the number of
// commits.
// rawLogFormat is the commit header parseRawLog reads: hash, author name,
// email, author and committer dates, subject (last: it may hold anything
// but a newline).
const rawLogFormat = "%x01%H%x00%an%x00%ae%x00%at%x00%ct%x00%s"

func parseRawLog(r io.Reader, fn func(hash string, in intro)) (int64, error) {
	var cur *commitInfo
	var n int64
	br := bufio.NewReaderSize(r, 256<<10)
	for {
		line, err := br.ReadString('\n')
		line = strings.TrimSuffix(line, "\n")
		if len(line) > 0 {
			switch {
			case line[0] == 1:
				cur = nil // what follows a header it cannot read is not this commit's
				if isLogHeader(line[1:]) {
					n++
					cur = logHeader(line[1:], n)
				}
			case line[0] == ':' && cur != nil:
				if hash, path, parents, ok := rawLine(line); ok {
					fn(hash, intro{path: path, commit: cur, parents: parents})
				}
			}
		}
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, fmt.Errorf("reading git log: %w", err)
		}
	}
}

// isLogHeader reports whether s (a header line without its \x01) is one
// parseRawLog reads: six fields, the first a commit name.
func isLogHeader(s string) bool {
	f := strings.SplitN(s, "\x00", 6)
	return len(f) == 6 && isHash(f[0])
}

// logHeader reads a header isLogHeader accepts, the n-th of the log.
func logHeader(s string, n int64) *commitInfo {
	f := strings.SplitN(s, "\x00", 6)
	ts, _ := strconv.ParseInt(f[3], 10, 64)
	cts, _ := strconv.ParseInt(f[4], 10, 64)
	// git log --topo-order lists children before parents: a later line is
	// further back along history.
	return &commitInfo{hash: f[0], author: f[1], email: f[2], when: time.Unix(ts, 0).UTC(), summary: f[5],
		committed: time.Unix(cts, 0).UTC(), rank: -n}
}

// rawLine reads the new blob, the path and the parents' blobs of a raw
// diff line (":mode mode old new status\tpath", with one more colon, mode
// and hash per extra parent in combined form). Deletions and submodules are
// skipped; a parent without the file (or with a submodule there) has no blob.
func rawLine(line string) (hash, path string, parents []string, ok bool) {
	tab := strings.IndexByte(line, '\t')
	if tab < 0 {
		return "", "", nil, false
	}
	colons := 0
	for colons < len(line) && line[colons] == ':' {
		colons++
	}
	// colons+1 modes, colons+1 hashes (the parents', then the new one) and
	// the status.
	fields := strings.Fields(line[colons:tab])
	if colons == 0 || len(fields) != 2*colons+3 {
		return "", "", nil, false
	}
	for _, h := range fields[colons+1 : 2*colons+2] {
		if !isHash(h) {
			return "", "", nil, false
		}
	}
	hash = fields[2*colons+1]
	newMode := fields[colons]
	if isZeroHash(hash) || newMode == "160000" {
		return "", "", nil, false
	}
	for i := 0; i < colons; i++ {
		if old := fields[colons+1+i]; !isZeroHash(old) && fields[i] != "160000" {
			parents = append(parents, old)
		}
	}
	return hash, unquoteGitPath(line[tab+1:]), parents, true
}

// namedBlobs is the source of blobs known by name: the blobs a commit
// range wrote, their parents' versions, the index's staged files. It reads
// them through one `git cat-file --batch` and hands each to fn whole, or to
// large as a stream when it is over maxSize, like the full-history source,
// so every git mode shares the searcher's workers, limits and warnings.
type namedBlobs struct {
	dir     string
	hashes  []string
	path    func(hash string) string
	maxSize int64
	missing func(hash string)
}

func (n *namedBlobs) blobs(ctx context.Context, _ func(string) bool, sink blobSink) error {
	if len(n.hashes) == 0 {
		return nil
	}
	cmd, err := startGit(ctx, n.dir, strings.NewReader(strings.Join(n.hashes, "\n")+"\n"), "cat-file", "--buffer", "--batch")
	if err != nil {
		return err
	}
	maxSize := n.maxSize
	if maxSize <= 0 {
		maxSize = DefaultMaxFileSize
	}
	readErr := readNamed(bufio.NewReaderSize(cmd.Stdout, 1<<20), n.hashes, maxSize, func(b blob, r io.Reader) error {
		if n.path != nil {
			b.path = n.path(b.hash)
		}
		if r != nil {
			return sink.large(b, r)
		}
		return sink.fn(b)
	}, n.missing)
	if readErr != nil {
		_ = cmd.Process.Kill()
	}
	_ = cmd.Wait()
	return readErr
}

// readNamed reads the answers of `git cat-file --batch` to the object
// names asked, in order: for each, "<name> missing", or a "<name> <type>
// <size>" header, the content and a newline. Blobs go to fn, missing names
// to missing; a blob over maxSize is handed to fn as a reader of its
// content (data nil), to be read before fn returns, and is never held
// whole.
func readNamed(r *bufio.Reader, hashes []string, maxSize int64, fn func(b blob, stream io.Reader) error, missing func(hash string)) error {
	for _, hash := range hashes {
		header, err := r.ReadString('\n')
		if err != nil {
			return fmt.Errorf("reading git cat-file output: %w", err)
		}
		f := strings.Fields(header)
		if len(f) > 0 && f[0] != hash {
			return fmt.Errorf("git cat-file answered %.100q when asked for %s", f[0], hash)
		}
		if len(f) == 2 && f[1] == "missing" {
			missing(f[0])
			continue
		}
		if len(f) != 3 {
			return fmt.Errorf("unexpected git cat-file header %.200q", strings.TrimSpace(header))
		}
		size, ok := objectSize(f[2])
		if !ok {
			return fmt.Errorf("unexpected git cat-file header %.200q", strings.TrimSpace(header))
		}
		b := blob{hash: f[0], size: size}
		if size > maxSize {
			lr := io.LimitReader(r, size)
			if f[1] == "blob" {
				err = fn(b, lr)
			}
			if _, derr := io.Copy(io.Discard, lr); err == nil && derr != nil {
				err = fmt.Errorf("reading object %.100s from git cat-file: %w", f[0], derr)
			}
			if err == nil {
				err = endOfObject(r)
			}
			if err != nil {
				return err
			}
			continue
		}
		data, err := readObject(r, size)
		if err != nil {
			return fmt.Errorf("reading object %.100s from git cat-file: %w", f[0], err)
		}
		if f[1] == "blob" {
			b.data = data
			if err := fn(b, nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// objectSize reads the size field of a cat-file header.
func objectSize(s string) (int64, bool) {
	size, err := strconv.ParseInt(s, 10, 64)
	return size, err == nil && size >= 0
}

// readObject reads size bytes of content and the newline after them.
// Past 1 MiB the buffer grows with what arrives, not with what the header
// claims.
func readObject(r *bufio.Reader, size int64) ([]byte, error) {
	var data []byte
	if size <= 1<<20 {
		data = make([]byte, size)
		if _, err := io.ReadFull(r, data); err != nil {
			return nil, err
		}
	} else {
		var buf bytes.Buffer
		buf.Grow(1 << 20)
		if _, err := buf.ReadFrom(io.LimitReader(r, size)); err != nil {
			return nil, err
		}
		if int64(buf.Len()) != size {
			return nil, io.ErrUnexpectedEOF
		}
		data = buf.Bytes()
	}
	if c, err := r.ReadByte(); err != nil || c != '\n' {
		return nil, fmt.Errorf("no newline after %d bytes of content", size)
	}
	return data, nil
}

// PrePushRevisions reads git's pre-push hook input ("<local ref> <local
// sha> <remote ref> <remote sha>" per line) for the repository at dir and
// returns `git log` revision arguments for the commits being pushed: for an
// update, remote..local; for a new branch, or a remote commit this clone
// does not have (someone else pushed; a force push), local not on any
// remote-tracking ref; a deletion pushes no commits.
func PrePushRevisions(ctx context.Context, dir string, r io.Reader) ([]string, error) {
	have := func(sha string) bool {
		// sha is a full hex object name (parsePrePush checks it); a name
		// the clone lacks is never fetched (gitCommand).
		return gitCommand(ctx, dir, "cat-file", "-e", sha+"^{commit}").Run() == nil
	}
	return prePushRevisions(r, have)
}

func prePushRevisions(r io.Reader, have func(sha string) bool) ([]string, error) {
	updates, err := parsePrePush(r)
	if err != nil {
		return nil, err
	}
	var revs []string
	newBranch := false
	for _, u := range updates {
		switch {
		case isZeroHash(u.localSHA):
			// Deleting a remote branch pushes nothing.
		case isZeroHash(u.remoteSHA) || !have(u.remoteSHA):
			revs = append(revs, u.localSHA)
			newBranch = true
		default:
			revs = append(revs, u.remoteSHA+".."+u.localSHA)
		}
	}
	if newBranch {
		revs = append(revs, "--not", "--remotes")
	}
	return revs, nil
}

// prePushUpdate is one line of git's pre-push hook input: a ref being
// pushed, with the object names on both sides (all zeros when the side
// has none).
type prePushUpdate struct {
	localRef, localSHA, remoteRef, remoteSHA string
}

// parsePrePush reads git's pre-push hook input, "<local ref> <local sha>
// <remote ref> <remote sha>" per line; blank lines are skipped. The object
// names must be full lowercase hex names of the same length, so nothing
// else (an option, a revision expression) reaches git.
func parsePrePush(r io.Reader) ([]prePushUpdate, error) {
	var out []prePushUpdate
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if len(f) != 4 || !isHash(f[1]) || !isHash(f[3]) || len(f[1]) != len(f[3]) {
			return nil, fmt.Errorf("pre-push input line %d: unexpected %.200q (want: local-ref local-sha remote-ref remote-sha)", n, sc.Text())
		}
		out = append(out, prePushUpdate{localRef: f[0], localSHA: f[1], remoteRef: f[2], remoteSHA: f[3]})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading pre-push input: %w", err)
	}
	return out, nil
}

// isZeroHash reports whether s is git's all-zeros name for "no object".
func isZeroHash(s string) bool { return strings.Trim(s, "0") == "" }

func isHash(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// rangeTip is the commit a range ends at: B of "A..B" (HEAD when B is
// empty), else the last revision that is not negated.
func rangeTip(revs []string) string {
	tip := "HEAD"
	for _, r := range revs {
		if strings.HasPrefix(r, "^") {
			continue
		}
		if _, b, ok := strings.Cut(r, "..."); ok {
			r = b
		} else if _, b, ok := strings.Cut(r, ".."); ok {
			r = b
		}
		if r == "" {
			r = "HEAD"
		}
		tip = r
	}
	return tip
}

// tipBlobs returns a lookup from path to the blob at path in commit tip,
// for the paths the scan found something at; nil when the tip cannot be
// read (the findings then keep their introducing lines and say nothing
// of the tip).
func tipBlobs(ctx context.Context, dir, tip string, firstAt map[string]string) func(string) (string, bool) {
	if len(firstAt) == 0 {
		return nil
	}
	out, err := gitCommand(ctx, dir, "ls-tree", "-r", "-z", "--full-tree", "--end-of-options", tip).Output()
	if err != nil {
		return nil
	}
	blobs := map[string]string{}
	for _, rec := range strings.Split(string(out), "\x00") {
		meta, path, ok := strings.Cut(rec, "\t")
		if f := strings.Fields(meta); ok && len(f) == 3 && f[1] == "blob" {
			blobs[path] = f[2]
		}
	}
	return func(path string) (string, bool) {
		h, ok := blobs[path]
		return h, ok
	}
}
