// Package archive opens archives and compressed files (zip and its kin:
// jar, war, ear, whl, nupkg; tar; gzip, bzip2, xz and zstd streams, alone or
// around a tar) and hands each entry's content to a callback under a path
// such as "outer.zip!inner/path" ("a.zip!b.tar.gz!c/d.txt" when nested).
//
// Archives are recognised by their magic bytes, not by their names. Every
// byte is counted as it is read, never trusting sizes a header declares, so
// that a zip bomb costs at most the limits (depth, total expanded bytes,
// expansion ratio, entries, entry size) and a LimitError naming the archive
// and the limit.
package archive

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/achilles-sec/achilles/internal/bunzip"
	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// Kind is an archive or compression format.
type Kind string

// The formats Detect recognises.
const (
	None  Kind = ""
	Zip   Kind = "zip"
	Tar   Kind = "tar"
	Gzip  Kind = "gzip"
	Bzip2 Kind = "bzip2"
	XZ    Kind = "xz"
	Zstd  Kind = "zstd"
)

// HeadSize is how many leading bytes Detect needs to tell every format
// (a tar header's "ustar" magic is at offset 257).
const HeadSize = 512

// Detect names the format of content starting with head, or None.
func Detect(head []byte) Kind {
	switch {
	case bytes.HasPrefix(head, []byte("PK\x03\x04")), bytes.HasPrefix(head, []byte("PK\x05\x06")):
		return Zip
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b, 0x08}):
		return Gzip
	case len(head) >= 10 && bytes.HasPrefix(head, []byte("BZh")) && head[3] >= '1' && head[3] <= '9' &&
		(bytes.Equal(head[4:10], []byte{0x31, 0x41, 0x59, 0x26, 0x53, 0x59}) || bytes.Equal(head[4:10], []byte{0x17, 0x72, 0x45, 0x38, 0x50, 0x90})):
		return Bzip2
	case bytes.HasPrefix(head, []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}):
		return XZ
	case bytes.HasPrefix(head, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		return Zstd
	case len(head) >= 263 && string(head[257:262]) == "ustar":
		return Tar
	}
	return None
}

// Limits bound what one archive (with everything nested in it) may cost.
// A zero field takes its default.
type Limits struct {
	// MaxDepth is how deep archives nest: the scanned archive is depth 1.
	MaxDepth int
	// MaxTotal bounds the bytes expanded from one archive, all entries and
	// nested archives together.
	MaxTotal int64
	// MaxRatio bounds expanded bytes per compressed byte of each entry or
	// stream, checked as bytes come out (after the first 4 MiB, so that a
	// small file of repeated lines is never mistaken for a bomb).
	MaxRatio int64
	// MaxEntries bounds the entries of one archive, nested ones included.
	MaxEntries int
	// MaxEntrySize bounds one entry's content, which is held in memory.
	MaxEntrySize int64
}

// Default limits.
const (
	DefaultMaxDepth     = 3
	DefaultMaxTotal     = 256 << 20
	DefaultMaxRatio     = 100
	DefaultMaxEntries   = 100_000
	DefaultMaxEntrySize = 64 << 20
	ratioFloor          = 4 << 20 // output below this is never a bomb
	xzDictCap           = 8 << 20 // xz's default preset; a larger one fails cleanly
	zstdMaxWindow       = 8 << 20
)

func (l Limits) withDefaults() Limits {
	if l.MaxDepth == 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.MaxTotal == 0 {
		l.MaxTotal = DefaultMaxTotal
	}
	if l.MaxRatio == 0 {
		l.MaxRatio = DefaultMaxRatio
	}
	if l.MaxEntries == 0 {
		l.MaxEntries = DefaultMaxEntries
	}
	if l.MaxEntrySize == 0 {
		l.MaxEntrySize = DefaultMaxEntrySize
	}
	return l
}

// Names of the limits, as LimitError reports them.
const (
	LimitDepth     = "depth"
	LimitTotal     = "total size"
	LimitRatio     = "compression ratio"
	LimitEntries   = "entries"
	LimitEntrySize = "entry size"
	// LimitDirectory bounds the bytes of a zip's central directory, which
	// archive/zip reads into memory whole.
	LimitDirectory = "central directory size"
)

