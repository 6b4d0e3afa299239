package scanner

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/achilles-sec/achilles/detectors"
	"github.com/achilles-sec/achilles/scanner/finding"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/filesystem"
	"github.com/sourcegraph/conc/pool"
)

// GitOptions select how history is read.
type GitOptions struct {
	// Backend is "auto" (git binary when present, else go-git), "git" or
	// "go-git".
	Backend string
	// Revisions, when set, limit the scan to what the commits they select
	// introduced, given as `git log` takes them ("A..B", "REF..HEAD",
	// "SHA --not --remotes"): the CI and pre-push mode. It needs the git
	// binary.
	Revisions []string
}

// blob is one unique blob of the history, with the first path it was seen
// at. Data is nil for a blob the source streams itself (too large).
type blob struct {
	hash string
	path string
	size int64
	data []byte
	// base holds the keyword hits of the blob this one was built from as
	// a delta, and copies what it repeats of it (Engine.ScanFrom); keep
	// asks blobSink.scan for this blob's own hits, for blobs built from it.
	base   *detectors.Hits
	copies []detectors.Copy
	keep   bool
}

// commitInfo is the provenance of a commit.
type commitInfo struct {
	hash    string
	author  string
	email   string
	when    time.Time
	summary string
	// committed and rank order introductions (introducedBefore): the
	// committer date, and a number that grows along ancestry (a parent's
	// is smaller than its children's).
	committed time.Time
	rank      int64
	// hiddenRef names the pull or merge request ref that reaches the
	// commit when no branch or tag does (hiddenrefs.go).
	hiddenRef string
}

// introducedBefore orders two commits that introduced the same secret:
// by committer date, which rebases, `git am` and cherry-picks set as they
// write each commit in order, then by ancestry (rank) for commits written
// in the same second, then by hash so the choice is stable. Author dates
// are what reports show, but a rebase keeps them from the original
// commits, so they can run backwards along history.
func introducedBefore(a, b *commitInfo) bool {
	if !a.committed.Equal(b.committed) {
		return a.committed.Before(b.committed)
	}
	if a.rank != b.rank {
		return a.rank < b.rank
	}
	return a.hash < b.hash
}

// intro says that a commit introduced a blob at a path.
type intro struct {
	path   string
	commit *commitInfo
	// parents are the blobs at path in the commit's parents (none for a
	// new file): what the commit changed, for range scans.
	parents []string
}

// history is a way of reading a repository: the git binary or go-git.
type history interface {
	// blobs (blobSource) gives every unique blob reachable from any ref.
	blobSource
	// introductions finds every (path, commit) that introduced a wanted
	// blob: the blob is at that path in the commit and in none of its
	// parents.
	introductions(ctx context.Context, want map[string]bool) (map[string][]intro, error)
	// commits is the number of commits walked, once known.
	commits() int64
	// prefetch starts, beside blobs, what introductions and hiddenOnly
	// will need; stop ends and reaps it (once the scan no longer needs it,
	// on every return).
	prefetch(ctx context.Context)
	stop()
	// hiddenOnly names, for each commit that only pull or merge request
	// refs reach, one of those refs (hiddenrefs.go); nil when there are
	// none. Called after blobs.
	hiddenOnly(ctx context.Context) (map[string]string, error)
}

