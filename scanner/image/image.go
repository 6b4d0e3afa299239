// Package image is the container image source: it enumerates the files of
// every layer of OCI and Docker images, and their configuration, as blobs
// for the searcher (scanner.ScanBlobs), and says where each finding is.
//
// An image comes from a registry, a `docker save` tarball or an OCI layout
// folder. Layers are content-addressed: a layer (by its diff ID, the digest
// of its uncompressed tar) is read and searched once per run however many
// of the scanned images hold it, and its findings are then reported for
// every image that holds it, each with that image's history command and
// whether that image's later layers delete the file.
package image

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path"
	"sort"
	"strings"
	"sync"

	"github.com/achilles-sec/achilles/scanner"
	"github.com/achilles-sec/achilles/scanner/finding"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// ConfigPath is the path findings in an image's configuration report: the
// configuration is searched as one text of KEY=value lines (environment
// and labels), then the entrypoint and command, then each history entry's
// created_by command.
const ConfigPath = "image-config"

// Options say how images are fetched.
type Options struct {
	// Insecure allows plain http to any registry. Without it plain http
	// is used only for loopback registries (localhost, 127.0.0.1, ::1).
	Insecure bool
}

// image is one image to scan: the name its findings report, its layers
// with the history command that made each, and its configuration.
type image struct {
	name      string
	layers    []v1.Layer
	diffIDs   []string
	createdBy []string
	config    *v1.ConfigFile
	configID  string
}

// layerFiles is what a layer does to the paths of the layers under it.
type layerFiles struct {
	written map[string]bool // every entry that is not a folder
	deleted map[string]bool // .wh.NAME: NAME and what is under it
	opaque  map[string]bool // .wh..wh..opq: the folder's lower contents
}

// unit is the content a finding came from: a layer (by diff ID) or a
// configuration (by its digest), and the blob's path in it.
type unit struct {
	key  string
	path string
}

// Scan searches the images refs name. A ref is a `docker save` tarball,
// an OCI layout folder (a path that exists is always read as a file or a
// folder) or a registry reference, fetched with the credentials the
// usual chain (Docker's config.json and its credential helpers) holds for
// that registry. A ref that cannot be read at all is a scanner.ErrTarget;
// a layer that breaks halfway is a warning.
func Scan(ctx context.Context, opts scanner.Options, refs []string, o Options) (*scanner.Result, error) {
	if len(refs) == 0 {
		return nil, fmt.Errorf("%w: no image named", scanner.ErrTarget)
	}
	var images []*image
	seenRef := map[string]bool{}
	for _, ref := range refs {
		if seenRef[ref] {
			continue
		}
		seenRef[ref] = true
		ims, err := open(ctx, ref, o)
		if err != nil {
			return nil, fmt.Errorf("%w: image %s: %w", scanner.ErrTarget, ref, err)
		}
		images = append(images, ims...)
	}
	spool, err := os.MkdirTemp("", "achilles-image-")
	if err != nil {
		return nil, fmt.Errorf("image scan: a folder for large files: %w", err)
	}
	defer os.RemoveAll(spool)

	max := opts.MaxFileSize
	if max <= 0 {
		max = scanner.DefaultMaxFileSize
	}
	// Entries wait in memory for a worker; this bounds how many bytes of
	// them may wait at once.
	mem := newBudget(max64(64<<20, 2*max))
	files := map[string]*layerFiles{}
	var mu sync.Mutex
	units := map[*finding.ImageOrigin]unit{}
	locate := func(key, blobPath string, origin finding.ImageOrigin, line func(int) string) func(*finding.Finding) {
		return func(f *finding.Finding) {
			o := origin
			if line != nil {
				o.CreatedBy = line(f.Line)
			}
			f.Kind = finding.KindImage
			f.Image = &o
			mu.Lock()
			units[&o] = unit{key: key, path: blobPath}
			mu.Unlock()
		}
	}

	what := "image " + refs[0]
	if len(seenRef) > 1 {
		what = fmt.Sprintf("%d images", len(seenRef))
	}
	res, err := scanner.ScanBlobs(ctx, opts, what, func(ctx context.Context, warn func(error), yield func(scanner.Blob) error) error {
		seenConfig := map[string]bool{}
		for _, im := range images {
			if !seenConfig[im.configID] {
				seenConfig[im.configID] = true
				text, lineCmd := configText(im.config)
				origin := finding.ImageOrigin{Image: im.name}
				err := yield(scanner.Blob{
					Path:   ConfigPath,
					Size:   int64(len(text)),
					Open:   func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(text)), nil },
					Locate: locate(im.configID, ConfigPath, origin, lineCmd),
				})
				if err != nil {
					return err
				}
			}
			for i, l := range im.layers {
				id := im.diffIDs[i]
				if files[id] != nil {
					continue
				}
				lf := &layerFiles{written: map[string]bool{}, deleted: map[string]bool{}, opaque: map[string]bool{}}
				files[id] = lf
				origin := finding.ImageOrigin{Image: im.name, Layer: id, CreatedBy: im.createdBy[i]}
				err := readLayer(ctx, l, lf, spool, max, mem, func(b scanner.Blob) error {
					b.Locate = locate(id, b.Path, origin, nil)
					return yield(b)
				})
				if err != nil {
					if ctx.Err() != nil {
						return ctx.Err()
					}
					var stop yieldError
					if errors.As(err, &stop) {
						return stop.err
					}
					warn(fmt.Errorf("image %s: layer %s: %w", im.name, id, err))
				}
			}
		}
		return nil
	})
	if res == nil {
		return nil, err
	}
	all, aerr := res.All()
	if err == nil {
		err = aerr
	}
	res.SetFindings(perImage(all, images, files, units))
	return res, err
}