// LimitError says that a limit stopped part of an archive from being read.
type LimitError struct {
	// Archive is the path of the archive (or nested archive) that hit it.
	Archive string
	// Limit is one of the Limit* names.
	Limit string
	// Entry is the first entry it stopped; Count how many entries it hit.
	Entry string
	Count int
	// Max is the limit's value.
	Max int64
	// Listed is set when a zip was refused before its central directory
	// was read: the entries (or, for LimitDirectory, the bytes) its end
	// record declares, or, when Found, at least how many it was found to
	// hold. Entry is empty then: no entry was read.
	Listed uint64
	Found  bool
}

func (e *LimitError) Error() string {
	if e.Listed > 0 {
		return e.directoryError()
	}
	what := "entry " + e.Entry
	if e.Count > 1 {
		what = fmt.Sprintf("%d entries (first %s)", e.Count, e.Entry)
	}
	switch e.Limit {
	case LimitTotal, LimitEntries:
		return fmt.Sprintf("%s: archive %s limit (%d) reached at %s; the rest of the archive was not scanned", e.Archive, e.Limit, e.Max, what)
	case LimitDepth:
		return fmt.Sprintf("%s: archives nested deeper than %d are not opened: skipped %s", e.Archive, e.Max, what)
	}
	return fmt.Sprintf("%s: archive %s limit (%d) exceeded: skipped %s", e.Archive, e.Limit, e.Max, what)
}

func (e *LimitError) directoryError() string {
	skipped := "its entries were not scanned"
	if e.Count > 1 {
		skipped = fmt.Sprintf("its entries were not scanned (nor those of %d more archives or entries over a limit)", e.Count-1)
	}
	what, unit := "declares", "entries"
	if e.Found {
		what = "holds more than"
	}
	if e.Limit == LimitDirectory {
		unit = "bytes"
		if e.Found {
			what = "takes more than"
		}
	}
	return fmt.Sprintf("%s: the zip's central directory %s %d %s, over the archive %s limit (%d): %s", e.Archive, what, e.Listed, unit, e.Limit, e.Max, skipped)
}

// errStop ends a walk once a limit covering the whole archive is reached.
var errStop = errors.New("archive limit reached")

// Problems splits what Walk returned into single errors: LimitErrors and
// errors reading damaged entries, each naming its archive.
func Problems(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// Walk reads the archive r (size bytes, named name) and calls fn with the
// path and content of every entry that is not itself an archive; nested
// archives are walked in turn. Damaged entries and limits reached do not
// stop the walk (unless the limit covers the whole archive): they are
// returned together, joined (see Problems), after every readable entry was
// handed over. An error from fn or the context stops the walk and is
// returned as it is.
func Walk(ctx context.Context, name string, r io.ReaderAt, size int64, lim Limits, fn func(path string, content []byte) error) error {
	w := &walker{ctx: ctx, lim: lim.withDefaults(), fn: fn, hits: map[[2]string]*LimitError{}}
	if k, ok := keptPool.Get().(*kept); ok {
		w.kept = *k
	}
	err := w.archive(name, r, size, 1)
	w.keep()
	if err != nil && !errors.Is(err, errStop) {
		return err
	}
	keys := make([][2]string, 0, len(w.hits))
	for k := range w.hits {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		return keys[i][0] < keys[j][0] || keys[i][0] == keys[j][0] && keys[i][1] < keys[j][1]
	})
	problems := w.problems
	for _, k := range keys {
		problems = append(problems, w.hits[k])
	}
	return errors.Join(problems...)
}

type walker struct {
	ctx      context.Context
	lim      Limits
	fn       func(string, []byte) error
	total    int64
	entries  int
	problems []error
	hits     map[[2]string]*LimitError
	kept
}

// kept is what one walk leaves the next (through keptPool): a folder
// holds hundreds of small archives, and each walk growing its entry
// buffers and allocating a decompressor's window anew is most of what
// it allocates.
type kept struct {
	// bufs[depth] is the buffer entries at that depth are read into.
	bufs [][]byte
	// flate is a deflate reader to Reset for the next zip entry.
	flate io.ReadCloser
	// gzip is a gzip reader to Reset for the next gzip stream.
	gzip *gzip.Reader
	// bzip2 is a bzip2 reader to Reset, with its 3.6 MB block table.
	bzip2 *bunzip.Reader
	// zstd is a zstd decoder to Reset, with its window.
	zstd *zstd.Decoder
}