// ScanGit scans the full history of every ref of the repository at path:
// every unique blob once, then provenance for the blobs with matches. With
// gopts.Revisions it scans only what those commits introduced (commits.go).
func ScanGit(ctx context.Context, opts Options, gopts GitOptions, path string) (*Result, error) {
	if len(gopts.Revisions) > 0 {
		if gopts.Backend == "go-git" {
			return nil, fmt.Errorf("a commit range needs the git binary (--git-backend git or auto)")
		}
		return scanCommits(ctx, opts, path, gopts.Revisions)
	}
	start := time.Now()
	// A work tree's root, a folder inside one, a bare repository, or a
	// linked work tree (its objects and refs are in the common git dir).
	repo, err := git.PlainOpen(path)
	if err != nil {
		repo, err = git.PlainOpenWithOptions(path, &git.PlainOpenOptions{DetectDotGit: true})
	}
	if err == nil && isLinkedWorkTree(path) {
		repo, err = git.PlainOpenWithOptions(path, &git.PlainOpenOptions{DetectDotGit: true, EnableDotGitCommonDir: true})
	}
	if err != nil && strings.Contains(err.Error(), "objectformat") {
		return nil, fmt.Errorf("%w: opening repository %s: SHA-256 repositories (extensions.objectFormat) are not supported yet", ErrTarget, path)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: opening repository %s: %v", ErrTarget, path, err)
	}
	var c counters
	opts.countInline(&c)
	gitDir := gitDirOf(path)
	if _, err := os.Stat(filepath.Join(gitDir, "shallow")); err == nil {
		opts.warn(&c, fmt.Errorf("%s: shallow clone: history before the shallow boundary is not in the repository and was not scanned", path))
	}
	var h history
	switch gopts.Backend {
	case "", "auto":
		if _, err := exec.LookPath("git"); err == nil {
			h = newGitCLI(path, opts, &c)
		} else {
			h = newGoGit(lowMemory(repo), opts, &c)
		}
	case "git":
		h = newGitCLI(path, opts, &c)
	case "go-git":
		h = newGoGit(lowMemory(repo), opts, &c)
	default:
		return nil, fmt.Errorf("unknown git backend %q (want auto, git or go-git)", gopts.Backend)
	}

	h.prefetch(ctx)
	defer h.stop()
	// The versions of a file repeat one another: windows scanned once
	// and found empty are not scanned again.
	opts.Engine = opts.Engine.RememberingMisses()
	hs := &histScan{opts: opts, c: &c, cache: newChunkCache(), overlap: opts.Engine.Overlap()}
	scanErr := hs.scanBlobs(ctx, h)
	if scanErr != nil && ctx.Err() == nil {
		return nil, scanErr
	}
	hs.warnSkipped(path)
	want := map[string]bool{}
	for hash := range hs.matches {
		want[hash] = true
	}
	for hash := range hs.pathOnly {
		want[hash] = true
	}
	hs.archives.want(want)
	intros := map[string][]intro{}
	if len(want) > 0 && scanErr == nil {
		intros, err = h.introductions(ctx, want)
		if err != nil && ctx.Err() == nil {
			return nil, err
		}
		if len(intros) > 0 && ctx.Err() == nil {
			hidden, err := h.hiddenOnly(ctx)
			if err != nil && ctx.Err() == nil {
				opts.warn(&c, fmt.Errorf("%s: %v; findings are not marked with the pull or merge request ref that alone holds them", path, err))
			}
			markHidden(intros, hidden)
		}
	}
	// Nothing more is asked of the provenance commands: a log still
	// running for a scan without matches is stopped here.
	h.stop()
	// Interrupted: what was found so far is still returned, with whatever
	// provenance is known, and marked incomplete.
	res := &Result{Findings: hs.assemble(intros, headBlobs(repo, opts, &c)), Incomplete: ctx.Err() != nil}
	c.commits.Store(h.commits())
	c.fill(&res.Stats)
	res.Stats.What = "git history of " + path
	res.Stats.Duration = time.Since(start)
	finding.Sort(res.Findings)
	return res, ctx.Err()
}

// lowMemory reopens the repository's object storage with a small object
// cache: go-git's default of 96 MiB, on top of the blobs in flight, would
// put the fallback backend over achilles' memory budget.
func lowMemory(repo *git.Repository) *git.Repository {
	st, ok := repo.Storer.(*filesystem.Storage)
	if !ok {
		return repo
	}
	small := filesystem.NewStorageWithOptions(st.Filesystem(), cache.NewObjectLRU(16*cache.MiByte), filesystem.Options{})
	r, err := git.Open(small, nil)
	if err != nil {
		return repo
	}
	return r
}

// isLinkedWorkTree reports whether path is the top of a work tree made by
// `git worktree add`: its .git is a file naming a folder that holds a
// commondir file.
func isLinkedWorkTree(path string) bool {
	data, err := os.ReadFile(filepath.Join(path, ".git"))
	if err != nil {
		return false
	}
	dir, ok := strings.CutPrefix(strings.TrimSpace(string(data)), "gitdir: ")
	if !ok {
		return false
	}
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(path, dir)
	}
	_, err = os.Stat(filepath.Join(dir, "commondir"))
	return err == nil
}

