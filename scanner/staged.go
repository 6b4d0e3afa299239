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

// ScanStaged scans exactly what is staged in the repository at dir: the
// lines the index adds over HEAD (new files, edits, the new side of a
// rename, a partial `git add -p`), with staged paths and line numbers. It
// never walks history, so it costs about the size of the change.
func ScanStaged(ctx context.Context, opts Options, dir string) (*Result, error) {
	start := time.Now()
	var c counters
	cmd, err := startGit(ctx, dir, nil, "diff", "--cached", "--find-renames", "--unified=0", "--no-color", "--no-ext-diff", "--diff-filter=ACMRT", "--src-prefix=a/", "--dst-prefix=b/")
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrTarget, err)
	}
	hunks, perr := parseAddedHunks(cmd.Stdout)
	if err := cmd.Wait(); err != nil {
		return nil, fmt.Errorf("%w: git diff --cached in %s: %s", ErrTarget, dir, trimStderr(cmd.Stderr.Bytes()))
	}
	if perr != nil {
		return nil, perr
	}
	cfg := opts.Engine.Config()
	res := &Result{}
	seenPath := map[string]bool{}
	for _, h := range hunks {
		if !seenPath[h.path] {
			seenPath[h.path] = true
			c.objects.Add(1)
			res.Findings = append(res.Findings, pathFindings(cfg, place{path: h.path})...)
		}
		if pathIgnored(cfg, h.path) {
			continue
		}
		c.bytes.Add(int64(len(h.text)))
		ms := opts.Engine.Scan(h.text)
		for i := range ms {
			ms[i].Line += h.line - 1
		}
		res.Findings = append(res.Findings, toFindings(cfg, ms, place{path: h.path})...)
	}
	c.fill(&res.Stats)
	res.Stats.What = "staged changes in " + dir
	res.Stats.Duration = time.Since(start)
	finding.Sort(res.Findings)
	return res, nil
}

// addedHunk is a run of consecutive added lines of one file.
type addedHunk struct {
	path string
	line int // line number of the first added line in the new file
	text []byte
}

// parseAddedHunks reads a unified diff with zero context and returns the
// added lines grouped by hunk.
func parseAddedHunks(r io.Reader) ([]addedHunk, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var out []addedHunk
	var path string
	var cur *addedHunk
	flush := func() {
		if cur != nil && len(cur.text) > 0 {
			out = append(out, *cur)
		}
		cur = nil
	}
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			switch {
			case bytes.HasPrefix(line, []byte("diff --git ")):
				flush()
				path = ""
			case bytes.HasPrefix(line, []byte("+++ ")):
				flush()
				p := strings.TrimRight(string(line[4:]), "\n")
				p = unquoteGitPath(p)
				path = strings.TrimPrefix(p, "b/")
				if p == "/dev/null" {
					path = ""
				}
			case bytes.HasPrefix(line, []byte("@@ ")):
				flush()
				n, ok := hunkNewStart(string(line))
				if !ok {
					return nil, fmt.Errorf("unexpected hunk header %q", strings.TrimSpace(string(line)))
				}
				if path != "" {
					cur = &addedHunk{path: path, line: n}
				}
			case line[0] == '+' && cur != nil:
				cur.text = append(cur.text, line[1:]...)
			case line[0] == '\\':
				// "\ No newline at end of file"
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading git diff: %w", err)
		}
	}
	flush()
	return out, nil
}

// hunkNewStart reads the new-file start line from "@@ -a,b +c,d @@".
func hunkNewStart(h string) (int, bool) {
	i := strings.Index(h, " +")
	if i < 0 {
		return 0, false
	}
	rest := h[i+2:]
	end := strings.IndexAny(rest, ", ")
	if end < 0 {
		return 0, false
	}
	n, err := strconv.Atoi(rest[:end])
	if err != nil {
		return 0, false
	}
	if n == 0 {
		n = 1
	}
	return n, true
}