var keptPool sync.Pool // *kept

// maxKeptBuf is the largest entry buffer kept for the next walk.
const maxKeptBuf = 8 << 20

func (w *walker) keep() {
	for i, b := range w.bufs {
		if cap(b) > maxKeptBuf {
			w.bufs[i] = nil
		}
	}
	k := w.kept
	keptPool.Put(&k)
}

// hit records a limit reached. Hits of one limit are counted into one
// LimitError (naming where it was first reached), so that a bomb of many
// entries costs one warning per limit, not one per entry.
func (w *walker) hit(archive, limit, entry string, max int64) {
	k := [2]string{"", limit}
	if h, ok := w.hits[k]; ok {
		h.Count++
		return
	}
	w.hits[k] = &LimitError{Archive: archive, Limit: limit, Entry: entry, Count: 1, Max: max}
}

func (w *walker) problem(format string, args ...any) {
	if len(w.problems) < 100 {
		w.problems = append(w.problems, fmt.Errorf(format, args...))
	}
}

// archive walks one archive at depth (1 for the scanned file).
func (w *walker) archive(name string, r io.ReaderAt, size int64, depth int) error {
	head := make([]byte, HeadSize)
	n, _ := r.ReadAt(head, 0)
	switch k := Detect(head[:n]); k {
	case Zip:
		return w.zip(name, r, size, depth)
	case Tar:
		c := &counter{r: io.NewSectionReader(r, 0, size)}
		return w.tar(name, tar.NewReader(c), c, depth)
	case None:
		w.problem("%s: not an archive", name)
		return nil
	default:
		return w.stream(name, k, io.NewSectionReader(r, 0, size), depth)
	}
}

func (w *walker) zip(name string, r io.ReaderAt, size int64, depth int) error {
	if !w.zipDirectoryFits(name, r, size) {
		return nil
	}
	zr, err := zip.NewReader(r, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		w.problem("%s: reading zip: %v", name, err)
		return nil
	}
	for _, f := range zr.File {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		if f.FileInfo().IsDir() {
			continue
		}
		entry := name + "!" + f.Name
		if err := w.count(name, entry); err != nil {
			return err
		}
		content, err := w.zipEntry(name, entry, f, depth)
		if err != nil {
			if errors.Is(err, errStop) || w.ctx.Err() != nil {
				return err
			}
			continue
		}
		if err := w.entry(entry, content, depth); err != nil {
			return err
		}
	}
	return nil
}

// maxDirectory bounds one zip's central directory: archive/zip keeps every
// header (name, extra field, comment) and a File of about 200 bytes per
// entry in memory, so the directory is what a zip costs before any entry
// is read. 512 bytes a header on average at the entries limit (51 MB at
// the default) leaves room for long names.
func (l Limits) maxDirectory() int64 { return max(int64(l.MaxEntries)*512, 1<<20) }

// zipDirectoryFits checks a zip's central directory against the entries
// limit before archive/zip reads it: first what the end record declares,
// then the headers themselves, counted where archive/zip will read them
// (it reads until a header is missing, whatever the count says). A zip
// over the limit costs one warning and none of its entries is read: a
// directory that claims 10M entries must not cost 2 GB of Files first.
func (w *walker) zipDirectoryFits(name string, r io.ReaderAt, size int64) bool {
	d, ok := readZipDirectory(r, size)
	if !ok {
		return true // no end record: archive/zip refuses the file itself
	}
	maxEntries, maxBytes := w.lim.MaxEntries, w.lim.maxDirectory()
	refuse := func(limit string, listed uint64, max int64, found bool) bool {
		k := [2]string{"", limit}
		if h, ok := w.hits[k]; ok {
			h.Count++
			return false
		}
		w.hits[k] = &LimitError{Archive: name, Limit: limit, Count: 1, Max: max, Listed: listed, Found: found}
		return false
	}
	switch {
	case d.entries > uint64(maxEntries):
		return refuse(LimitEntries, d.entries, int64(maxEntries), false)
	case d.size > uint64(maxBytes):
		return refuse(LimitDirectory, d.size, maxBytes, false)
	}
	for _, start := range d.starts {
		n, bytes := countZipHeaders(r, size, start, maxEntries, maxBytes)
		switch {
		case n > maxEntries:
			return refuse(LimitEntries, uint64(maxEntries), int64(maxEntries), true)
		case bytes > maxBytes:
			return refuse(LimitDirectory, uint64(maxBytes), maxBytes, true)
		}
	}
	return true
}

