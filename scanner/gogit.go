package scanner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// goGit reads history with go-git alone: the fallback when no git binary is
// present. Every unique tree is parsed once (a tree already seen is not
// entered again), so listing costs the number of unique trees, not the
// number of commits times the size of a tree.
type goGit struct {
	repo    *git.Repository
	opts    Options
	c       *counters
	ncommit atomic.Int64
	order   []*goCommit                 // every commit reachable from a ref
	byHash  map[plumbing.Hash]*goCommit // the commits of order, by hash
}

// goCommit is what the scan keeps of a commit: names and what provenance
// reports, without the message body and signature go-git decodes (a
// commit of etcd's history costs a third as much).
type goCommit struct {
	Hash, TreeHash plumbing.Hash
	ParentHashes   []plumbing.Hash
	author, email  string
	when           time.Time
	committed      time.Time
	summary        string
}

func newGoGit(repo *git.Repository, opts Options, c *counters) *goGit {
	return &goGit{repo: repo, opts: opts, c: c}
}

func (g *goGit) commits() int64 { return g.ncommit.Load() }

// prefetch and stop do nothing: go-git's provenance walks the commits its
// blobs pass collected, so it cannot start before them.
func (g *goGit) prefetch(context.Context) {}
func (g *goGit) stop()                    {}

// walkCommits collects every commit reachable from any ref, once.
func (g *goGit) walkCommits(ctx context.Context) error {
	refs, err := g.repo.References()
	if err != nil {
		return fmt.Errorf("%w: listing refs: %v", ErrTarget, err)
	}
	var tips []plumbing.Hash
	err = refs.ForEach(func(r *plumbing.Reference) error {
		if r.Type() != plumbing.HashReference {
			return nil
		}
		tips = append(tips, r.Hash())
		return nil
	})
	if err != nil {
		return fmt.Errorf("%w: listing refs: %v", ErrTarget, err)
	}
	if head, err := g.repo.Head(); err == nil {
		tips = append(tips, head.Hash())
	}
	isTip := map[plumbing.Hash]bool{}
	for _, t := range tips {
		isTip[t] = true
	}
	seen := map[plumbing.Hash]bool{}
	stack := tips
	for len(stack) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		h := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[h] {
			continue
		}
		seen[h] = true
		obj, err := g.repo.Object(plumbing.AnyObject, h)
		if err != nil && isTip[h] {
			// A ref names an object the repository cannot give: what the
			// ref holds is unknown, so the scan cannot pass.
			return fmt.Errorf("%w: a ref names object %s: %v", ErrTarget, h, err)
		}
		if err != nil {
			g.opts.warn(g.c, fmt.Errorf("object %s: %v; history behind it not scanned", h, err))
			continue
		}
		switch o := obj.(type) {
		case *object.Tag:
			stack = append(stack, o.Target)
		case *object.Commit:
			g.order = append(g.order, &goCommit{Hash: o.Hash, TreeHash: o.TreeHash, ParentHashes: o.ParentHashes,
				author: o.Author.Name, email: o.Author.Email, when: o.Author.When.UTC(),
				committed: o.Committer.When.UTC(), summary: strings.Clone(firstLine(o.Message))})
			stack = append(stack, o.ParentHashes...)
		}
	}
	sort.Slice(g.order, func(i, j int) bool { return g.order[i].Hash.String() < g.order[j].Hash.String() })
	g.byHash = make(map[plumbing.Hash]*goCommit, len(g.order))
	for _, c := range g.order {
		g.byHash[c.Hash] = c
	}
	g.ncommit.Store(int64(len(g.order)))
	return nil
}

func (g *goGit) blobs(ctx context.Context, skip func(string) bool, sink blobSink) error {
	if err := g.walkCommits(ctx); err != nil {
		return err
	}
	seenTree := map[plumbing.Hash]bool{}
	seenBlob := map[plumbing.Hash]bool{}
	skipped := map[plumbing.Hash]bool{}
	maxSize := g.opts.MaxFileSize
	if maxSize <= 0 {
		maxSize = DefaultMaxFileSize
	}
	var walk func(h plumbing.Hash, prefix string) error
	walk = func(h plumbing.Hash, prefix string) error {
		if seenTree[h] {
			return nil
		}
		seenTree[h] = true
		if err := ctx.Err(); err != nil {
			return err
		}
		tree, err := g.repo.TreeObject(h)
		if err != nil {
			g.opts.warn(g.c, fmt.Errorf("tree %s (%s): %v; not scanned", h, prefixOrRoot(prefix), err))
			return nil
		}
		for _, e := range tree.Entries {
			path := prefix + e.Name
			switch {
			case e.Mode == filemode.Dir:
				if err := walk(e.Hash, path+"/"); err != nil {
					return err
				}
			case e.Mode == filemode.Submodule:
				// A gitlink names a commit of another repository.
			case e.Mode.IsFile():
				if seenBlob[e.Hash] {
					continue
				}
				// A blob is skipped only when every path it is at is.
				if skip(path) {
					skipped[e.Hash] = true
					continue
				}
				seenBlob[e.Hash] = true
				if err := g.readBlob(e.Hash, path, maxSize, sink.fn, sink.large); err != nil {
					return err
				}
			}
		}
		return nil
	}
	for _, c := range g.order {
		if err := walk(c.TreeHash, ""); err != nil {
			return err
		}
	}
	for h := range skipped {
		if !seenBlob[h] {
			g.c.skipped.Add(1)
		}
	}
	return nil
}

