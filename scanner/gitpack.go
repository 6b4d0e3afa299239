package scanner

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/achilles-sec/achilles/detectors"
	"github.com/achilles-sec/achilles/internal/inflate"
	"github.com/klauspost/compress/zlib"
)

// The pack reader reads a repository's object store itself (pack files
// through their v2 indexes, and loose objects) instead of copying every
// object through a pipe from `git cat-file --batch-all-objects --batch`.
// It inflates each needed object once and resolves deltas the way
// `git index-pack` does: from each base down its tree of deltas, so a base
// is inflated once for all of its children and held only while children
// remain (within a budget; past it a base is rebuilt when needed again).
// Trees of deltas are split between workers, one per CPU. Objects that no
// listed blob depends on (commits, trees, blobs a path rule skips) are never
// inflated. Anything the reader does not handle (see openPackStore) sends
// the scan back to git cat-file before the first blob is handed on.

// GitReaderEnv names the environment variable that chooses how history
// objects are read: "pack" (the pure-Go pack reader; a scan fails when it
// cannot be used, so tests and benchmarks know which path ran), "cat-file"
// (git cat-file), or unset / "auto" (the pack reader when it can, else
// git cat-file).
const GitReaderEnv = "ACHILLES_GIT_READER"

// Pack object types.
const (
	objCommit   = 1
	objTree     = 2
	objBlob     = 3
	objTag      = 4
	objOfsDelta = 6
	objRefDelta = 7
)

const (
	// maxMaterialize bounds one object the reader holds in memory (a delta
	// base or result). Larger ones are reported and not scanned.
	maxMaterialize = 1 << 30
	// deflateRatio bounds how much deflate can expand (about 1032:1).
	deflateRatio = 1032
)

// Pack files are read with pread, each object's compressed bytes into the
// worker's buffer, rather than mapped: on a history of a gigabyte, mapped
// pages faulted in 64 KiB at a time (fault-around) for objects read in delta
// order, not pack order, and had to be dropped again to keep achilles'
// resident memory in budget. Measured on etcd, hugo and minikube, reading
// is 2-6% faster in wall time and 10-25% lower in system time, and the
// page cache stays out of achilles' own memory.
var (
	// packBaseBudget bounds the delta bases one worker keeps for children
	// still to come.
	packBaseBudget = 24 << 20
)

// unsupportedStoreError says why the pack reader does not read a store.
type unsupportedStoreError struct{ reason string }

func (e *unsupportedStoreError) Error() string {
	return "the pack reader does not read this repository: " + e.reason
}

func unsupported(format string, args ...any) error {
	return &unsupportedStoreError{reason: fmt.Sprintf(format, args...)}
}

// packFile is one pack and its index.
type packFile struct {
	name  string
	f     *os.File
	size  int64
	idx   []byte
	count int
	first int32   // node id of the pack's first object in offset order
	byPos []int32 // index position -> node id
}

// packNode is one object of the store. Nodes of a pack are in offset order.
type packNode struct {
	off     int64 // start of the entry (pack) or 0 (loose)
	end     int64 // end of the compressed data
	size    int64 // size from the header: the object's, or its delta's
	pack    int32 // index in packStore.packs, or -1 for a loose object
	pos     int32 // index position (pack) or index into packStore.loose
	base    int32 // node of the delta base; noBase, or missingBase
	pathIdx int32 // index into reachable.paths when wanted
	hdr     uint8 // header length
	typ     uint8
	want    bool
	need    bool
}

const (
	noBase      = -1
	missingBase = -2
)

type looseObject struct {
	hash [20]byte
	path string
}

// packStore is an opened object store.
type packStore struct {
	objDir string
	packs  []*packFile
	nodes  []packNode
	loose  []looseObject
	// kids lists, for each node, its needed delta children (CSR layout).
	kidStart []int32
	kids     []int32
	roots    []int32
	wanted   int
	looseBy  map[[20]byte]int32
	// hdrBuf holds pack hdrPack's bytes from hdrOff, read ahead for
	// parseNode (used by plan alone, on one goroutine).
	hdrBuf  []byte
	hdrPack int32
	hdrOff  int64
}

func (s *packStore) close() {
	for _, p := range s.packs {
		if p.f != nil {
			_ = p.f.Close()
		}
	}
}

// hash returns the name of a node.
func (s *packStore) hash(id int32) []byte {
	n := &s.nodes[id]
	if n.pack < 0 {
		return s.loose[n.pos].hash[:]
	}
	p := s.packs[n.pack]
	o := 8 + 1024 + int(n.pos)*20
	return p.idx[o : o+20]
}

// repoObjectDir finds the object folder git would use for the repository
// at dir, or says why the reader should not read it.
func repoObjectDir(ctx context.Context, dir string) (string, error) {
	for _, env := range []string{"GIT_DIR", "GIT_COMMON_DIR", "GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES"} {
		if os.Getenv(env) != "" {
			return "", unsupported("%s is set", env)
		}
	}
	out, err := gitCommand(ctx, dir, "rev-parse", "--git-common-dir").Output()
	if err != nil {
		return "", unsupported("git rev-parse --git-common-dir: %v", err)
	}
	common := strings.TrimSuffix(string(out), "\n")
	if common == "" || strings.ContainsAny(common, "\n\x00") {
		return "", unsupported("unexpected git dir")
	}
	if !filepath.IsAbs(common) {
		common = filepath.Join(dir, common)
	}
	if err := checkRepoConfig(filepath.Join(common, "config")); err != nil {
		return "", err
	}
	obj := filepath.Join(common, "objects")
	st, err := os.Lstat(obj)
	if err != nil {
		return "", unsupported("%v", err)
	}
	if !st.IsDir() {
		return "", unsupported("objects is not a folder")
	}
	return obj, nil
}