// zipEntry reads one zip entry. It decompresses the raw data itself, so
// that the ratio is checked against the compressed bytes actually consumed,
// not a size the header declares, and checks the CRC at the end.
func (w *walker) zipEntry(name, entry string, f *zip.File, depth int) ([]byte, error) {
	if f.Flags&1 != 0 {
		err := fmt.Errorf("%s: encrypted entry, not scanned", entry)
		w.problems = append(w.problems, err)
		return nil, err
	}
	raw, err := f.OpenRaw()
	if err != nil {
		w.problem("%s: %v", entry, err)
		return nil, err
	}
	c := &counter{r: raw}
	var r io.Reader
	switch f.Method {
	case zip.Store:
		r = c
	case zip.Deflate:
		fr := w.flate
		if fr == nil {
			fr = flate.NewReader(c)
		} else {
			_ = fr.(flate.Resetter).Reset(c, nil) // never fails without a dictionary
		}
		w.flate = nil // not shared with an archive nested in this entry
		defer func() { w.flate = fr }()
		r = fr
	case 12: // bzip2
		bz := w.bunzip(c, nil)
		defer w.keepBunzip(bz)
		r = bz
	case 93: // zstd
		z, err := w.unzstd(c)
		if err != nil {
			w.problem("%s: %v", entry, err)
			return nil, err
		}
		defer w.keepZstd(z)
		r = z
	case 95: // xz
		x, err := xz.ReaderConfig{DictCap: xzDictCap}.NewReader(c)
		if err != nil {
			w.problem("%s: %v", entry, err)
			return nil, err
		}
		r = x
	default:
		err := fmt.Errorf("%s: zip compression method %d is not supported", entry, f.Method)
		w.problems = append(w.problems, err)
		return nil, err
	}
	content, err := w.read(name, entry, r, func() int64 { return c.n }, depth, int64(min(f.UncompressedSize64, 1<<62)))
	if err != nil {
		return nil, err
	}
	if f.CRC32 != 0 && crc32.ChecksumIEEE(content) != f.CRC32 {
		w.problem("%s: checksum error (damaged entry, scanned anyway)", entry)
	}
	return content, nil
}

// tar walks a tar stream; c counts the compressed bytes beneath it, for
// the ratio check.
func (w *walker) tar(name string, tr *tar.Reader, c *counter, depth int) error {
	for {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if errors.Is(err, errLimit) {
			return nil // the stream's ratio limit, already reported
		}
		if err != nil {
			w.problem("%s: reading tar: %v", name, err)
			return nil
		}
		if hdr.Typeflag != tar.TypeReg && hdr.Typeflag != tar.TypeGNUSparse && hdr.Typeflag != '\x00' {
			continue
		}
		entry := name + "!" + hdr.Name
		if err := w.count(name, entry); err != nil {
			return err
		}
		// Entries share the stream's input: the ratio is the stream's.
		content, err := w.read(name, entry, tr, func() int64 { return c.n }, depth, hdr.Size)
		if err != nil {
			if errors.Is(err, errStop) || w.ctx.Err() != nil {
				return err
			}
			if errors.Is(err, errLimit) {
				continue
			}
			return nil // the stream itself is damaged
		}
		if err := w.entry(entry, content, depth); err != nil {
			return err
		}
	}
}