func gitDirOf(path string) string {
	if st, err := os.Stat(filepath.Join(path, ".git")); err == nil && st.IsDir() {
		return filepath.Join(path, ".git")
	}
	return path
}

// lfsPointerPrefix starts every Git LFS pointer file.
var lfsPointerPrefix = []byte("version https://git-lfs.github.com/spec/")

// histScan holds the state of one history scan.
type histScan struct {
	opts    Options
	c       *counters
	cache   *chunkCache
	overlap int

	lfs        atomic.Int64 // Git LFS pointers seen
	submodules atomic.Bool  // a .gitmodules file was seen

	mu       sync.Mutex
	matches  map[string][]detectors.Match // blob hash -> matches
	pathOnly map[string]bool              // blobs whose path matched a path-only rule
	archives archiveHits                  // entries of archive blobs with hits (archives.go)
	firstAt  map[string]string            // blob hash -> first path, for blobs in matches/pathOnly

	// inherited, when set, drops a finding of an introduction that the
	// commit did not add (the secret was already there in a parent): range
	// scans report only what their commits brought in.
	inherited func(in intro, f finding.Finding) bool
}

// warnSkipped says what the blobs read pointed to but could not hold: Git
// LFS content and submodules.
func (hs *histScan) warnSkipped(dir string) {
	if n := hs.lfs.Load(); n > 0 {
		hs.opts.warn(hs.c, fmt.Errorf("%s: %d blobs are Git LFS pointers: their content is stored outside the repository and was not scanned", dir, n))
	}
	if hs.submodules.Load() {
		hs.opts.warn(hs.c, fmt.Errorf("%s: the repository has submodules (.gitmodules): their history is in other repositories and was not scanned; scan them separately", dir))
	}
}

// blobSource enumerates blobs for scanBlobs: the full history's (gitCLI,
// goGit) or blobs known by name (namedBlobs).
type blobSource interface {
	// blobs hands every unique blob to the sink once, skipping those whose
	// path skip says need not be read.
	blobs(ctx context.Context, skip func(path string) bool, sink blobSink) error
}

// blobSink is where a blobSource hands its blobs.
type blobSink struct {
	// fn takes a blob in memory; large takes one over MaxFileSize as a
	// stream. Both are called from one goroutine.
	fn    func(blob) error
	large func(blob, io.Reader) error
	// scan, when set, scans a blob in memory on the caller's goroutine and
	// is safe for concurrent use. A source that builds blobs from deltas
	// (the pack reader) scans each where it built it, after its base, so
	// the scan can reuse the base's keyword hits (blob.base): it returns
	// the blob's own hits when blob.keep asks for them.
	scan func(blob) (*detectors.Hits, error)
}