// perImage reports each finding for every image holding its content, with
// that image's name, history command and whether a later layer of that
// image deletes or replaces the file.
func perImage(found []finding.Finding, images []*image, files map[string]*layerFiles, units map[*finding.ImageOrigin]unit) []finding.Finding {
	byKey := map[string][]int{}
	var out []finding.Finding
	for i := range found {
		u, ok := units[found[i].Image]
		if !ok {
			out = append(out, found[i])
			continue
		}
		byKey[u.key] = append(byKey[u.key], i)
	}
	for _, im := range images {
		for _, i := range byKey[im.configID] {
			f := found[i]
			o := *f.Image
			o.Image = im.name
			f.Image = &o
			out = append(out, f)
		}
		once := map[string]bool{}
		for li, id := range im.diffIDs {
			if once[id] {
				// A layer twice in one image is reported at its first place.
				continue
			}
			once[id] = true
			for _, i := range byKey[id] {
				f := found[i]
				o := *f.Image
				o.Image = im.name
				o.CreatedBy = im.createdBy[li]
				o.Removed = removedLater(units[found[i].Image].path, im.diffIDs[li+1:], files)
				f.Image = &o
				out = append(out, f)
			}
		}
	}
	finding.Sort(out)
	return out
}

// removedLater tells whether one of the later layers deletes p (a
// whiteout of p or of a folder above it, an opaque folder above it) or
// replaces it (writes p, or a file where a folder above it was).
func removedLater(p string, later []string, files map[string]*layerFiles) bool {
	for _, id := range later {
		lf := files[id]
		if lf == nil {
			continue
		}
		if lf.written[p] || lf.deleted[p] {
			return true
		}
		for dir := path.Dir(p); dir != "." && dir != "/"; dir = path.Dir(dir) {
			if lf.deleted[dir] || lf.opaque[dir] || lf.written[dir] {
				return true
			}
		}
		if lf.opaque["."] {
			return true
		}
	}
	return false
}

// yieldError is the searcher stopping the source (not a broken layer).
type yieldError struct{ err error }

func (e yieldError) Error() string { return e.err.Error() }
func (e yieldError) Unwrap() error { return e.err }