// checkRepoConfig refuses a repository whose configuration changes what its
// object store means: another object format (SHA-256), a partial clone
// (promisor remotes), or any repository extension the reader does not know.
func checkRepoConfig(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return unsupported("reading config: %v", err)
	}
	defer f.Close()
	section := ""
	br := bufio.NewReader(io.LimitReader(f, 4<<20))
	for {
		line, err := br.ReadString('\n')
		if line == "" && err != nil {
			return nil
		}
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if line[0] == '[' {
			end := strings.IndexByte(line, ']')
			if end < 0 {
				return unsupported("config: unreadable section header")
			}
			head := line[1:end]
			name, sub, _ := strings.Cut(head, " ")
			section = strings.ToLower(strings.TrimSpace(name))
			if sub != "" {
				section += "." + strings.Trim(strings.TrimSpace(sub), `"`)
			}
			line = strings.TrimSpace(line[end+1:])
			if line == "" {
				continue
			}
		}
		key, value, _ := strings.Cut(line, "=")
		key = strings.ToLower(strings.TrimSpace(key))
		value = strings.ToLower(strings.Trim(strings.TrimSpace(value), `"`))
		sec, _, _ := strings.Cut(section, ".")
		switch {
		case section == "core" && key == "repositoryformatversion":
			if value != "0" && value != "1" {
				return unsupported("core.repositoryformatversion %q", value)
			}
		case sec == "extensions":
			switch {
			case key == "objectformat" && value == "sha1":
			case key == "worktreeconfig", key == "noop", key == "preciousobjects":
			default:
				return unsupported("extensions.%s", key)
			}
		case sec == "remote" && key == "promisor" && value != "false" && value != "no" && value != "off" && value != "0":
			return unsupported("a promisor remote (partial clone)")
		case sec == "include" || sec == "includeif":
			return unsupported("config includes other files")
		}
	}
}

// openPackStore opens the object store at objDir: every pack with a v2
// index, every loose object. It refuses (unsupportedStoreError) what it does
// not read as git would: alternates, .keep packs, other index versions,
// symbolic links, unreadable files.
func openPackStore(objDir string) (s *packStore, err error) {
	st := &packStore{objDir: objDir}
	defer func() {
		if err != nil {
			st.close()
			s = nil
		}
	}()
	s = st
	if _, err := os.Lstat(filepath.Join(objDir, "info", "alternates")); err == nil {
		return nil, unsupported("alternates")
	}
	packDir := filepath.Join(objDir, "pack")
	if st, err := os.Lstat(packDir); err == nil && !st.IsDir() {
		return nil, unsupported("objects/pack is not a folder")
	}
	entries, err := os.ReadDir(packDir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, unsupported("%v", err)
	}
	for _, e := range entries {
		name := e.Name()
		if strings.HasSuffix(name, ".keep") {
			return nil, unsupported(".keep pack")
		}
		if !strings.HasSuffix(name, ".idx") {
			continue
		}
		base := strings.TrimSuffix(name, ".idx")
		p, err := openPack(filepath.Join(packDir, base))
		if errors.Is(err, os.ErrNotExist) {
			continue // an index without its pack: git ignores it too
		}
		if err != nil {
			return nil, err
		}
		s.packs = append(s.packs, p)
	}
	total := 0
	for _, p := range s.packs {
		total += p.count
	}
	s.nodes = make([]packNode, 0, total)
	for i, p := range s.packs {
		if err := s.addPackNodes(int32(i), p); err != nil {
			return nil, err
		}
	}
	if err := s.addLoose(); err != nil {
		return nil, err
	}
	return s, nil
}

// openRegular opens a file of the store, refusing a symbolic link or
// anything but a regular file.
func openRegular(path string) (*os.File, int64, error) {
	st, err := os.Lstat(path)
	if err != nil {
		return nil, 0, err
	}
	if !st.Mode().IsRegular() {
		return nil, 0, unsupported("%s is not a regular file", filepath.Base(path))
	}
	f, err := openStoreFile(path)
	if err != nil {
		return nil, 0, unsupported("%v", err)
	}
	st, err = f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		f.Close()
		return nil, 0, unsupported("%s is not a regular file", filepath.Base(path))
	}
	return f, st.Size(), nil
}

func openPack(base string) (*packFile, error) {
	if _, err := os.Lstat(base + ".pack"); err != nil {
		return nil, err
	}
	fi, isize, err := openRegular(base + ".idx")
	if err != nil {
		return nil, err
	}
	if isize > 1<<31 {
		fi.Close()
		return nil, unsupported("index too large")
	}
	idx := make([]byte, isize)
	_, err = io.ReadFull(fi, idx)
	fi.Close()
	if err != nil {
		return nil, unsupported("reading index: %v", err)
	}
	count, err := checkIdx(idx)
	if err != nil {
		return nil, err
	}
	f, size, err := openRegular(base + ".pack")
	if err != nil {
		return nil, err
	}
	p := &packFile{name: filepath.Base(base), f: f, size: size, idx: idx, count: count}
	var head [12]byte
	var tail [20]byte
	if size < 32 || p.readAt(head[:], 0) != nil || p.readAt(tail[:], size-20) != nil {
		p.close()
		return nil, unsupported("%s: truncated pack", p.name)
	}
	if string(head[:4]) != "PACK" {
		p.close()
		return nil, unsupported("%s: not a pack", p.name)
	}
	if v := binary.BigEndian.Uint32(head[4:]); v != 2 && v != 3 {
		p.close()
		return nil, unsupported("%s: pack version %d", p.name, v)
	}
	if n := binary.BigEndian.Uint32(head[8:]); int64(n) != int64(count) {
		p.close()
		return nil, unsupported("%s: pack and index disagree on the object count", p.name)
	}
	if !bytes.Equal(tail[:], idx[len(idx)-40:len(idx)-20]) {
		p.close()
		return nil, unsupported("%s: pack and index disagree on the pack checksum", p.name)
	}
	return p, nil
}

func (p *packFile) close() {
	if p.f != nil {
		_ = p.f.Close()
		p.f = nil
	}
}