// stream decompresses a single compressed stream. A tar inside is walked
// as part of the same archive ("x.tar.gz!inner"); anything else is an
// entry named after the file without its compression suffix.
func (w *walker) stream(name string, k Kind, src *io.SectionReader, depth int) error {
	c := &counter{r: src}
	var dr io.Reader
	var err error
	var bz *bunzip.Reader // a bzip2 stream's reader
	var first bzip2First
	switch k {
	case Gzip:
		g := w.gzip
		if g == nil {
			g, err = gzip.NewReader(c)
		} else {
			err = g.Reset(c)
		}
		if g != nil {
			w.gzip = nil // not shared with an archive nested in this stream
			defer func() { w.gzip = g }()
		}
		dr = g
	case Bzip2:
		bz = w.bunzip(c, &first)
		defer w.keepBunzip(bz)
		dr = bz
	case XZ:
		dr, err = xz.ReaderConfig{DictCap: xzDictCap}.NewReader(c)
	case Zstd:
		var z *zstd.Decoder
		if z, err = w.unzstd(c); err == nil {
			defer w.keepZstd(z)
			dr = z
		}
	}
	if err != nil {
		w.problem("%s: reading %s: %v", name, k, err)
		return nil
	}
	// Peek for a tar header without reading the whole stream.
	br := &peekReader{r: dr}
	head, _ := br.peek(HeadSize)
	if Detect(head) == Tar {
		lr := &limitedStream{w: w, name: name, r: br, in: func() int64 { return c.n }}
		err := w.tar(name, tar.NewReader(lr), c, depth)
		if lr.err != nil {
			return lr.errOrNil()
		}
		return err
	}
	entry := name + "!" + innerName(name, k)
	if err := w.count(name, entry); err != nil {
		return err
	}
	if bz != nil && w.bzip2Suspect(first) && w.bzip2Breaks(src) {
		w.hit(name, LimitRatio, entry, w.lim.MaxRatio)
		return nil
	}
	content, err := w.read(name, entry, br, func() int64 { return c.n }, depth, -1)
	if err != nil {
		if errors.Is(err, errStop) || w.ctx.Err() != nil {
			return err
		}
		return nil
	}
	return w.entry(entry, content, depth)
}

// bunzip returns the walker's bzip2 reader (takeBunzip) reading c. Its
// Bound stops the stream (errRatio) as soon as a block's symbols show that
// the expansion ratio will be broken by the end of that block: a bzip2 block is unsorted before any
// of its bytes come out, and unsorting is most of what it costs. The ratio
// is the one read and limitedStream check, of the stream's output to the
// same compressed count, and the block is taken to give only the least it
// can, so that Bound stops only a stream they would stop in that block. A
// block that may reach the total or entry size limit first is read, so that
// the limit reported is the one reached first. With first set, Bound also
// records there what the first block showed.
func (w *walker) bunzip(c *counter, first *bzip2First) *bunzip.Reader {
	bz := w.takeBunzip(c)
	bz.Bound = func(out int64) error {
		ahead := bunzip.LeastOut(out - bz.Out())
		least := bz.Out() + ahead
		if first != nil && !first.read {
			*first = bzip2First{read: true, least: least, in: c.n}
		}
		if w.ratioFirst(least, ahead, c.n) {
			return errRatio
		}
		return nil
	}
	return bz
}

// bzip2First is what a bzip2 stream's first block showed when its symbols
// were read: the least output by its end and the compressed bytes read.
type bzip2First struct {
	read      bool
	least, in int64
}

// bzip2Suspect reports whether a bzip2 stream's first block expands more
// than a quarter of the ratio limit (however little it gives: the floor
// under which output is never a bomb counts for the whole stream, not for
// one block), which text (2 to 5 to 1) never comes
// near and a bomb passes at once (the Go tree's re2 test log: 55 to 1).
// Only such a stream is judged whole by bzip2Breaks: the judgement decodes
// every block's symbols, a third of what reading the stream costs, which
// another stream would pay for nothing. Any stream still has each block
// stopped by Bound before unsorting when the ratio breaks inside it.
func (w *walker) bzip2Suspect(f bzip2First) bool {
	return f.read && 4*f.least > w.lim.MaxRatio*f.in
}

// bzip2Breaks reports whether the bzip2 stream in src is certain to break
// the ratio limit, judged by the symbols of its blocks alone (Blocks), with
// each block taken to give the least it can, as Bound takes it. Such a
// stream, unless it holds a tar, is an entry that read would drop when it
// broke the ratio, after unsorting up to 4 MiB (several blocks, each a
// chain of 900,000 cache misses) for nothing; stream drops it before
// unsorting more than the first block's head. A block that may reach the
// total or entry size limit first gives no verdict, as in Bound. A stream
// that would fail its checksum, or reach a size limit, before the block
// where the ratio breaks is skipped as breaking the ratio: it is skipped
// either way.
func (w *walker) bzip2Breaks(src *io.SectionReader) bool {
	c := &counter{r: io.NewSectionReader(src, 0, src.Size())}
	bz := w.takeBunzip(c)
	defer w.keepBunzip(bz)
	var least int64
	err := bz.Blocks(func(n int64) error {
		least += bunzip.LeastOut(n)
		if w.ratioFirst(least, least, c.n) {
			return errRatio
		}
		return nil
	})
	return err == errRatio
}

