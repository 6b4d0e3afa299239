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

	"github.com/achilles-sec/achilles/scanner/finding"
)

// ScanStaged scans exactly what is staged in the repository at dir: every
// file the index adds or changes over HEAD (new files, edits, the new side
// of a rename, a partial `git add -p`), reporting staged paths and line
// numbers in the staged version. It never walks history, so it costs about
// the size of the change.
//
// Each staged file is scanned whole, as it is in the index, so rules that
// need the lines around a secret still see them; a finding is kept when
// one of its lines is an added line. Binary files and archives have no
// line-level diff: what they hold is reported in full.
func ScanStaged(ctx context.Context, opts Options, dir string) (*Result, error) {
	return ScanStagedList(ctx, opts, dir, ListStaged(ctx, dir))
}

// StagedList is the staged diff of a repository, read by `git diff
// --cached` in the background from ListStaged on, so that a command can
// build its rules meanwhile: the git process's start costs as much as
// building them, and the two need not wait for each other.
type StagedList struct {
	done  chan struct{}
	files []stagedFile
	err   error
}

// ListStaged starts reading the staged diff of the repository at dir.
// The caller must Wait (or scan the list) before it returns, so that the
// git process does not outlive it.
func ListStaged(ctx context.Context, dir string) *StagedList {
	l := &StagedList{done: make(chan struct{})}
	go func() {
		defer close(l.done)
		l.files, l.err = stagedFiles(ctx, dir)
	}()
	return l
}

// Wait waits for the diff to be read and returns git's error, if any.
func (l *StagedList) Wait() error {
	<-l.done
	return l.err
}

// Paths lists the paths with staged changes that have content in the
// index (deletions left out), relative to the repository root.
func (l *StagedList) Paths() ([]string, error) {
	if err := l.Wait(); err != nil {
		return nil, err
	}
	out := make([]string, len(l.files))
	for i, f := range l.files {
		out[i] = f.path
	}
	return out, nil
}

// ScanStagedList is ScanStaged over a list ListStaged started for dir.
func ScanStagedList(ctx context.Context, opts Options, dir string, l *StagedList) (*Result, error) {
	start := time.Now()
	var c counters
	opts.countInline(&c)
	if err := l.Wait(); err != nil {
		return nil, err
	}
	files := l.files
	cfg := opts.Engine.Config()
	res := &Result{}
	byHash := map[string][]stagedFile{}
	var want []string
	for _, f := range files {
		c.objects.Add(1)
		if f.isNew {
			// A path-only rule flags adding the file, not every edit to it.
			res.Findings = append(res.Findings, pathFindings(cfg, place{path: f.path})...)
		}
		if pathIgnored(cfg, f.path) {
			c.skipped.Add(1)
			continue
		}
		if len(byHash[f.hash]) == 0 {
			want = append(want, f.hash)
		}
		byHash[f.hash] = append(byHash[f.hash], f)
	}
	src := &namedBlobs{dir: dir, hashes: want, maxSize: opts.MaxFileSize, missing: func(hash string) {
		opts.warn(&c, fmt.Errorf("%s: staged blob %s (%s) is missing; not scanned", dir, hash, byHash[hash][0].path))
	}}
	err := src.blobs(ctx, nil, blobSink{fn: func(b blob) error {
		c.bytes.Add(int64(len(b.data)))
		opts.progress(int64(len(b.data)), 1)
		for _, f := range byHash[b.hash] {
			res.Findings = append(res.Findings, f.findings(ctx, opts, &c, b.data)...)
		}
		return nil
	}, large: func(b blob, r io.Reader) error {
		// Over --max-file-size: streamed, as a file of that size is.
		br := bufio.NewReaderSize(r, 8192)
		if head, _ := br.Peek(8000); IsBinary(head) {
			c.binary.Add(1)
			return nil
		}
		l, err := streamFindings(ctx, opts, &c, br, place{path: byHash[b.hash][0].path}, b.size, finding.ListOf(nil))
		opts.progress(0, 1)
		fs, _ := l.Slice() // in memory: ListOf never spills
		for _, f := range byHash[b.hash] {
			for _, x := range fs {
				if x.Path != f.path {
					x.Path, x.Fingerprint = f.path, finding.MakeFingerprint(x.RuleID, x.Secret, f.path)
				}
				if f.touches(x.Line, x.Line+strings.Count(x.Match, "\n")) {
					res.Findings = append(res.Findings, x)
				}
			}
		}
		return err
	}})
	if err != nil {
		return nil, fmt.Errorf("reading staged files in %s: %w", dir, err)
	}
	c.fill(&res.Stats)
	res.Stats.What = "staged changes in " + dir
	res.Stats.Duration = time.Since(start)
	finding.Sort(res.Findings)
	res.Findings = finding.Group(res.Findings)
	return res, ctx.Err()
}

