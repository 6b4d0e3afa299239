package sweep

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/achilles-sec/achilles/scanner"
	"github.com/achilles-sec/achilles/scanner/sweep/targets"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/transport"
)

// mirrorRefSpecs map the remote's branches, tags and pull or merge request
// refs (GitHub's refs/pull/N/head and /merge, GitLab's
// refs/merge-requests/N/head) onto the same names locally, as a mirror
// does, without the rest of refs/* (notes, CI refs). A pull request's head
// that was never merged is still served to whoever fetches it. A server
// without such refs simply has none to send.
var mirrorRefSpecs = []config.RefSpec{
	"+refs/heads/*:refs/heads/*",
	"+refs/tags/*:refs/tags/*",
	"+refs/pull/*:refs/pull/*",
	"+refs/merge-requests/*:refs/merge-requests/*",
}

// fetched reports whether the mirror fetches the ref: a branch, a tag or a
// pull or merge request ref.
func fetched(n plumbing.ReferenceName) bool {
	return n.IsBranch() || n.IsTag() || scanner.IsHiddenRef(n.String())
}

// mirrored is a repository brought up to date in the cache.
type mirrored struct {
	tips      string // hash of the remote's sorted "ref sha" lines and HEAD
	head      string // the default branch
	empty     bool   // the remote has no refs
	unchanged bool   // same tips as the last completed scan: not fetched
}

// mirror lists the remote's refs and, unless skip says the tips are the
// ones already scanned, fetches them into a bare repository at dir (created
// on the first run, fetched into afterwards), with HEAD pointing at the
// remote's default branch.
func mirror(ctx context.Context, dir string, t targets.Target, skip func(tips string) bool) (mirrored, error) {
	var m mirrored
	repo, err := git.PlainOpen(dir)
	if err != nil {
		if err := os.RemoveAll(dir); err != nil {
			return m, fmt.Errorf("clearing the cache folder: %w", err)
		}
		if repo, err = git.PlainInit(dir, true); err != nil {
			return m, fmt.Errorf("creating the bare clone: %w", err)
		}
	}
	// The URL may have changed (a renamed repository); set the remote anew.
	_ = repo.DeleteRemote("origin")
	remote, err := repo.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{t.URL}, Fetch: mirrorRefSpecs})
	if err != nil {
		return m, fmt.Errorf("configuring the remote: %w", err)
	}
	refs, err := remote.ListContext(ctx, &git.ListOptions{Auth: t.Auth})
	if errors.Is(err, transport.ErrEmptyRemoteRepository) {
		m.empty, m.tips = true, tipsHash(nil, "")
		m.unchanged = skip(m.tips)
		return m, nil
	}
	if err != nil {
		return m, fmt.Errorf("listing refs of %s: %w", redact(t.URL), transportError{err})
	}
	head := defaultBranch(refs)
	m.head = head.Short()
	m.tips = tipsHash(refs, head)
	if m.unchanged = skip(m.tips); m.unchanged {
		return m, nil
	}
	err = remote.FetchContext(ctx, &git.FetchOptions{Auth: t.Auth, RefSpecs: mirrorRefSpecs, Tags: git.NoTags, Force: true, Prune: true})
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		return m, fmt.Errorf("fetching %s: %s", redact(t.URL), cleanErr(err))
	}
	if err := checkTips(repo, refs); err != nil {
		// Start from nothing next time: refs that name missing objects
		// would make the next fetch believe it is up to date.
		_ = os.RemoveAll(dir)
		return m, fmt.Errorf("fetching %s: %w", redact(t.URL), err)
	}
	if head != "" {
		if err := repo.Storer.SetReference(plumbing.NewSymbolicReference(plumbing.HEAD, head)); err != nil {
			return m, fmt.Errorf("setting HEAD: %w", err)
		}
	}
	return m, nil
}

// checkTips makes sure every branch, tag and pull or merge request tip the
// remote advertised is in the clone: a server that advertises refs and sends an empty or short
// pack must not pass for a repository with nothing in it.
func checkTips(repo *git.Repository, refs []*plumbing.Reference) error {
	var missing []string
	for _, r := range refs {
		n := r.Name()
		if r.Type() != plumbing.HashReference || !fetched(n) {
			continue
		}
		if repo.Storer.HasEncodedObject(r.Hash()) != nil {
			missing = append(missing, n.String())
		}
	}
	if len(missing) == 0 {
		return nil
	}
	sort.Strings(missing)
	return fmt.Errorf("the server advertised %d branch, tag or pull request tips it did not send (first: %.200s); not scanned", len(missing), missing[0])
}

// defaultBranch is the branch the remote's HEAD names, or the branch whose
// tip HEAD points at (main, then master, preferred), or "".
func defaultBranch(refs []*plumbing.Reference) plumbing.ReferenceName {
	var headHash plumbing.Hash
	for _, r := range refs {
		if r.Name() != plumbing.HEAD {
			continue
		}
		if r.Type() == plumbing.SymbolicReference {
			// The server's word; it is written into HEAD, so only a valid
			// branch name is taken.
			if t := r.Target(); t.IsBranch() && t.Validate() == nil {
				return t
			}
			continue
		}
		headHash = r.Hash()
	}
	var candidates []plumbing.ReferenceName
	for _, r := range refs {
		if r.Name().IsBranch() && r.Type() == plumbing.HashReference && (headHash.IsZero() || r.Hash() == headHash) {
			candidates = append(candidates, r.Name())
		}
	}
	for _, pref := range []plumbing.ReferenceName{"refs/heads/main", "refs/heads/master"} {
		for _, c := range candidates {
			if c == pref {
				return c
			}
		}
	}
	sort.Slice(candidates, func(i, j int) bool { return candidates[i] < candidates[j] })
	if len(candidates) > 0 {
		return candidates[0]
	}
	return ""
}

// tipsHash is the identity of what a scan covers: the sorted tips of the
// refs fetched (branches, tags, pull and merge requests: a new push to a
// pull request is scanned), and HEAD's branch (still_present depends on
// it).
func tipsHash(refs []*plumbing.Reference, head plumbing.ReferenceName) string {
	var lines []string
	for _, r := range refs {
		n := r.Name()
		if r.Type() == plumbing.HashReference && fetched(n) {
			lines = append(lines, n.String()+" "+r.Hash().String())
		}
	}
	sort.Strings(lines)
	lines = append(lines, "HEAD "+head.String())
	sum := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	return hex.EncodeToString(sum[:])
}

// redact drops user information from a URL for messages: a user name
// alone can be a token (https://TOKEN@host/...).
func redact(raw string) string {
	return targets.StripUserinfo(raw)
}

// transportError shows a transport error on one line (cleanErr) and keeps
// it for errors.Is: a caller can tell that the server wants credentials.
type transportError struct{ err error }

func (e transportError) Error() string { return cleanErr(e.err) }
func (e transportError) Unwrap() error { return e.err }

// cleanErr keeps transport errors to one line.
func cleanErr(err error) string {
	s := strings.Join(strings.Fields(err.Error()), " ")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}
