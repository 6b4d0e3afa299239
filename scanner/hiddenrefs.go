package scanner

import (
	"bufio"
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
)

// hiddenRefPrefixes start the refs that are neither branches nor tags but
// that a forge serves to whoever can fetch the repository: pull request
// heads and merges (GitHub, refs/pull/N/head and /merge) and merge
// request heads (GitLab, refs/merge-requests/N/head). A commit reachable
// only from them was never merged, yet it is public.
var hiddenRefPrefixes = []string{"refs/pull/", "refs/merge-requests/"}

// IsHiddenRef reports whether name is a pull or merge request ref
// (refs/pull/*, refs/merge-requests/*): scanned with the history, and a
// finding only such a ref holds is marked with it.
func IsHiddenRef(name string) bool {
	for _, p := range hiddenRefPrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// hiddenTip is a hidden ref and the commit it points at (a tag peeled).
type hiddenTip struct {
	name, commit string
}

// nameHidden gives each commit of only (the commits reachable from hidden
// refs and from no other ref, each with its parents) the first hidden ref,
// in natural order of names (refs/pull/7/head before refs/pull/7/merge
// before refs/pull/10/head), that reaches it: the pull request it was
// pushed for, or the oldest of stacked ones.
func nameHidden(tips []hiddenTip, only map[string][]string) map[string]string {
	sort.SliceStable(tips, func(i, j int) bool { return naturalLess(tips[i].name, tips[j].name) })
	named := map[string]string{}
	for _, t := range tips {
		stack := []string{t.commit}
		for len(stack) > 0 {
			h := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			parents, inOnly := only[h]
			if !inOnly {
				continue // reachable from a branch or tag as well
			}
			if _, done := named[h]; done {
				continue
			}
			named[h] = t.name
			stack = append(stack, parents...)
		}
	}
	return named
}

// naturalLess orders strings with their runs of digits compared as
// numbers.
func naturalLess(a, b string) bool {
	for a != "" && b != "" {
		da, db := isDigit(a[0]), isDigit(b[0])
		if da && db {
			na, ra := cutDigits(a)
			nb, rb := cutDigits(b)
			na, nb = strings.TrimLeft(na, "0"), strings.TrimLeft(nb, "0")
			if len(na) != len(nb) {
				return len(na) < len(nb)
			}
			if na != nb {
				return na < nb
			}
			a, b = ra, rb
			continue
		}
		if a[0] != b[0] {
			return a[0] < b[0]
		}
		a, b = a[1:], b[1:]
	}
	return len(a) < len(b)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func cutDigits(s string) (digits, rest string) {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return s[:i], s[i:]
}

// markHidden sets hiddenRef on every introducing commit that only hidden
// refs reach. Without it a finding would look like any other of the
// history, although no branch holds it.
func markHidden(intros map[string][]intro, hidden map[string]string) {
	if len(hidden) == 0 {
		return
	}
	for _, ins := range intros {
		for _, in := range ins {
			if in.commit != nil {
				in.commit.hiddenRef = hidden[in.commit.hash]
			}
		}
	}
}

// hiddenOnly lists, with the git binary, the commits that only hidden refs
// reach, each named by one of them (nameHidden): from the run prefetch
// started, else by running git now.
func (g *gitCLI) hiddenOnly(ctx context.Context) (map[string]string, error) {
	if g.ahead != nil {
		return g.hiddenFrom(ctx, g.ahead.hidden)
	}
	return g.listHidden(ctx)
}

// listHidden is hiddenOnly's git commands. A repository without hidden
// refs costs one for-each-ref.
func (g *gitCLI) listHidden(ctx context.Context) (map[string]string, error) {
	args := []string{"for-each-ref", "--format=%(objectname)%09%(*objectname)%09%(refname)"}
	for _, p := range hiddenRefPrefixes {
		args = append(args, strings.TrimSuffix(p, "/"))
	}
	out, err := gitCommand(ctx, g.dir, args...).Output()
	if err != nil {
		return nil, fmt.Errorf("listing pull and merge request refs: %w", err)
	}
	var tips []hiddenTip
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 3 || !IsHiddenRef(f[2]) {
			continue
		}
		commit := f[0]
		if f[1] != "" {
			commit = f[1] // an annotated tag: the object it names
		}
		tips = append(tips, hiddenTip{name: f[2], commit: commit})
	}
	if len(tips) == 0 {
		return nil, nil
	}
	// What the hidden refs reach, less what every other ref (and HEAD)
	// reaches. Patterns, not names, go to git: nothing from the repository
	// lands on its command line.
	revArgs := []string{"rev-list", "--parents"}
	for _, p := range hiddenRefPrefixes {
		revArgs = append(revArgs, "--glob="+strings.TrimSuffix(p, "/"))
	}
	revArgs = append(revArgs, "--not")
	for _, p := range hiddenRefPrefixes {
		revArgs = append(revArgs, "--exclude="+p+"*")
	}
	revArgs = append(revArgs, "--all")
	cmd, err := startGit(ctx, g.dir, nil, revArgs...)
	if err != nil {
		return nil, err
	}
	only := map[string][]string{}
	sc := bufio.NewScanner(cmd.Stdout)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		only[f[0]] = f[1:]
	}
	scanErr := sc.Err()
	if scanErr != nil {
		_ = cmd.Process.Kill()
	}
	if err := cmd.Wait(); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("git rev-list of pull and merge request refs: %v: %s", err, trimStderr(cmd.Stderr.Bytes()))
	}
	if scanErr != nil {
		return nil, fmt.Errorf("reading git rev-list: %w", scanErr)
	}
	return nameHidden(tips, only), nil
}

// hiddenOnly is gitCLI.hiddenOnly for go-git, from the commits walkCommits
// collected: those the non-hidden refs and HEAD do not reach.
func (g *goGit) hiddenOnly(ctx context.Context) (map[string]string, error) {
	refs, err := g.repo.References()
	if err != nil {
		return nil, fmt.Errorf("listing refs: %w", err)
	}
	var tips []hiddenTip
	var visible []plumbing.Hash
	err = refs.ForEach(func(r *plumbing.Reference) error {
		if r.Type() != plumbing.HashReference {
			return nil
		}
		c := g.peel(r.Hash())
		if IsHiddenRef(r.Name().String()) {
			tips = append(tips, hiddenTip{name: r.Name().String(), commit: c.String()})
		} else {
			visible = append(visible, c)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing refs: %w", err)
	}
	if len(tips) == 0 {
		return nil, nil
	}
	if head, err := g.repo.Head(); err == nil {
		visible = append(visible, g.peel(head.Hash()))
	}
	seen := map[plumbing.Hash]bool{}
	for stack := visible; len(stack) > 0; {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		h := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[h] {
			continue
		}
		seen[h] = true
		if c := g.byHash[h]; c != nil {
			stack = append(stack, c.ParentHashes...)
		}
	}
	only := map[string][]string{}
	for _, c := range g.order {
		if seen[c.Hash] {
			continue
		}
		parents := make([]string, len(c.ParentHashes))
		for i, p := range c.ParentHashes {
			parents[i] = p.String()
		}
		only[c.Hash.String()] = parents
	}
	return nameHidden(tips, only), nil
}

// peel follows annotated tags to the object they name.
func (g *goGit) peel(h plumbing.Hash) plumbing.Hash {
	for i := 0; i < 16; i++ {
		t, err := g.repo.TagObject(h)
		if err != nil {
			return h
		}
		h = t.Target
	}
	return h
}