func prefixOrRoot(p string) string {
	if p == "" {
		return "/"
	}
	return p
}

func (g *goGit) readBlob(h plumbing.Hash, path string, maxSize int64, fn func(blob) error, large func(blob, io.Reader) error) error {
	b, err := g.repo.BlobObject(h)
	if err != nil {
		g.opts.warn(g.c, fmt.Errorf("blob %s (%s): %v; not scanned", h, path, err))
		return nil
	}
	r, err := b.Reader()
	if err != nil {
		g.opts.warn(g.c, fmt.Errorf("blob %s (%s): %v; not scanned", h, path, err))
		return nil
	}
	defer r.Close()
	bl := blob{hash: h.String(), path: path, size: b.Size}
	if b.Size > maxSize {
		return large(bl, r)
	}
	bl.data = make([]byte, b.Size)
	if _, err := io.ReadFull(r, bl.data); err != nil {
		g.opts.warn(g.c, fmt.Errorf("blob %s (%s): %v; not scanned", h, path, err))
		return nil
	}
	return fn(bl)
}

// introductions computes, for each commit, the wanted blobs its tree holds
// (memoised per tree, so each unique tree is read once more), and keeps the
// (path, blob) pairs none of its parents hold.
func (g *goGit) introductions(ctx context.Context, want map[string]bool) (map[string][]intro, error) {
	wanted := make(map[plumbing.Hash]string, len(want))
	for hash := range want {
		if h, ok := parseHash(hash); ok {
			wanted[plumbing.Hash(h)] = hash
		}
	}
	// A pair is a wanted blob at a path (an index into paths): each path
	// string is kept once, however many trees hold it.
	type pair struct {
		path int32
		hash plumbing.Hash
	}
	var paths pathTable
	memo := map[plumbing.Hash][]pair{}
	var contains func(h plumbing.Hash) []pair
	contains = func(h plumbing.Hash) []pair {
		if ps, ok := memo[h]; ok {
			return ps
		}
		tree, err := g.repo.TreeObject(h)
		if err != nil {
			memo[h] = nil
			return nil
		}
		var ps []pair
		for _, e := range tree.Entries {
			switch {
			case e.Mode == filemode.Dir:
				for _, p := range contains(e.Hash) {
					ps = append(ps, pair{paths.intern(e.Name + "/" + paths.paths[p.path]), p.hash})
				}
			case e.Mode.IsFile():
				if _, ok := wanted[e.Hash]; ok {
					ps = append(ps, pair{paths.intern(e.Name), e.Hash})
				}
			}
		}
		memo[h] = ps
		return ps
	}
	gen := g.generations()
	res := map[string][]intro{}
	for _, c := range g.order {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		mine := contains(c.TreeHash)
		if len(mine) == 0 {
			continue
		}
		inParents := map[pair]bool{}
		for _, ph := range c.ParentHashes {
			tree := plumbing.ZeroHash
			if pc := g.byHash[ph]; pc != nil {
				tree = pc.TreeHash
			} else {
				pc, err := g.repo.CommitObject(ph)
				if err != nil {
					if !errors.Is(err, plumbing.ErrObjectNotFound) {
						g.opts.warn(g.c, fmt.Errorf("commit %s: %v", ph, err))
					}
					continue
				}
				tree = pc.TreeHash
			}
			for _, p := range contains(tree) {
				inParents[p] = true
			}
		}
		info := &commitInfo{
			hash:      c.Hash.String(),
			author:    c.author,
			email:     c.email,
			when:      c.when,
			summary:   c.summary,
			committed: c.committed,
			rank:      gen(c.Hash),
		}
		for _, p := range mine {
			if !inParents[p] {
				hash := wanted[p.hash]
				res[hash] = append(res[hash], intro{path: paths.paths[p.path], commit: info})
			}
		}
	}
	return res, nil
}

// generations returns each commit's generation number: 1 for a root, else
// one more than its parents' largest, so an ancestor's is always smaller.
// A parent missing from the walk counts as a root.
func (g *goGit) generations() func(plumbing.Hash) int64 {
	gens := make(map[plumbing.Hash]int64, len(g.order))
	var stack []plumbing.Hash
	for _, c := range g.order {
		stack = append(stack[:0], c.Hash)
		for len(stack) > 0 {
			h := stack[len(stack)-1]
			if _, done := gens[h]; done {
				stack = stack[:len(stack)-1]
				continue
			}
			cm := g.byHash[h]
			g0, ready := int64(1), true
			if cm != nil {
				for _, p := range cm.ParentHashes {
					if _, inWalk := g.byHash[p]; !inWalk {
						continue
					}
					pg, ok := gens[p]
					if !ok {
						stack = append(stack, p)
						ready = false
						continue
					}
					g0 = max(g0, pg+1)
				}
			}
			if ready {
				gens[h] = g0
				stack = stack[:len(stack)-1]
			}
		}
	}
	return func(h plumbing.Hash) int64 { return gens[h] }
}

func firstLine(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			return s[:i]
		}
	}
	return s
}