func (hs *histScan) scanBlobs(ctx context.Context, h blobSource) error {
	hs.matches = map[string][]detectors.Match{}
	hs.pathOnly = map[string]bool{}
	hs.firstAt = map[string]string{}
	cfg := hs.opts.Engine.Config()
	hasPathRules := false
	for _, r := range cfg.Rules {
		if r.Pattern == "" && r.Path != nil {
			hasPathRules = true
		}
	}
	jobs := hs.opts.Jobs
	if jobs <= 0 {
		jobs = runtime.NumCPU()
	}
	work := make(chan blob, jobs*4)
	p := pool.New().WithContext(ctx).WithCancelOnError().WithFirstError()
	for i := 0; i < jobs; i++ {
		p.Go(func(ctx context.Context) error {
			for b := range work {
				hs.scanOne(b)
			}
			return nil
		})
	}
	notePath := func(b blob) {
		hs.c.objects.Add(1)
		if b.path == ".gitmodules" || strings.HasSuffix(b.path, "/.gitmodules") {
			hs.submodules.Store(true)
		}
		if hasPathRules && len(pathFindings(cfg, place{path: b.path})) > 0 {
			hs.mu.Lock()
			hs.pathOnly[b.hash] = true
			hs.firstAt[b.hash] = b.path
			hs.mu.Unlock()
		}
	}
	large := func(b blob, r io.Reader) error {
		notePath(b)
		hs.opts.progress(0, 1)
		br := bufio.NewReaderSize(r, 8192)
		if head, _ := br.Peek(8000); IsBinary(head) {
			hs.c.binary.Add(1)
			return nil
		}
		ms, err := scanStream(ctx, hs.opts.bufScanner(), br, func(n int) {
			hs.c.bytes.Add(int64(n))
			hs.opts.progress(int64(n), 0)
		})
		if err != nil {
			return err
		}
		hs.record(b, ms)
		return nil
	}
	err := h.blobs(ctx, func(path string) bool { return pathIgnored(cfg, path) }, blobSink{fn: func(b blob) error {
		notePath(b)
		select {
		case work <- b:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}, large: large, scan: func(b blob) (*detectors.Hits, error) {
		notePath(b)
		return hs.scanOne(b), ctx.Err()
	}})
	close(work)
	perr := p.Wait()
	if err != nil {
		return err
	}
	return perr
}

// scanOne scans a blob in memory; with b.keep, it returns its keyword
// hits when it has them (not for archives, binary blobs or blobs cut into
// chunks).
func (hs *histScan) scanOne(b blob) *detectors.Hits {
	hs.c.bytes.Add(int64(len(b.data)))
	hs.opts.progress(int64(len(b.data)), 1)
	if hs.scanArchive(b) {
		return nil
	}
	if IsBinary(b.data) {
		hs.c.binary.Add(1)
		return nil
	}
	if bytes.HasPrefix(b.data, lfsPointerPrefix) {
		hs.lfs.Add(1)
	}
	var ms []detectors.Match
	var hits *detectors.Hits
	if len(b.data) >= cdcThreshold {
		ms = scanChunked(hs.opts.bufScanner(), hs.cache, b.data, hs.overlap, func() { hs.c.deduped.Add(1) })
	} else {
		ms, hits = hs.opts.bufScanner().ScanFrom(b.data, b.base, b.copies, b.keep)
	}
	hs.record(b, ms)
	return hits
}

func (hs *histScan) record(b blob, ms []detectors.Match) {
	if len(ms) == 0 {
		return
	}
	hs.mu.Lock()
	hs.matches[b.hash] = ms
	hs.firstAt[b.hash] = b.path
	hs.mu.Unlock()
}

// headBlobs returns a lookup from path to blob hash at HEAD of the default
// branch, or nil when HEAD cannot be resolved (an empty or detached-less
// bare repository).
func headBlobs(repo *git.Repository, opts Options, c *counters) func(path string) (string, bool) {
	ref, err := repo.Head()
	if err != nil {
		if !errors.Is(err, plumbing.ErrReferenceNotFound) {
			opts.warn(c, fmt.Errorf("resolving HEAD: %v (still_present is left out)", err))
		}
		return nil
	}
	commit, err := repo.CommitObject(ref.Hash())
	if err != nil {
		opts.warn(c, fmt.Errorf("reading HEAD commit %s: %v (still_present is left out)", ref.Hash(), err))
		return nil
	}
	tree, err := commit.Tree()
	if err != nil {
		opts.warn(c, fmt.Errorf("reading HEAD tree: %v (still_present is left out)", err))
		return nil
	}
	return func(path string) (string, bool) {
		return treeFile(repo, tree, path)
	}
}

// treeFile finds the blob at path (slash-separated) below tree. It compares
// entry names itself: go-git's FindEntry refuses names holding a control
// character, which git allows (a tab or newline in a file name).
func treeFile(repo *git.Repository, tree *object.Tree, path string) (string, bool) {
	dir, rest, more := strings.Cut(path, "/")
	for {
		var found *object.TreeEntry
		for i := range tree.Entries {
			if tree.Entries[i].Name == dir {
				found = &tree.Entries[i]
				break
			}
		}
		if found == nil {
			return "", false
		}
		if !more {
			if !found.Mode.IsFile() {
				return "", false
			}
			return found.Hash.String(), true
		}
		if found.Mode != filemode.Dir {
			return "", false
		}
		sub, err := repo.TreeObject(found.Hash)
		if err != nil {
			return "", false
		}
		tree = sub
		dir, rest, more = strings.Cut(rest, "/")
	}
}

// assemble turns blob matches and their introductions into findings: one
// per (rule, secret, path) with the earliest introducing commit.
func (hs *histScan) assemble(intros map[string][]intro, atHead func(string) (string, bool)) []finding.Finding {
	cfg := hs.opts.Engine.Config()
	type key struct{ rule, secret, path string }
	best := map[key]finding.Finding{}
	bestBy := map[key]*commitInfo{}
	consider := func(f finding.Finding, by *commitInfo) {
		k := key{f.RuleID, f.Secret, f.Path}
		if old, ok := bestBy[k]; ok && !introducedBefore(by, old) {
			return
		}
		best[k] = f
		bestBy[k] = by
	}
	hashes := make([]string, 0, len(hs.firstAt))
	for h := range hs.firstAt {
		hashes = append(hashes, h)
	}
	sort.Strings(hashes)
	for _, hash := range hashes {
		ins := earliestPerPath(intros[hash])
		if len(ins) == 0 {
			// No introducing commit found (e.g. only reachable through a
			// ref the log did not walk): report at the first path seen.
			ins = []intro{{path: hs.firstAt[hash], commit: &commitInfo{}}}
		}
		for _, in := range ins {
			at := place{path: in.path, commit: in.commit.hash}
			var fs []finding.Finding
			if ms := hs.matches[hash]; len(ms) > 0 {
				fs = toFindings(cfg, ms, at)
			}
			if hs.pathOnly[hash] {
				fs = append(fs, pathFindings(cfg, at)...)
			}
			fs = append(fs, hs.archiveFindings(hash, at)...)
			for _, f := range fs {
				if hs.inherited != nil && hs.inherited(in, f) {
					continue
				}
				// A finding of the commit's blob got its origin when it was
				// made (place.locate); this fills in the commit's details.
				g := f.Git
				if g == nil {
					g = &finding.GitOrigin{}
					f.Kind, f.Git = finding.KindGit, g
				}
				g.Commit, g.Author, g.Email, g.Message = in.commit.hash, in.commit.author, in.commit.email, in.commit.summary
				g.HiddenRef = in.commit.hiddenRef
				if !in.commit.when.IsZero() {
					g.Date = in.commit.when.UTC().Format(time.RFC3339)
				}
				consider(f, in.commit)
			}
		}
	}
	out := make([]finding.Finding, 0, len(best))
	for _, f := range best {
		if atHead != nil {
			present := hs.archivePresent(atHead, f)
			if hb, ok := atHead(f.Path); ok {
				present = hs.blobHas(hb, f.RuleID, f.Secret)
				// Report the line where the secret is now, so that an
				// annotation points at it; IntroducedLine keeps where the
				// introducing commit had it.
				if line, col, ok := hs.lineIn(hb, f.RuleID, f.Secret); present && ok && f.Git != nil && f.Git.Commit != "" {
					f.Git.IntroducedLine = f.Line
					f.Line, f.Column = line, col
				}
			}
			if f.Git == nil {
				f.Git = &finding.GitOrigin{}
			}
			f.Git.StillPresent = &present
		}
		out = append(out, f)
	}
	return out
}

// lineIn returns the line and column of the first match of the rule with
// the secret in a scanned blob.
func (hs *histScan) lineIn(hash, ruleID, secret string) (line, col int, ok bool) {
	for _, m := range hs.matches[hash] {
		if m.Rule.ID == ruleID && m.Secret == secret {
			return m.Line, m.Column, true
		}
	}
	return 0, 0, false
}

func (hs *histScan) blobHas(hash, ruleID, secret string) bool {
	if hs.pathOnly[hash] && secret == "" {
		return true
	}
	for _, m := range hs.matches[hash] {
		if m.Rule.ID == ruleID && m.Secret == secret {
			return true
		}
	}
	return false
}

// earliestPerPath keeps, for each path, the earliest introduction
// (introducedBefore).
func earliestPerPath(ins []intro) []intro {
	byPath := map[string]intro{}
	for _, in := range ins {
		old, ok := byPath[in.path]
		if !ok || introducedBefore(in.commit, old.commit) {
			byPath[in.path] = in
		}
	}
	out := make([]intro, 0, len(byPath))
	for _, in := range byPath {
		out = append(out, in)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].path < out[j].path })
	return out
}