// StagedPaths lists the paths with staged changes that have content in the
// index (deletions left out), relative to the repository root.
func StagedPaths(ctx context.Context, dir string) ([]string, error) {
	return ListStaged(ctx, dir).Paths()
}

// stagedFile is one file of the staged diff: its path, its blob in the
// index, and the line ranges the index adds to it.
type stagedFile struct {
	path   string
	hash   string
	isNew  bool // not in HEAD (a new file, or a rename's new path)
	binary bool
	added  []lineRange
}

// lineRange is an inclusive range of 1-based line numbers.
type lineRange struct{ first, last int }

// touches reports whether any line in [first, last] was added.
func (f *stagedFile) touches(first, last int) bool {
	for _, r := range f.added {
		if first <= r.last && last >= r.first {
			return true
		}
	}
	return false
}

// findings scans the staged content of the file and keeps what lies on
// added lines.
func (f *stagedFile) findings(ctx context.Context, opts Options, c *counters, data []byte) []finding.Finding {
	if fs, ok := opts.archiveFindings(ctx, c, f.path, data, bytes.NewReader(data), int64(len(data))); ok {
		return fs
	}
	if IsBinary(data) {
		c.binary.Add(1)
		return nil
	}
	cfg := opts.Engine.Config()
	ms := opts.bufScanner().Scan(data)
	if len(ms) == 0 {
		return nil
	}
	// All matches go to toFindings, so a finding on an added line still
	// gets its companions (an AWS key id on an unchanged line next to it).
	var out []finding.Finding
	for _, x := range toFindings(cfg, ms, place{path: f.path}) {
		last := x.Line + strings.Count(x.Match, "\n")
		if f.binary || f.touches(x.Line, last) {
			out = append(out, x)
		}
	}
	return out
}

// stagedFiles runs `git diff --cached` with no context and no rename
// detection (a renamed file is a new file at its new path) and returns
// every file that has content in the index.
func stagedFiles(ctx context.Context, dir string) ([]stagedFile, error) {
	cmd, err := startGit(ctx, dir, nil, "diff", "--cached", "--no-renames", "--unified=0", "--inter-hunk-context=0", "--no-color",
		"--no-ext-diff", "--no-textconv", "--no-relative", "--submodule=short", "--full-index", "--diff-filter=ACMT", "--src-prefix=a/", "--dst-prefix=b/")
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTarget, err)
	}
	files, perr := parseStagedDiff(cmd.Stdout)
	if perr != nil {
		_ = cmd.Process.Kill()
	}
	if err := cmd.Wait(); err != nil && perr == nil {
		// Outside a repository git diff falls back to --no-index and only
		// complains about --cached: ask git why it found no repository.
		if out, rerr := gitCommand(ctx, dir, "rev-parse", "--git-dir").CombinedOutput(); rerr != nil {
			return nil, fmt.Errorf("%w: %s is not a git repository git will read: %s", ErrTarget, dir, trimStderr(out))
		}
		return nil, fmt.Errorf("%w: git diff --cached in %s: %s", ErrTarget, dir, trimStderr(cmd.Stderr.Bytes()))
	}
	if perr != nil {
		return nil, perr
	}
	return files, nil
}