// ratioFirst reports whether a bzip2 stream that will have given at least
// least bytes from in compressed ones by the end of a block breaks the
// ratio there, before it can reach the entry size or the total limit
// (ahead of those bytes are not counted in the total yet): then the limit
// to report is the ratio, and the block need not be unsorted.
func (w *walker) ratioFirst(least, ahead, in int64) bool {
	return overRatio(least, in, w.lim.MaxRatio) && least+readChunk <= w.lim.MaxEntrySize && w.total+ahead+readChunk <= w.lim.MaxTotal
}

// takeBunzip takes the walker's bzip2 reader (an archive nested in the
// stream it reads gets its own) and points it at r.
func (w *walker) takeBunzip(r io.Reader) *bunzip.Reader {
	bz := w.bzip2
	w.bzip2 = nil
	if bz == nil {
		return bunzip.NewReader(r)
	}
	bz.Reset(r)
	return bz
}

// keepBunzip gives bz back to the walker, holding nothing of this stream.
func (w *walker) keepBunzip(bz *bunzip.Reader) {
	bz.Reset(nil)
	w.bzip2 = bz
}

// keepZstd gives z back to the walker, holding nothing of this stream.
func (w *walker) keepZstd(z *zstd.Decoder) {
	_ = z.Reset(nil) // a nil input only marks the decoder idle
	w.zstd = z
}

// unzstd returns the walker's zstd decoder (taken from it) reading c.
func (w *walker) unzstd(c io.Reader) (*zstd.Decoder, error) {
	z := w.zstd
	w.zstd = nil
	if z == nil {
		return zstd.NewReader(c, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true),
			zstd.WithDecoderMaxWindow(zstdMaxWindow), zstd.WithDecoderMaxMemory(uint64(w.lim.MaxEntrySize)))
	}
	return z, z.Reset(c)
}

// innerName names the content of a compressed file: its name without the
// compression suffix.
func innerName(name string, k Kind) string {
	base := path.Base(name[strings.LastIndexByte(name, '!')+1:])
	lower := strings.ToLower(base)
	for _, s := range []struct{ suffix, repl string }{
		{".tgz", ".tar"}, {".tbz2", ".tar"}, {".tbz", ".tar"}, {".txz", ".tar"}, {".tzst", ".tar"},
		{".gz", ""}, {".bz2", ""}, {".xz", ""}, {".zst", ""}, {".zstd", ""},
	} {
		if strings.HasSuffix(lower, s.suffix) && len(base) > len(s.suffix) {
			return base[:len(base)-len(s.suffix)] + s.repl
		}
	}
	return base + "." + string(k) + "-content"
}

// entry hands content to fn, or walks it when it is an archive itself.
func (w *walker) entry(entry string, content []byte, depth int) error {
	if Detect(content[:min(len(content), HeadSize)]) == None {
		return w.fn(entry, content)
	}
	if depth >= w.lim.MaxDepth {
		w.hit(entry[:strings.LastIndexByte(entry, '!')], LimitDepth, entry, int64(w.lim.MaxDepth))
		return nil
	}
	return w.archive(entry, bytes.NewReader(content), int64(len(content)), depth+1)
}

// count counts an entry against MaxEntries.
func (w *walker) count(archive, entry string) error {
	w.entries++
	if w.entries > w.lim.MaxEntries {
		w.hit(archive, LimitEntries, entry, int64(w.lim.MaxEntries))
		return errStop
	}
	return nil
}

// errLimit marks a read stopped by a per-entry limit.
var errLimit = errors.New("entry limit")

// errRatio is a decompressor's own word that its output will break the
// ratio limit (see bunzip): read and limitedStream report it as the limit.
var errRatio = errors.New("compression ratio limit")