// readLayer reads a layer's tar stream once, records its whiteouts and
// written paths in lf, and yields each regular file. The stream is
// sequential, so an entry is read before it is yielded: up to max bytes
// into memory (within the mem budget), larger ones into a 0600 file in
// spool that is removed once the searcher is done with it.
func readLayer(ctx context.Context, l v1.Layer, lf *layerFiles, spool string, max int64, mem *budget, yield func(scanner.Blob) error) error {
	rc, err := l.Uncompressed()
	if err != nil {
		return err
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		p := cleanPath(h.Name)
		if p == "" {
			continue
		}
		dir, base := path.Split(p)
		dir = strings.TrimSuffix(dir, "/")
		if dir == "" {
			dir = "."
		}
		switch {
		case base == ".wh..wh..opq":
			lf.opaque[dir] = true
			continue
		case strings.HasPrefix(base, ".wh."):
			lf.deleted[path.Join(dir, strings.TrimPrefix(base, ".wh."))] = true
			continue
		}
		if h.Typeflag != tar.TypeDir {
			lf.written[p] = true
		}
		if h.Typeflag != tar.TypeReg {
			// Folders, links (a hard link's content is its target's,
			// read there), devices.
			continue
		}
		b, err := readEntry(ctx, tr, h, spool, max, mem)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		b.Path = p
		if err := yield(b); err != nil {
			return yieldError{err} // the blob is the searcher's: it frees it
		}
	}
}

// readEntry reads the tar entry at hand into a blob.
func readEntry(ctx context.Context, tr *tar.Reader, h *tar.Header, spool string, max int64, mem *budget) (scanner.Blob, error) {
	if h.Size <= max {
		if err := mem.acquire(ctx, h.Size); err != nil {
			return scanner.Blob{}, err
		}
		buf := make([]byte, h.Size)
		if _, err := io.ReadFull(tr, buf); err != nil {
			mem.release(h.Size)
			return scanner.Blob{}, err
		}
		var once sync.Once
		return scanner.Blob{
			Size: h.Size,
			Open: func() (io.ReadCloser, error) { return bytesBlob{bytes.NewReader(buf)}, nil },
			Done: func() { once.Do(func() { buf = nil; mem.release(h.Size) }) },
		}, nil
	}
	f, err := os.CreateTemp(spool, "entry-")
	if err != nil {
		return scanner.Blob{}, fmt.Errorf("spooling a large file: %w", err)
	}
	name := f.Name()
	_, err = io.Copy(f, tr)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
		return scanner.Blob{}, fmt.Errorf("spooling a large file: %w", err)
	}
	return scanner.Blob{
		Size: h.Size,
		Open: func() (io.ReadCloser, error) { return os.Open(name) },
		Done: func() { os.Remove(name) },
	}, nil
}

// cleanPath is a tar entry's name as a path in the image's file system,
// without a leading "/" or "./" ("" for the root).
func cleanPath(n string) string {
	p := path.Clean("/" + n)
	return strings.TrimPrefix(p, "/")
}

// configText is the text of an image's configuration that is searched,
// and for a line of it the created_by command it belongs to.
func configText(c *v1.ConfigFile) (string, func(int) string) {
	var b strings.Builder
	var lineCmd []string // by line, from 1
	add := func(s, cmd string) {
		for _, l := range strings.Split(s, "\n") {
			b.WriteString(l)
			b.WriteByte('\n')
			lineCmd = append(lineCmd, cmd)
		}
	}
	if c != nil {
		for _, e := range c.Config.Env {
			add(e, "")
		}
		for _, k := range sortedKeys(c.Config.Labels) {
			add(k+"="+c.Config.Labels[k], "")
		}
		if len(c.Config.Entrypoint) > 0 {
			add("ENTRYPOINT "+strings.Join(c.Config.Entrypoint, " "), "")
		}
		if len(c.Config.Cmd) > 0 {
			add("CMD "+strings.Join(c.Config.Cmd, " "), "")
		}
		for _, h := range c.History {
			if h.CreatedBy != "" {
				add(h.CreatedBy, h.CreatedBy)
			}
		}
	}
	return b.String(), func(line int) string {
		if line >= 1 && line <= len(lineCmd) {
			return lineCmd[line-1]
		}
		return ""
	}
}