// parseStagedDiff reads a zero-context `git diff --full-index` without
// renames: per file, its path, new blob and the added line ranges. Content
// lines are consumed by the counts in their hunk header, so an added line
// that itself reads "+++ x" or "diff --git" cannot be taken for a header.
func parseStagedDiff(r io.Reader) ([]stagedFile, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var out []stagedFile
	var cur *stagedFile
	oldLeft, newLeft := 0, 0
	flush := func() {
		// Deletions, mode-only changes and submodules have no blob to scan.
		if cur != nil && cur.hash != "" {
			out = append(out, *cur)
		}
		cur = nil
	}
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			text := strings.TrimSuffix(string(line), "\n")
			switch {
			case oldLeft > 0 || newLeft > 0:
				switch {
				case line[0] == '-' && oldLeft > 0:
					oldLeft--
				case line[0] == '+' && newLeft > 0:
					newLeft--
				case line[0] == '\\':
					// "\ No newline at end of file"
				default:
					return nil, fmt.Errorf("unexpected line in git diff hunk (%d removed and %d added lines still due): %.40q", oldLeft, newLeft, text)
				}
			case strings.HasPrefix(text, "diff --git "):
				flush()
				p, ok := diffHeaderPath(text[len("diff --git "):])
				if !ok {
					return nil, fmt.Errorf("unexpected git diff header %.200q", text)
				}
				cur = &stagedFile{path: p}
			case cur == nil:
				// Nothing before the first file header is expected.
			case strings.HasPrefix(text, "new file mode "):
				cur.isNew = true
			case strings.HasPrefix(text, "index "):
				hash, ok := indexNewBlob(text)
				if !ok {
					return nil, fmt.Errorf("unexpected git diff index line %.200q", text)
				}
				cur.hash = hash
			case strings.HasPrefix(text, "Binary files "):
				cur.binary = true
			case strings.HasPrefix(text, "@@ "):
				first, n, oldN, ok := hunkNew(text)
				if !ok {
					return nil, fmt.Errorf("unexpected hunk header %.200q", text)
				}
				if n > 0 {
					cur.added = append(cur.added, lineRange{first, first + n - 1})
				}
				oldLeft, newLeft = oldN, n
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading git diff: %w", err)
		}
	}
	if oldLeft > 0 || newLeft > 0 {
		return nil, fmt.Errorf("git diff ended inside a hunk (%d removed and %d added lines still due)", oldLeft, newLeft)
	}
	flush()
	return out, nil
}

// diffHeaderPath reads the path from the rest of a "diff --git a/P b/P"
// line. Without rename detection both sides name the same path, so an
// unquoted P may hold spaces and still be split in the middle.
func diffHeaderPath(rest string) (string, bool) {
	if strings.HasPrefix(rest, `"`) {
		q, err := strconv.QuotedPrefix(rest)
		if err != nil {
			return "", false
		}
		p := unquoteGitPath(q)
		return strings.TrimPrefix(p, "a/"), len(p) > 2 && strings.HasPrefix(p, "a/")
	}
	if len(rest) < 7 || (len(rest)-5)%2 != 0 || !strings.HasPrefix(rest, "a/") {
		return "", false
	}
	n := (len(rest) - 5) / 2
	p := rest[2 : 2+n]
	return p, rest[2+n:] == " b/"+p
}

// indexNewBlob reads the new blob from "index OLD..NEW[ MODE]": "" for a
// submodule (mode 160000) or a deletion, and not ok when NEW is not a full
// object name.
func indexNewBlob(line string) (hash string, ok bool) {
	f := strings.Fields(line)
	if len(f) < 2 || len(f) > 3 {
		return "", false
	}
	_, hash, ok = strings.Cut(f[1], "..")
	if !ok || !isHash(hash) {
		return "", false
	}
	if isZeroHash(hash) || len(f) == 3 && f[2] == "160000" {
		return "", true
	}
	return hash, true
}

// hunkNew reads "@@ -a[,b] +c[,d] @@": the first new line c, the number of
// new lines d and of old lines b (each 1 when left out).
func hunkNew(h string) (first, n, oldN int, ok bool) {
	f := strings.Fields(h)
	if len(f) < 4 || f[0] != "@@" || f[3] != "@@" || !strings.HasPrefix(f[1], "-") || !strings.HasPrefix(f[2], "+") {
		return 0, 0, 0, false
	}
	_, oldN, ok1 := hunkSpan(f[1][1:])
	first, n, ok2 := hunkSpan(f[2][1:])
	// Lines are numbered from 1; only an empty side starts at 0.
	return first, n, oldN, ok1 && ok2 && (first > 0 || n == 0)
}

// hunkSpan reads "start[,count]", both unsigned decimal numbers that fit
// in 31 bits, so start+count cannot overflow.
func hunkSpan(s string) (start, n int, ok bool) {
	a, b, hasCount := strings.Cut(s, ",")
	start, ok = lineCount(a)
	if !ok {
		return 0, 0, false
	}
	n = 1
	if hasCount {
		if n, ok = lineCount(b); !ok {
			return 0, 0, false
		}
	}
	return start, n, true
}

func lineCount(s string) (int, bool) {
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 32)
	return int(n), err == nil
}