// gitOverrides neutralise what a scanned repository's own configuration
// (.git/config, which travels with a repository handed to us, not with a
// clone) can make git run or hide while it only reads: a file-system
// monitor, hooks, signature checking (log.showSignature with gpg.program),
// pagers, transports (a lazy fetch of a partial clone runs the remote's
// upload-pack; per-protocol allow keys would outrank protocol.allow, so each
// is set), ssh and credential helpers, and replace refs that show other
// content in place of an object. Command-line configuration outranks every
// configuration file. Diff drivers and textconv are turned off by the
// commands that could run them (--no-ext-diff --no-textconv); filters never
// run because nothing here reads the work tree through them.
var gitOverrides = []string{
	"--no-pager",
	"-c", "core.fsmonitor=false",
	"-c", "core.untrackedCache=false",
	"-c", "core.hooksPath=" + os.DevNull,
	"-c", "core.pager=cat",
	"-c", "core.sshCommand=false",
	"-c", "core.askPass=",
	"-c", "core.useReplaceRefs=false",
	"-c", "credential.helper=",
	"-c", "log.showSignature=false",
	"-c", "gpg.program=false",
	"-c", "gpg.ssh.program=false",
	"-c", "gpg.x509.program=false",
	"-c", "protocol.allow=never",
	"-c", "protocol.file.allow=never",
	"-c", "protocol.git.allow=never",
	"-c", "protocol.ssh.allow=never",
	"-c", "protocol.http.allow=never",
	"-c", "protocol.https.allow=never",
	"-c", "protocol.ext.allow=never",
	"-c", "protocol.fd.allow=never",
	"-c", "core.quotePath=true",
	"-c", "color.ui=never",
	"-c", "color.diff=never",
	"-c", "diff.noprefix=false",
	"-c", "diff.relative=false",
}