// open resolves a ref to its images: a file is a `docker save` tarball, a
// folder an OCI layout; anything else a registry reference.
func open(ctx context.Context, ref string, o Options) ([]*image, error) {
	if st, err := os.Stat(ref); err == nil {
		if st.IsDir() {
			return openLayout(ref)
		}
		return openTarball(ref)
	} else if looksLikePath(ref) {
		return nil, fmt.Errorf("no such file or folder")
	}
	return openRemote(ctx, ref, o)
}

// looksLikePath tells a ref that can only be meant as a file (a registry
// reference has no leading "/" or ".", and a tag no ".tar").
func looksLikePath(ref string) bool {
	if strings.HasPrefix(ref, "/") || strings.HasPrefix(ref, ".") || strings.HasPrefix(ref, "~") || strings.Contains(ref, `\`) {
		return true
	}
	for _, ext := range []string{".tar", ".tar.gz", ".tgz"} {
		if strings.HasSuffix(ref, ext) {
			return true
		}
	}
	return false
}

func openTarball(file string) ([]*image, error) {
	m, err := tarball.LoadManifest(func() (io.ReadCloser, error) { return os.Open(file) })
	if err != nil {
		return nil, fmt.Errorf("not a docker save tarball: %w", err)
	}
	if len(m) == 1 {
		img, err := tarball.ImageFromPath(file, nil)
		if err != nil {
			return nil, err
		}
		im, err := newImage(file, img)
		if err != nil {
			return nil, err
		}
		return []*image{im}, nil
	}
	var out []*image
	for _, d := range m {
		if len(d.RepoTags) == 0 {
			return nil, fmt.Errorf("an image of several in the tarball has no tag to pick it by")
		}
		tag, err := name.NewTag(d.RepoTags[0])
		if err != nil {
			return nil, fmt.Errorf("tag %q: %w", d.RepoTags[0], err)
		}
		img, err := tarball.ImageFromPath(file, &tag)
		if err != nil {
			return nil, err
		}
		im, err := newImage(file+" ("+d.RepoTags[0]+")", img)
		if err != nil {
			return nil, err
		}
		out = append(out, im)
	}
	return out, nil
}

func openLayout(dir string) ([]*image, error) {
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return nil, fmt.Errorf("not an OCI layout: %w", err)
	}
	return indexImages(dir, idx, func(h v1.Hash) string { return dir + "@" + h.String() })
}

// indexImages is every image of an index (every platform of a
// multi-platform image), nested indexes included.
func indexImages(ref string, idx v1.ImageIndex, nameOf func(v1.Hash) string) ([]*image, error) {
	var out []*image
	var walk func(idx v1.ImageIndex, depth int) error
	walk = func(idx v1.ImageIndex, depth int) error {
		if depth > 4 {
			return errors.New("image indexes nested too deep")
		}
		m, err := idx.IndexManifest()
		if err != nil {
			return err
		}
		for _, d := range m.Manifests {
			switch {
			case d.MediaType.IsIndex():
				child, err := idx.ImageIndex(d.Digest)
				if err != nil {
					return err
				}
				if err := walk(child, depth+1); err != nil {
					return err
				}
			case d.MediaType.IsImage():
				img, err := idx.Image(d.Digest)
				if err != nil {
					return err
				}
				im, err := newImage(nameOf(d.Digest), img)
				if err != nil {
					return err
				}
				out = append(out, im)
			}
		}
		return nil
	}
	if err := walk(idx, 0); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, errors.New("no image in it")
	}
	if len(out) == 1 {
		out[0].name = ref
	}
	return out, nil
}

func openRemote(ctx context.Context, ref string, o Options) ([]*image, error) {
	var nopts []name.Option
	if o.Insecure {
		nopts = append(nopts, name.Insecure)
	}
	r, err := name.ParseReference(ref, nopts...)
	if err != nil {
		return nil, fmt.Errorf("not a file, a folder or an image reference: %w", err)
	}
	ropts := []remote.Option{
		remote.WithContext(ctx),
		remote.WithAuthFromKeychain(authn.DefaultKeychain),
		remote.WithTransport(httpGuard{next: remote.DefaultTransport, insecure: o.Insecure}),
		remote.WithUserAgent("achilles"),
	}
	desc, err := remote.Get(r, ropts...)
	if err != nil {
		return nil, err
	}
	if desc.MediaType.IsIndex() {
		idx, err := desc.ImageIndex()
		if err != nil {
			return nil, err
		}
		return indexImages(ref, idx, func(h v1.Hash) string { return r.Context().Digest(h.String()).String() })
	}
	img, err := desc.Image()
	if err != nil {
		return nil, err
	}
	im, err := newImage(ref, img)
	if err != nil {
		return nil, err
	}
	return []*image{im}, nil
}

// newImage reads an image's configuration and lists its layers.
func newImage(nameStr string, img v1.Image) (*image, error) {
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("reading the configuration: %w", err)
	}
	cid, err := img.ConfigName()
	if err != nil {
		return nil, fmt.Errorf("reading the configuration: %w", err)
	}
	layers, err := img.Layers()
	if err != nil {
		return nil, fmt.Errorf("listing the layers: %w", err)
	}
	im := &image{name: nameStr, layers: layers, config: cfg, configID: cid.String()}
	var cmds []string
	for _, h := range cfg.History {
		if !h.EmptyLayer {
			cmds = append(cmds, h.CreatedBy)
		}
	}
	for i, l := range layers {
		// The configuration lists the diff IDs; asking a layer of an OCI
		// layout for its own would decompress the whole layer.
		var d v1.Hash
		if len(cfg.RootFS.DiffIDs) == len(layers) {
			d = cfg.RootFS.DiffIDs[i]
		} else if d, err = l.DiffID(); err != nil {
			return nil, fmt.Errorf("layer %d: %w", i, err)
		}
		im.diffIDs = append(im.diffIDs, d.String())
		cmd := ""
		if i < len(cmds) {
			cmd = cmds[i]
		}
		im.createdBy = append(im.createdBy, cmd)
	}
	return im, nil
}

// httpGuard refuses plain http to a registry that is not on the loopback
// interface unless insecure registries were allowed: go-containerregistry
// falls back to http for private-network addresses, and credentials must
// not travel in the clear.
type httpGuard struct {
	next     http.RoundTripper
	insecure bool
}

func (g httpGuard) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Scheme == "http" && !g.insecure && !isLoopback(r.URL.Hostname()) {
		return nil, fmt.Errorf("plain http to %s refused (allow it with --insecure-registry)", r.URL.Host)
	}
	return g.next.RoundTrip(r)
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// bytesBlob is an entry held in memory; it is also an io.ReaderAt.
type bytesBlob struct{ *bytes.Reader }

func (bytesBlob) Close() error { return nil }

// budget bounds the bytes of entries held in memory at once.
type budget struct {
	mu   sync.Mutex
	free int64
	wake chan struct{}
}

func newBudget(n int64) *budget { return &budget{free: n, wake: make(chan struct{})} }

// acquire waits until n bytes are free and takes them.
func (b *budget) acquire(ctx context.Context, n int64) error {
	for {
		b.mu.Lock()
		if b.free >= n {
			b.free -= n
			b.mu.Unlock()
			return nil
		}
		wake := b.wake
		b.mu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (b *budget) release(n int64) {
	b.mu.Lock()
	b.free += n
	close(b.wake)
	b.wake = make(chan struct{})
	b.mu.Unlock()
}

func max64(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