// read reads one entry's content, counting every byte against the limits
// as it comes out; in reports the compressed bytes consumed so far and
// size what the archive says the entry holds (-1: not said). The content
// is read into the walker's buffer for depth, which the next entry at that
// depth reuses: fn and nested walks are done with it by then.
func (w *walker) read(archive, entry string, r io.Reader, in func() int64, depth int, size int64) ([]byte, error) {
	for len(w.bufs) <= depth {
		w.bufs = append(w.bufs, nil)
	}
	buf := w.bufs[depth][:0]
	// A declared size only sizes the buffer (it may lie); the limits are
	// checked on what is read.
	if size > int64(cap(buf)) && size <= min(w.lim.MaxEntrySize, maxSizeHint) {
		buf = make([]byte, 0, size+1)
	}
	defer func() { w.bufs[depth] = buf[:0] }()
	for {
		if err := w.ctx.Err(); err != nil {
			return nil, err
		}
		if cap(buf)-len(buf) < readChunk {
			buf = slices.Grow(buf, max(readChunk, len(buf)))
		}
		n, err := r.Read(buf[len(buf):min(cap(buf), len(buf)+readChunk)])
		if n > 0 {
			w.total += int64(n)
			switch {
			case w.total > w.lim.MaxTotal:
				w.hit(archive, LimitTotal, entry, w.lim.MaxTotal)
				return nil, errStop
			case int64(len(buf)+n) > w.lim.MaxEntrySize:
				w.hit(archive, LimitEntrySize, entry, w.lim.MaxEntrySize)
				return nil, errLimit
			case overRatio(int64(len(buf)+n), in(), w.lim.MaxRatio):
				w.hit(archive, LimitRatio, entry, w.lim.MaxRatio)
				return nil, errLimit
			}
			buf = buf[:len(buf)+n]
		}
		if err == io.EOF {
			return buf, nil
		}
		if err == errRatio {
			w.hit(archive, LimitRatio, entry, w.lim.MaxRatio)
			return nil, errLimit
		}
		if err != nil {
			w.problem("%s: %v", entry, err)
			return nil, err
		}
	}
}

const (
	// readChunk is the most one read takes before the limits are checked.
	readChunk = 64 << 10
	// maxSizeHint is the largest declared size a buffer is made for
	// before anything is read; past it the buffer grows with the content.
	maxSizeHint = 8 << 20
)

// overRatio reports whether out bytes expanded from in compressed bytes
// break the ratio. The first 4 MiB never do, so that a small file of
// repeated lines or a very regular JSON document passes; past them the
// running ratio is checked, so that a stream just over the limit is stopped
// there, not after the tens of MiB an additive allowance would let through.
func overRatio(out, in, ratio int64) bool {
	return out > ratioFloor && out > ratio*in
}

// counter counts the bytes read through it.
type counter struct {
	r io.Reader
	n int64
}

func (c *counter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// peekReader lets the first bytes of a stream be looked at, then read.
type peekReader struct {
	r    io.Reader
	head []byte
}

func (p *peekReader) peek(n int) ([]byte, error) {
	buf := make([]byte, n)
	m, err := io.ReadFull(p.r, buf)
	p.head = buf[:m]
	if err == io.ErrUnexpectedEOF || err == io.EOF {
		err = nil
	}
	return p.head, err
}

func (p *peekReader) Read(b []byte) (int, error) {
	if len(p.head) > 0 {
		n := copy(b, p.head)
		p.head = p.head[n:]
		return n, nil
	}
	return p.r.Read(b)
}

// limitedStream checks a decompressed stream read by tar (headers and
// skipped entries included) against the total and ratio limits.
type limitedStream struct {
	w    *walker
	name string
	r    io.Reader
	in   func() int64
	out  int64
	err  error
}

func (l *limitedStream) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	n, err := l.r.Read(p)
	l.out += int64(n)
	if err == errRatio || overRatio(l.out, l.in(), l.w.lim.MaxRatio) {
		l.w.hit(l.name, LimitRatio, l.name, l.w.lim.MaxRatio)
		l.err = errLimit
		return n, l.err
	}
	return n, err
}

func (l *limitedStream) errOrNil() error {
	if errors.Is(l.err, errStop) {
		return l.err
	}
	return nil
}
