package sweep

import (
	"context"

	"github.com/achilles-sec/achilles/scanner/sweep/targets"
)

// Cloned is a repository Clone brought into a folder.
type Cloned struct {
	// Head is the remote's default branch ("" when it has none).
	Head string
	// Empty says the remote has no refs at all.
	Empty bool
}

// Clone makes a bare clone of t at dir, as a sweep's cache holds one: the
// remote's branches, tags and pull or merge request refs, HEAD on its
// default branch, t.Auth sent to t's host for this fetch only (the clone's
// config keeps the URL without credentials), every folder 0700 and file
// 0600, and every advertised tip present or an error. dir must not hold a
// repository already; its parent should be private.
func Clone(ctx context.Context, dir string, t targets.Target) (Cloned, error) {
	m, err := mirror(ctx, dir, t, func(string) bool { return false })
	if perr := privatize(dir); perr != nil && err == nil {
		err = perr
	}
	if err != nil {
		return Cloned{}, err
	}
	return Cloned{Head: m.head, Empty: m.empty}, nil
}