// gitEnv is added to the environment of every git command: a fixed locale
// for parsing, no prompts, no system configuration, no lazy fetch of
// missing objects (honoured by git 2.39 and later; the transports are
// closed as well), no replace refs and no grafts, and output buffered
// fully: into a pipe, git log and rev-list otherwise flush every record
// (about 55,000 writes on etcd's history, and as many reads and wake-ups on
// the other side; cat-file has its own switch, --buffer).
var gitEnv = []string{
	"GIT_FLUSH=0",
	"LC_ALL=C",
	"GIT_TERMINAL_PROMPT=0",
	"GIT_CONFIG_NOSYSTEM=1",
	"GIT_NO_LAZY_FETCH=1",
	"GIT_NO_REPLACE_OBJECTS=1",
	"GIT_GRAFT_FILE=" + noGraftFile,
	"GIT_ASKPASS=",
	"SSH_ASKPASS=",
}

// noGraftFile cannot exist (its parent is not a folder), so git reads no
// grafts and, unlike for an empty file, says nothing about them.
var noGraftFile = filepath.Join(os.DevNull, "no-grafts")

// SafeDirectoryEnv names the environment variable that marks one
// repository safe for git although another user owns it (a repository
// mounted into a container): its value is passed to every git command as
// `-c safe.directory=VALUE`. Without it git's ownership check stands, and a
// repository git refuses cannot be scanned (exit 2).
const SafeDirectoryEnv = "ACHILLES_SAFE_DIRECTORY"

// GitCommand is the one way achilles runs git: in dir, with gitOverrides
// before args and gitEnv added to the environment, so a scanned
// repository's configuration cannot make git execute anything.
func GitCommand(ctx context.Context, dir string, args ...string) *exec.Cmd {
	return gitCommand(ctx, dir, args...)
}

func gitCommand(ctx context.Context, dir string, args ...string) *exec.Cmd {
	full := make([]string, 0, len(gitOverrides)+2+len(args))
	full = append(full, gitOverrides...)
	if safe := os.Getenv(SafeDirectoryEnv); safe != "" {
		full = append(full, "-c", "safe.directory="+safe)
	}
	full = append(full, args...)
	cmd := exec.CommandContext(ctx, "git", full...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), gitEnv...)
	return cmd
}

// trimStderr makes git's error output fit one message: trimmed, at most
// 500 bytes. It may quote a path or ref name of the repository: whoever
// prints it escapes control characters (the CLI does, for every message).
func trimStderr(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 500 {
		s = strings.ToValidUTF8(s[:500], "") + "…"
	}
	return s
}
