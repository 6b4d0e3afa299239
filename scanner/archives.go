package scanner

import (
	"bytes"
	"context"
	"io"
	"strings"
	"sync"

	"github.com/achilles-sec/achilles/detectors"
	"github.com/achilles-sec/achilles/scanner/archive"
	"github.com/achilles-sec/achilles/scanner/finding"
)

// Archives found while scanning (zip, jar, tar, tar.gz, gz, bz2, xz, zst,
// recognised by their magic bytes) are opened and each entry is scanned as a
// file of its own, reported as "outer.zip!inner/path". What an archive may
// cost is bounded by Options.ArchiveLimits; a limit reached is a warning.

// archivesOn reports whether archives are to be opened at all.
func (o *Options) archivesOn() bool { return o.ArchiveLimits.MaxDepth >= 0 }

// isArchive reports whether content starting with head is an archive the
// scanner opens.
func (o *Options) isArchive(head []byte) bool {
	return o.archivesOn() && archive.Detect(head[:min(len(head), archive.HeadSize)]) != archive.None
}

// walkArchive walks the archive name and calls fn with each entry that is
// neither ignored by path nor binary; problems and limits reached become
// warnings naming the archive.
func (o *Options) walkArchive(ctx context.Context, c *counters, name string, r io.ReaderAt, size int64, fn func(path string, content []byte)) {
	cfg := o.Engine.Config()
	err := archive.Walk(ctx, name, r, size, o.ArchiveLimits, func(path string, content []byte) error {
		c.objects.Add(1)
		c.bytes.Add(int64(len(content)))
		if pathIgnored(cfg, path) {
			c.skipped.Add(1)
			return nil
		}
		if IsBinary(content) {
			c.binary.Add(1)
			content = nil
		}
		fn(path, content)
		return nil
	})
	if ctx.Err() != nil {
		return
	}
	for _, e := range archive.Problems(err) {
		o.warn(c, e)
	}
}

// archiveFindings scans the file at path when it is an archive: ok is false
// when it is not one (head holds its first bytes).
func (o *Options) archiveFindings(ctx context.Context, c *counters, path string, head []byte, r io.ReaderAt, size int64) (out []finding.Finding, ok bool) {
	if !o.isArchive(head) {
		return nil, false
	}
	cfg := o.Engine.Config()
	sc := o.bufScanner()
	o.walkArchive(ctx, c, path, r, size, func(p string, content []byte) {
		out = append(out, pathFindings(cfg, place{path: p})...)
		if content != nil {
			out = append(out, toFindings(cfg, sc.Scan(content), place{path: p})...)
		}
	})
	return out, true
}

// archiveHits holds, per archive blob of a history scan, its entries with
// matches or path-only findings. Entry paths are kept relative to the blob
// ("!inner/path"), as the blob may be at several paths.
type archiveHits struct {
	mu sync.Mutex
	m  map[string][]entryHit
}

type entryHit struct {
	inner    string
	ms       []detectors.Match
	pathOnly bool
}

// scanArchive scans a blob that is an archive, entry by entry, and records
// its hits; it reports false when the blob is not an archive.
func (hs *histScan) scanArchive(b blob) bool {
	if !hs.opts.isArchive(b.data) {
		return false
	}
	cfg := hs.opts.Engine.Config()
	sc := hs.opts.bufScanner()
	var hits []entryHit
	// A walk is bounded by the archive limits, so it runs to its end even
	// when the scan is interrupted.
	hs.opts.walkArchive(context.Background(), hs.c, b.path, bytes.NewReader(b.data), int64(len(b.data)), func(p string, content []byte) {
		h := entryHit{inner: p[len(b.path):], pathOnly: len(pathFindings(cfg, place{path: p})) > 0}
		if content != nil {
			h.ms = sc.Scan(content)
		}
		if len(h.ms) > 0 || h.pathOnly {
			hits = append(hits, h)
		}
	})
	if len(hits) == 0 {
		return true
	}
	hs.archives.mu.Lock()
	if hs.archives.m == nil {
		hs.archives.m = map[string][]entryHit{}
	}
	hs.archives.m[b.hash] = hits
	hs.archives.mu.Unlock()
	hs.mu.Lock()
	hs.firstAt[b.hash] = b.path
	hs.mu.Unlock()
	return true
}

// want adds the archive blobs with hits to the blobs whose introductions
// are looked up.
func (a *archiveHits) want(want map[string]bool) {
	for hash := range a.m {
		want[hash] = true
	}
}

// archiveFindings makes the findings of an archive blob's entries for one
// place the blob was introduced at.
func (hs *histScan) archiveFindings(hash string, at place) []finding.Finding {
	cfg := hs.opts.Engine.Config()
	var out []finding.Finding
	for _, h := range hs.archives.m[hash] {
		p := place{path: at.path + h.inner, commit: at.commit}
		if len(h.ms) > 0 {
			out = append(out, toFindings(cfg, h.ms, p)...)
		}
		if h.pathOnly {
			out = append(out, pathFindings(cfg, p)...)
		}
	}
	return out
}

// archivePresent tells whether a finding inside an archive ("a.zip!b/c")
// is still present at HEAD: the archive's path at HEAD holds a blob whose
// entry has the same rule and secret.
func (hs *histScan) archivePresent(atHead func(string) (string, bool), f finding.Finding) bool {
	i := strings.IndexByte(f.Path, '!')
	for i > 0 {
		if hash, ok := atHead(f.Path[:i]); ok {
			for _, h := range hs.archives.m[hash] {
				if h.inner != f.Path[i:] {
					continue
				}
				if f.Secret == "" && h.pathOnly {
					return true
				}
				for _, m := range h.ms {
					if m.Rule.ID == f.RuleID && m.Secret == f.Secret {
						return true
					}
				}
			}
			return false
		}
		j := strings.IndexByte(f.Path[i+1:], '!')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return false
}