func (p *packFile) readAt(b []byte, off int64) error {
	if off < 0 || off+int64(len(b)) > p.size {
		return io.ErrUnexpectedEOF
	}
	_, err := p.f.ReadAt(b, off)
	return err
}

// bytes returns the pack's bytes [off, end), read into buf (grown when
// short).
func (p *packFile) bytes(off, end int64, buf []byte) ([]byte, error) {
	if off < 0 || end < off || end > p.size {
		return nil, io.ErrUnexpectedEOF
	}
	n := int(end - off)
	if cap(buf) < n {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	_, err := p.f.ReadAt(buf, off)
	return buf, err
}

// checkIdx validates a v2 pack index and returns its object count.
func checkIdx(idx []byte) (int, error) {
	const head = 8 + 1024
	if len(idx) < head+40 || string(idx[:4]) != "\xfftOc" {
		return 0, unsupported("not a v2 pack index")
	}
	if v := binary.BigEndian.Uint32(idx[4:]); v != 2 {
		return 0, unsupported("pack index version %d", v)
	}
	prev := uint32(0)
	for i := 0; i < 256; i++ {
		f := binary.BigEndian.Uint32(idx[8+4*i:])
		if f < prev {
			return 0, unsupported("corrupt pack index")
		}
		prev = f
	}
	n := int64(prev)
	rest := int64(len(idx)) - head - 40 - n*28
	if rest < 0 || rest%8 != 0 {
		return 0, unsupported("corrupt pack index")
	}
	names := idx[head : head+n*20]
	for i := int64(1); i < n; i++ {
		if bytes.Compare(names[(i-1)*20:i*20], names[i*20:(i+1)*20]) >= 0 {
			return 0, unsupported("corrupt pack index: names out of order")
		}
	}
	for i := int64(0); i < n; i++ {
		fan := names[i*20]
		lo := uint32(0)
		if fan > 0 {
			lo = binary.BigEndian.Uint32(idx[8+4*(int(fan)-1):])
		}
		hi := binary.BigEndian.Uint32(idx[8+4*int(fan):])
		if uint32(i) < lo || uint32(i) >= hi {
			return 0, unsupported("corrupt pack index: fan-out")
		}
	}
	return int(n), nil
}

// idxOffset returns the pack offset of index position i.
func idxOffset(idx []byte, count, i int) (int64, bool) {
	base := 8 + 1024 + count*24
	o := binary.BigEndian.Uint32(idx[base+4*i:])
	if o&0x80000000 == 0 {
		return int64(o), true
	}
	big := base + count*4 + int(o&0x7fffffff)*8
	if big+8 > len(idx)-40 {
		return 0, false
	}
	v := binary.BigEndian.Uint64(idx[big:])
	if v > 1<<62 {
		return 0, false
	}
	return int64(v), true
}

// findInPack returns the index position of hash in a pack, or -1.
func findInPack(p *packFile, hash []byte) int {
	fan := int(hash[0])
	lo := 0
	if fan > 0 {
		lo = int(binary.BigEndian.Uint32(p.idx[8+4*(fan-1):]))
	}
	hi := int(binary.BigEndian.Uint32(p.idx[8+4*fan:]))
	names := p.idx[8+1024:]
	i := lo + sort.Search(hi-lo, func(k int) bool {
		return bytes.Compare(names[(lo+k)*20:(lo+k)*20+20], hash) >= 0
	})
	if i < hi && bytes.Equal(names[i*20:i*20+20], hash) {
		return i
	}
	return -1
}

// parseEntryHeader reads a pack entry's type and size.
func parseEntryHeader(b []byte) (typ uint8, size int64, n int, err error) {
	if len(b) == 0 {
		return 0, 0, 0, errors.New("truncated entry header")
	}
	c := b[0]
	typ = (c >> 4) & 7
	size = int64(c & 15)
	shift := uint(4)
	n = 1
	for c&0x80 != 0 {
		if n >= len(b) || shift > 56 {
			return 0, 0, 0, errors.New("bad entry header")
		}
		c = b[n]
		n++
		size |= int64(c&0x7f) << shift
		shift += 7
	}
	if size < 0 {
		return 0, 0, 0, errors.New("bad entry size")
	}
	switch typ {
	case objCommit, objTree, objBlob, objTag, objOfsDelta, objRefDelta:
	default:
		return 0, 0, 0, fmt.Errorf("unknown object type %d", typ)
	}
	return typ, size, n, nil
}

// parseOfsDistance reads an OFS_DELTA's distance back to its base.
func parseOfsDistance(b []byte) (int64, int, error) {
	if len(b) == 0 {
		return 0, 0, errors.New("truncated delta offset")
	}
	c := b[0]
	d := int64(c & 0x7f)
	n := 1
	for c&0x80 != 0 {
		if n >= len(b) || d > 1<<55 {
			return 0, 0, errors.New("bad delta offset")
		}
		c = b[n]
		n++
		d = (d+1)<<7 | int64(c&0x7f)
	}
	return d, n, nil
}

// addPackNodes adds a pack's objects in offset order. Their headers are
// read later, and only for the objects a listed blob needs (parseNode).
func (s *packStore) addPackNodes(pi int32, p *packFile) error {
	if len(s.nodes)+p.count > 1<<31-1 {
		return unsupported("too many objects")
	}
	type ent struct {
		off int64
		pos int32
	}
	ents := make([]ent, p.count)
	for i := range ents {
		off, ok := idxOffset(p.idx, p.count, i)
		if !ok || off < 12 || off >= p.size-20 {
			return unsupported("%s: corrupt index offset", p.name)
		}
		ents[i] = ent{off, int32(i)}
	}
	slices.SortFunc(ents, func(a, b ent) int {
		switch {
		case a.off < b.off:
			return -1
		case a.off > b.off:
			return 1
		}
		return 0
	})
	p.first = int32(len(s.nodes))
	p.byPos = make([]int32, p.count)
	s.nodes = slices.Grow(s.nodes, p.count)
	for i, e := range ents {
		end := p.size - 20
		if i+1 < len(ents) {
			end = ents[i+1].off
		}
		if end <= e.off {
			return unsupported("%s: two objects at one offset", p.name)
		}
		p.byPos[e.pos] = int32(len(s.nodes))
		s.nodes = append(s.nodes, packNode{off: e.off, end: end, pack: pi, pos: e.pos, base: noBase})
	}
	return nil
}

// parseNode reads a pack object's header, once: its type, size and delta
// base.
func (s *packStore) parseNode(id int32) error {
	node := &s.nodes[id]
	if node.pack < 0 || node.hdr != 0 {
		return nil
	}
	p := s.packs[node.pack]
	h, err := s.headerBytes(node.pack, node.off, min(32, node.end-node.off))
	if err != nil {
		return unsupported("%s: %v", p.name, err)
	}
	typ, size, n, err := parseEntryHeader(h)
	if err != nil {
		return unsupported("%s: object at %d: %v", p.name, node.off, err)
	}
	node.typ, node.size = typ, size
	switch typ {
	case objOfsDelta:
		d, m, err := parseOfsDistance(h[n:])
		if err != nil {
			return unsupported("%s: object at %d: %v", p.name, node.off, err)
		}
		n += m
		bo := node.off - d
		if d <= 0 || bo < 12 {
			return unsupported("%s: object at %d: bad delta base", p.name, node.off)
		}
		nodes := s.nodes[p.first:id]
		j := sort.Search(len(nodes), func(k int) bool { return nodes[k].off >= bo })
		if j >= len(nodes) || nodes[j].off != bo {
			return unsupported("%s: object at %d: no object at its delta base", p.name, node.off)
		}
		node.base = p.first + int32(j)
	case objRefDelta:
		if len(h) < n+20 {
			return unsupported("%s: object at %d: truncated", p.name, node.off)
		}
		node.base = s.lookup(h[n : n+20])
		n += 20
	}
	if int64(n) >= node.end-node.off {
		return unsupported("%s: object at %d: truncated", p.name, node.off)
	}
	node.hdr = uint8(n)
	return nil
}

// headerRead is how much of a pack parseNode reads at once. plan parses
// headers in offset order, so one read serves the next hundred or so small
// objects instead of one pread each (about 137,000 on etcd).
const headerRead = 64 << 10

// headerBytes returns n bytes of pack pi at off, from the read-ahead
// buffer of header reads.
func (s *packStore) headerBytes(pi int32, off, n int64) ([]byte, error) {
	if pi != s.hdrPack || off < s.hdrOff || off+n > s.hdrOff+int64(len(s.hdrBuf)) {
		p := s.packs[pi]
		size := min(headerRead, p.size-off)
		if size < n {
			return nil, io.ErrUnexpectedEOF
		}
		if cap(s.hdrBuf) < headerRead {
			s.hdrBuf = make([]byte, headerRead)
		}
		s.hdrBuf = s.hdrBuf[:size]
		if err := p.readAt(s.hdrBuf, off); err != nil {
			s.hdrBuf = s.hdrBuf[:0]
			return nil, err
		}
		s.hdrPack, s.hdrOff = pi, off
	}
	return s.hdrBuf[off-s.hdrOff : off-s.hdrOff+n], nil
}

// addLoose adds every loose object (objects/xx/<38 hex digits>).
func (s *packStore) addLoose() error {
	dirs, err := os.ReadDir(s.objDir)
	if err != nil {
		return unsupported("%v", err)
	}
	for _, d := range dirs {
		name := d.Name()
		if len(name) != 2 || !isHex(name) {
			continue
		}
		if d.Type()&os.ModeSymlink != 0 || !d.IsDir() {
			return unsupported("objects/%s is not a folder", name)
		}
		files, err := os.ReadDir(filepath.Join(s.objDir, name))
		if err != nil {
			return unsupported("%v", err)
		}
		for _, f := range files {
			rest := f.Name()
			if len(rest) != 38 || !isHex(rest) {
				continue // temporary files git ignores too
			}
			if !f.Type().IsRegular() {
				return unsupported("objects/%s/%s is not a regular file", name, rest)
			}
			var lo looseObject
			if _, err := hex.Decode(lo.hash[:], []byte(strings.ToLower(name+rest))); err != nil {
				continue
			}
			lo.path = filepath.Join(s.objDir, name, rest)
			if len(s.nodes) >= 1<<31-1 {
				return unsupported("too many objects")
			}
			s.nodes = append(s.nodes, packNode{pack: -1, pos: int32(len(s.loose)), base: noBase})
			s.loose = append(s.loose, lo)
		}
	}
	return nil
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// lookup finds a node by name: in the packs, then among loose objects.
func (s *packStore) lookup(hash []byte) int32 {
	for _, p := range s.packs {
		if i := findInPack(p, hash); i >= 0 {
			return p.byPos[i]
		}
	}
	if s.looseBy == nil {
		s.looseBy = make(map[[20]byte]int32, len(s.loose))
		for id := range s.nodes {
			if s.nodes[id].pack < 0 {
				s.looseBy[s.loose[s.nodes[id].pos].hash] = int32(id)
			}
		}
	}
	if id, ok := s.looseBy[[20]byte(hash)]; ok {
		return id
	}
	return missingBase
}

// located is where the store holds the blobs of a listing: the node of
// each blob it holds (the first, in node order, when it holds several)
// with the blob's path, in node order, and the hashes of those it lacks,
// sorted. The plan reads it, not the listing, so that the blobs git says
// are missing can be dropped from the listing meanwhile.
type located struct {
	at     []nodePath
	absent [][20]byte
}

type nodePath struct{ id, path int32 }

// locate finds the blobs of rs in the store, one index lookup each.
func (s *packStore) locate(rs *reachable) located {
	var l located
	l.at = make([]nodePath, 0, len(rs.blobs))
	for h, idx := range rs.blobs {
		if idx == consumed {
			continue // read already
		}
		if id := s.lookup(h[:]); id != missingBase {
			l.at = append(l.at, nodePath{id, idx})
		} else {
			l.absent = append(l.absent, h)
		}
	}
	slices.SortFunc(l.at, func(a, b nodePath) int { return cmp.Compare(a.id, b.id) })
	slices.SortFunc(l.absent, func(a, b [20]byte) int { return bytes.Compare(a[:], b[:]) })
	return l
}

// wantedBytes estimates the size of the planned blobs, for a progress
// percentage when the listing did not give sizes: a delta's object is
// taken to be as large as the whole object at the end of its chain, which
// is the same file in another version.
func (s *packStore) wantedBytes() int64 {
	var total int64
	for id := range s.nodes {
		n := &s.nodes[id]
		if !n.want {
			continue
		}
		r := n
		for r.base >= 0 {
			r = &s.nodes[r.base]
		}
		if r.pack < 0 {
			total += looseSize(&s.loose[r.pos])
			continue
		}
		total += r.size
	}
	return total
}

// looseSize reads the size in a loose object's header, or 0 when the
// header cannot be read (the read of the object itself then says why).
func looseSize(lo *looseObject) int64 {
	f, _, err := openRegular(lo.path)
	if err != nil {
		return 0
	}
	defer f.Close()
	zr, err := zlib.NewReader(bufio.NewReaderSize(f, 512))
	if err != nil {
		return 0
	}
	hdr, err := bufio.NewReaderSize(zr, 64).ReadSlice(0)
	if err != nil {
		return 0
	}
	_, sz, _ := strings.Cut(string(hdr[:len(hdr)-1]), " ")
	size, _ := objectSize(sz)
	return size
}

// plan marks the nodes that hold the located blobs (one location per
// blob) and every base they need, and lists the trees of deltas to walk.
// It refuses a store where a listed blob is another type of object, or
// whose delta chains do not end in a blob: git might read those, the
// reader would not. (A listed blob the store lacks is its caller's to
// refuse.)
func (s *packStore) plan(l located) error {
	for _, at := range l.at {
		if err := s.parseNode(at.id); err != nil {
			return err
		}
		n := &s.nodes[at.id]
		if n.pack >= 0 && n.typ != objBlob && n.typ != objOfsDelta && n.typ != objRefDelta {
			return unsupported("listed blob %x is another type of object in its pack", s.hash(at.id))
		}
		n.want = true
		n.pathIdx = at.path
		s.wanted++
	}
	// state: 0 unknown, 1 on the current path, 2 ends in a blob root.
	state := make([]uint8, len(s.nodes))
	var path []int32
	for id := range s.nodes {
		if !s.nodes[id].want {
			continue
		}
		path = path[:0]
		n := int32(id)
		for {
			if state[n] == 2 {
				break
			}
			if state[n] == 1 {
				return unsupported("a cycle of deltas")
			}
			state[n] = 1
			path = append(path, n)
			if err := s.parseNode(n); err != nil {
				return err
			}
			b := s.nodes[n].base
			if b == missingBase {
				return unsupported("the delta base of %x is missing", s.hash(n))
			}
			if b == noBase {
				if t := s.nodes[n].typ; s.nodes[n].pack >= 0 && t != objBlob {
					return unsupported("object %x: a blob's delta chain ends in type %d", s.hash(int32(id)), t)
				}
				break
			}
			n = b
		}
		for _, m := range path {
			state[m] = 2
			s.nodes[m].need = true
		}
	}
	s.kidStart = make([]int32, len(s.nodes)+1)
	for id := range s.nodes {
		n := &s.nodes[id]
		if n.need && n.base >= 0 {
			s.kidStart[n.base+1]++
		} else if n.need {
			s.roots = append(s.roots, int32(id))
		}
	}
	for i := 1; i < len(s.kidStart); i++ {
		s.kidStart[i] += s.kidStart[i-1]
	}
	s.kids = make([]int32, s.kidStart[len(s.nodes)])
	fill := slices.Clone(s.kidStart[:len(s.nodes)])
	for id := range s.nodes {
		n := &s.nodes[id]
		if n.need && n.base >= 0 {
			s.kids[fill[n.base]] = int32(id)
			fill[n.base]++
		}
	}
	return nil
}

// subtreeWanted counts the wanted nodes in the delta tree below id,
// id included.
func (s *packStore) subtreeWanted(id int32) int {
	count := 0
	stack := []int32{id}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if s.nodes[n].want {
			count++
		}
		stack = append(stack, s.kids[s.kidStart[n]:s.kidStart[n+1]]...)
	}
	return count
}

// packOut is one blob a worker hands to the scan: whole, or as a stream
// (r) that the worker waits on (done) before it goes on.
type packOut struct {
	b    blob
	r    io.Reader
	done chan struct{}
}

// packWorker walks trees of deltas.
type packWorker struct {
	s       *packStore
	ctx     context.Context
	rs      *reachable
	maxSize int64
	out     chan<- packOut
	// scan, when set, scans a blob in memory here instead of handing it
	// on (blobSink.scan); its first error stops the read.
	scan    func(blob) (*detectors.Hits, error)
	scanErr func(error)
	warn    func(error)
	dir     string

	inf    inflate.Decoder // whole objects; zr is the fallback and streams
	zr     io.ReadCloser
	br     bytes.Reader
	raw    []byte
	delta  []byte
	copies []detectors.Copy // of the delta built last
	stack  []packFrame
	held   int
	// free holds buffers of objects no longer needed (bases whose children
	// are built, blobs scanned here), for the next objects: building a blob
	// into one skips the allocation and its zeroing.
	free   [][]byte
	failed int // wanted blobs not handed on
	done   int // wanted blobs scanned here (scan)
}

type packFrame struct {
	id       int32
	data     []byte
	hits     *detectors.Hits // data's keyword hits, for its children's scans
	next, to int32
	handed   bool // data went to the sink, which keeps it: not reused
}

// Bounds of packWorker.free: buffers smaller than minFree are left to the
// allocator, and at most maxFree are kept, none over maxFreeSize.
const (
	minFree     = 4 << 10
	maxFree     = 16
	maxFreeSize = 8 << 20
)

// buffer returns a buffer of n bytes of unspecified content, from free
// when one is large enough (the smallest such).
func (w *packWorker) buffer(n int) []byte {
	best := -1
	for i, b := range w.free {
		if cap(b) >= n && (best < 0 || cap(b) < cap(w.free[best])) {
			best = i
		}
	}
	if best < 0 {
		return make([]byte, n)
	}
	b := w.free[best]
	last := len(w.free) - 1
	w.free[best] = w.free[last]
	w.free = w.free[:last]
	return b[:n]
}

// release gives back a buffer nothing refers to any more; a full free
// list drops its smallest.
func (w *packWorker) release(b []byte) {
	if cap(b) < minFree || cap(b) > maxFreeSize {
		return
	}
	if len(w.free) < maxFree {
		w.free = append(w.free, b)
		return
	}
	small := 0
	for i := range w.free {
		if cap(w.free[i]) < cap(w.free[small]) {
			small = i
		}
	}
	if cap(w.free[small]) < cap(b) {
		w.free[small] = b
	}
}

// inflate inflates a node's compressed data into dst (grown to size).
func (w *packWorker) inflate(n *packNode, size int64, dst []byte) ([]byte, error) {
	p := w.s.packs[n.pack]
	comp, err := p.bytes(n.off+int64(n.hdr), n.end, w.raw)
	if err != nil {
		return nil, err
	}
	w.raw = comp[:0]
	if size > int64(len(comp))*deflateRatio+64 || size > maxMaterialize {
		return nil, fmt.Errorf("object size %d is impossible or too large for its %d compressed bytes", size, len(comp))
	}
	if int64(cap(dst)) < size {
		dst = w.buffer(int(size))
	}
	dst = dst[:size]
	if w.inf.Zlib(dst, comp) == nil {
		return dst, nil
	}
	// What the whole-buffer inflater refuses, the streaming one decodes
	// again: it may read what the other does not, and its error says what
	// is wrong.
	if err := w.reset(comp); err != nil {
		return nil, err
	}
	if _, err := io.ReadFull(w.zr, dst); err != nil {
		return nil, fmt.Errorf("inflating: %w", err)
	}
	if err := w.checkEnd(); err != nil {
		return nil, err
	}
	return dst, nil
}

func (w *packWorker) reset(comp []byte) error {
	w.br.Reset(comp)
	if w.zr == nil {
		zr, err := zlib.NewReader(&w.br)
		if err != nil {
			return fmt.Errorf("inflating: %w", err)
		}
		w.zr = zr
		return nil
	}
	if err := w.zr.(zlib.Resetter).Reset(&w.br, nil); err != nil {
		return fmt.Errorf("inflating: %w", err)
	}
	return nil
}

// checkEnd makes sure the stream ends where the object does (and, reading
// to its end, checks its checksum).
func (w *packWorker) checkEnd() error {
	var one [1]byte
	n, err := w.zr.Read(one[:])
	if n == 0 && err == nil {
		n, err = w.zr.Read(one[:])
	}
	if n != 0 {
		return errors.New("object longer than its header says")
	}
	if err != io.EOF {
		return fmt.Errorf("inflating: %w", err)
	}
	return nil
}

// readLoose reads a loose object: "<type> <size>\0<content>", deflated.
func (w *packWorker) readLoose(lo *looseObject) (typ string, data []byte, err error) {
	f, size, err := openRegular(lo.path)
	if err != nil {
		return "", nil, err
	}
	defer f.Close()
	if size > maxMaterialize {
		return "", nil, errors.New("loose object too large")
	}
	comp := make([]byte, size)
	if _, err := io.ReadFull(f, comp); err != nil {
		return "", nil, err
	}
	if err := w.reset(comp); err != nil {
		return "", nil, err
	}
	hr := bufio.NewReaderSize(w.zr, 64)
	hdr, err := hr.ReadSlice(0)
	if err != nil {
		return "", nil, errors.New("bad loose object header")
	}
	t, sz, ok := strings.Cut(string(hdr[:len(hdr)-1]), " ")
	osize, okSize := objectSize(sz)
	if !ok || !okSize || osize > int64(len(comp))*deflateRatio+64 {
		return "", nil, errors.New("bad loose object header")
	}
	data = make([]byte, osize)
	if _, err := io.ReadFull(hr, data); err != nil {
		return "", nil, fmt.Errorf("inflating: %w", err)
	}
	if hr.Buffered() > 0 {
		return "", nil, errors.New("object longer than its header says")
	}
	if err := w.checkEnd(); err != nil {
		return "", nil, err
	}
	return t, data, nil
}

// readRoot reads an object stored whole.
func (w *packWorker) readRoot(id int32) ([]byte, error) {
	n := &w.s.nodes[id]
	if n.pack < 0 {
		t, data, err := w.readLoose(&w.s.loose[n.pos])
		if err != nil {
			return nil, err
		}
		if t != "blob" {
			return nil, fmt.Errorf("a %.10s where a blob was expected", t)
		}
		return data, nil
	}
	if n.typ != objBlob {
		return nil, fmt.Errorf("object of type %d where a blob was expected", n.typ)
	}
	return w.inflate(n, n.size, nil)
}

// child builds a delta's object from its base, leaving in w.copies what
// it copied from the base.
func (w *packWorker) child(id int32, base []byte) ([]byte, error) {
	n := &w.s.nodes[id]
	d, err := w.inflate(n, n.size, w.delta)
	if err != nil {
		return nil, err
	}
	w.delta = d[:0]
	copies := w.copies[:0]
	out, err := applyDeltaOps(base, d, &copies, w.buffer)
	w.copies = copies
	return out, err
}

// deltaVarint reads a delta header size.
func deltaVarint(b []byte) (uint64, int) {
	var v uint64
	for i := 0; i < len(b) && i < 10; i++ {
		v |= uint64(b[i]&0x7f) << (7 * uint(i))
		if b[i]&0x80 == 0 {
			return v, i + 1
		}
	}
	return 0, 0
}

// applyDelta builds an object from its base and a git delta, appending
// to copies each range it copied from the base.
func applyDelta(base, delta []byte, copies []detectors.Copy) ([]byte, []detectors.Copy, error) {
	out, err := applyDeltaOps(base, delta, &copies, func(n int) []byte { return make([]byte, n) })
	return out, copies, err
}

// applyDeltaOps is applyDelta building into a buffer from buffer, whose
// every byte it writes.
func applyDeltaOps(base, delta []byte, copies *[]detectors.Copy, buffer func(int) []byte) ([]byte, error) {
	bsz, n := deltaVarint(delta)
	if n == 0 || bsz != uint64(len(base)) {
		return nil, errors.New("delta does not fit its base")
	}
	delta = delta[n:]
	rsz, n := deltaVarint(delta)
	if n == 0 {
		return nil, errors.New("bad delta header")
	}
	delta = delta[n:]
	// Every op emits at most 16 MiB from one to eight bytes of delta.
	if rsz > maxMaterialize || rsz > uint64(len(delta))*(1<<24) {
		return nil, errors.New("delta result too large")
	}
	out := buffer(int(rsz))
	o := uint64(0)
	for i := 0; i < len(delta); {
		op := delta[i]
		i++
		switch {
		case op&0x80 != 0:
			var off, sz uint64
			for bit := uint(0); bit < 7; bit++ {
				if op&(1<<bit) == 0 {
					continue
				}
				if i >= len(delta) {
					return nil, errors.New("truncated delta")
				}
				if bit < 4 {
					off |= uint64(delta[i]) << (8 * bit)
				} else {
					sz |= uint64(delta[i]) << (8 * (bit - 4))
				}
				i++
			}
			if sz == 0 {
				sz = 0x10000
			}
			if off+sz > uint64(len(base)) || o+sz > rsz {
				return nil, errors.New("delta copies out of range")
			}
			copy(out[o:], base[off:off+sz])
			*copies = append(*copies, detectors.Copy{Dst: int(o), Src: int(off), Len: int(sz)})
			o += sz
		case op != 0:
			sz := uint64(op)
			if uint64(i)+sz > uint64(len(delta)) || o+sz > rsz {
				return nil, errors.New("delta inserts out of range")
			}
			copy(out[o:], delta[i:uint64(i)+sz])
			i += int(sz)
			o += sz
		default:
			return nil, errors.New("reserved delta op")
		}
	}
	if o != rsz {
		return nil, errors.New("delta result shorter than its header says")
	}
	return out, nil
}

func (w *packWorker) fail(id int32, err error) {
	if w.ctx.Err() != nil {
		return
	}
	lost := w.s.subtreeWanted(id)
	w.failed += lost
	if lost == 0 {
		return
	}
	more := ""
	if lost > 1 || !w.s.nodes[id].want {
		more = fmt.Sprintf(" (%d blobs depend on it)", lost)
	}
	w.warn(fmt.Errorf("%s: object %x could not be read: %v; not scanned%s", w.dir, w.s.hash(id), err, more))
}

func (w *packWorker) blob(id int32, data []byte) blob {
	return blob{hash: hex.EncodeToString(w.s.hash(id)), path: w.rs.paths[w.s.nodes[id].pathIdx], size: int64(len(data)), data: data}
}

// emit hands a wanted blob on.
func (w *packWorker) emit(id int32, data []byte) bool {
	select {
	case w.out <- packOut{b: w.blob(id, data)}:
		return true
	case <-w.ctx.Done():
		return false
	}
}

// visit hands on a node's object if wanted and keeps it as a base while it
// has children to build. base is the keyword hits of the object it was
// built from (w.copies says what it repeats of it), or nil.
func (w *packWorker) visit(id int32, data []byte, base *detectors.Hits) {
	from, to := w.s.kidStart[id], w.s.kidStart[id+1]
	var hits *detectors.Hits
	handed := false
	if w.s.nodes[id].want {
		if w.scan != nil && int64(len(data)) <= w.maxSize {
			b := w.blob(id, data)
			b.base, b.keep = base, from != to
			if base != nil {
				b.copies = w.copies
			}
			var err error
			if hits, err = w.scan(b); err != nil {
				w.scanErr(err)
				return
			}
			w.done++
		} else if handed = true; !w.emit(id, data) {
			return
		}
	}
	if from == to {
		if !handed {
			w.release(data)
		}
		return
	}
	w.stack = append(w.stack, packFrame{id: id, data: data, hits: hits, next: from, to: to, handed: handed})
	w.held += len(data) + hits.Size()
	// Over budget: drop the bases furthest from the top; they are rebuilt
	// from their own bases if their remaining children need them (and
	// their children are then scanned without their hits).
	for i := 0; w.held > packBaseBudget && i < len(w.stack)-1; i++ {
		if f := &w.stack[i]; f.data != nil {
			w.held -= len(f.data) + f.hits.Size()
			if !f.handed {
				w.release(f.data)
			}
			f.data, f.hits = nil, nil
		}
	}
}

// rebuild rebuilds the object of a node whose base was dropped.
func (w *packWorker) rebuild(id int32) ([]byte, error) {
	var chain []int32
	var data []byte
	for n := id; ; {
		for i := len(w.stack) - 1; i >= 0 && data == nil; i-- {
			if w.stack[i].id == n && w.stack[i].data != nil {
				data = w.stack[i].data
			}
		}
		if data != nil {
			break
		}
		chain = append(chain, n)
		if w.s.nodes[n].base < 0 {
			break
		}
		n = w.s.nodes[n].base
		if len(chain) > len(w.s.nodes) {
			return nil, errors.New("a cycle of deltas")
		}
	}
	var err error
	for i := len(chain) - 1; i >= 0; i-- {
		if data == nil {
			data, err = w.readRoot(chain[i])
		} else {
			data, err = w.child(chain[i], data)
		}
		if err != nil {
			return nil, err
		}
	}
	return data, nil
}

// streamRoot hands a large blob stored whole on as a stream, without
// holding it in memory.
func (w *packWorker) streamRoot(id int32) {
	n := &w.s.nodes[id]
	p := w.s.packs[n.pack]
	src := bufio.NewReaderSize(io.NewSectionReader(p.f, n.off+int64(n.hdr), n.end-n.off-int64(n.hdr)), 256<<10)
	zr, err := zlib.NewReader(src)
	if err != nil {
		w.fail(id, err)
		return
	}
	sr := &streamReader{r: io.LimitReader(zr, n.size), left: n.size}
	b := blob{hash: hex.EncodeToString(w.s.hash(id)), path: w.rs.paths[n.pathIdx], size: n.size}
	done := make(chan struct{})
	select {
	case w.out <- packOut{b: b, r: sr, done: done}:
	case <-w.ctx.Done():
		return
	}
	select {
	case <-done:
	case <-w.ctx.Done():
		<-done
		return
	}
	if sr.err != nil {
		w.warn(fmt.Errorf("%s: object %x could not be read in full: %v; scanned in part", w.dir, w.s.hash(id), sr.err))
	}
}

// streamReader ends a corrupt stream early, keeping the error for a
// warning, so that the scan goes on.
type streamReader struct {
	r    io.Reader
	left int64
	err  error
}

func (s *streamReader) Read(b []byte) (int, error) {
	if s.err != nil {
		return 0, io.EOF
	}
	n, err := s.r.Read(b)
	s.left -= int64(n)
	if err == io.EOF && s.left > 0 {
		err = io.ErrUnexpectedEOF
	}
	if err != nil && err != io.EOF {
		s.err = err
		return n, io.EOF
	}
	return n, err
}

// walk reads the tree of deltas below root.
func (w *packWorker) walk(root int32) {
	n := &w.s.nodes[root]
	if n.want && n.pack >= 0 && n.typ == objBlob && n.size > w.maxSize && w.s.kidStart[root] == w.s.kidStart[root+1] {
		w.streamRoot(root)
		return
	}
	data, err := w.readRoot(root)
	if err != nil {
		w.fail(root, err)
		return
	}
	w.stack, w.held = w.stack[:0], 0
	w.visit(root, data, nil)
	for len(w.stack) > 0 {
		if w.ctx.Err() != nil {
			return
		}
		top := len(w.stack) - 1
		f := &w.stack[top]
		if f.next == f.to {
			w.held -= len(f.data) + f.hits.Size()
			if !f.handed {
				w.release(f.data)
			}
			w.stack = w.stack[:top]
			continue
		}
		kid := w.s.kids[f.next]
		f.next++
		base := f.data
		if base == nil {
			if base, err = w.rebuild(f.id); err != nil {
				for _, k := range w.s.kids[f.next-1 : f.to] {
					w.fail(k, err)
				}
				w.stack = w.stack[:top]
				continue
			}
			f.data, f.handed = base, false
			w.held += len(base)
		}
		hits := f.hits
		last := f.next == f.to
		reuse := last && !f.handed
		if last {
			// The last child: the base is not needed after this one.
			w.held -= len(f.data) + f.hits.Size()
			w.stack = w.stack[:top]
		}
		out, err := w.child(kid, base)
		if reuse {
			w.release(base)
		}
		if err != nil {
			w.fail(kid, err)
			continue
		}
		w.visit(kid, out, hits)
	}
}

// readPacks hands every blob of rs on, reading the store with one worker
// per CPU. handed says whether any blob was handed on.
func (s *packStore) read(ctx context.Context, dir string, rs *reachable, maxSize int64, warn func(error), sink blobSink) error {
	workers := runtime.NumCPU()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var scanOnce sync.Once
	var scanErr error
	stop := func(err error) {
		scanOnce.Do(func() { scanErr = err })
		cancel()
	}
	out := make(chan packOut, workers*2)
	roots := make(chan int32, 64)
	var wg sync.WaitGroup
	var mu sync.Mutex
	failed, scanned := 0, 0
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := &packWorker{s: s, ctx: ctx, rs: rs, maxSize: maxSize, out: out, scan: sink.scan, scanErr: stop, warn: warn, dir: dir}
			for r := range roots {
				w.walk(r)
			}
			mu.Lock()
			failed += w.failed
			scanned += w.done
			mu.Unlock()
		}()
	}
	go func() {
		defer close(roots)
		for _, r := range s.roots {
			select {
			case roots <- r:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() {
		wg.Wait()
		close(out)
	}()
	var err error
	handed := 0
	for it := range out {
		if err != nil {
			if it.done != nil {
				close(it.done)
			}
			continue
		}
		handed++
		switch {
		case it.r != nil:
			err = sink.large(it.b, it.r)
			close(it.done)
		case it.b.size > maxSize:
			data := it.b.data
			it.b.data = nil
			err = sink.large(it.b, bytes.NewReader(data))
		default:
			err = sink.fn(it.b)
		}
		if err != nil {
			cancel()
		}
	}
	if err != nil {
		return err
	}
	if scanErr != nil {
		return scanErr
	}
	if e := ctx.Err(); e != nil {
		return e
	}
	if left := s.wanted - handed - scanned - failed; left > 0 {
		warn(fmt.Errorf("%s: %d listed blobs were not found in the object store", dir, left))
	}
	return nil
}
