package finding

import (
	"bufio"
	"cmp"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"os"
	"reflect"
	"slices"
	"sort"
)

// SpillThreshold is how many findings a List holds as Finding values; the
// next one moves them all to a spool file. A Finding with its strings
// costs some 400 bytes of heap that the collector scans; a spooled one
// about 90 bytes of file and 12 of heap.
const SpillThreshold = 20000

// spillAt is SpillThreshold unless a test lowers it.
var spillAt = SpillThreshold

// SetSpillThresholdForTest sets the threshold of the Lists made from now
// on (n <= 0: the default) and returns the previous one. Only tests call
// it, to take the spool path with a few findings.
func SetSpillThresholdForTest(n int) int {
	old := spillAt
	if n <= 0 {
		n = SpillThreshold
	}
	spillAt = n
	return old
}

// List is an ordered list of findings, as a scan, the post-scan chain and
// the writers pass them on. Up to SpillThreshold findings it is a slice of
// Finding values; beyond, its findings leave the Go heap: each is encoded
// in a compact record (strings that repeat — rule ids, descriptions,
// paths, tags, commits — stand in a table, a fingerprint that
// MakeFingerprint gives is recomputed) and written to a 0600 file in a
// 0700 temporary folder, which Close removes. The file holds raw secrets:
// every List must be closed, also on error.
//
// A List is read in order with Each, as many times as needed; its
// findings are given as values made for the call, so a reader may keep
// one only by copying it. A List is not safe for concurrent use.
type List struct {
	mem   []Finding
	sp    *spool
	limit int
	// view, when set, is applied to each finding read (a redacting copy).
	view func(*Finding)
	err  error
}

// NewList returns an empty list.
func NewList() *List { return &List{limit: spillAt} }

// ListOf returns a list of fs (not copied; fs must not be changed while
// the list is used). It never spills.
func ListOf(fs []Finding) *List { return &List{mem: fs, limit: -1} }

// Len is the number of findings.
func (l *List) Len() int {
	if l == nil {
		return 0
	}
	if l.sp != nil {
		return len(l.sp.offsets)
	}
	return len(l.mem)
}

// Spilled reports whether the findings are in a spool file.
func (l *List) Spilled() bool { return l != nil && l.sp != nil }

// SpoolPath is the spool file's path ("" when in memory), for tests.
func (l *List) SpoolPath() string {
	if l == nil || l.sp == nil {
		return ""
	}
	return l.sp.f.Name()
}

// Err is the first error reading or writing the spool.
func (l *List) Err() error { return l.err }

// Append adds a copy of f.
func (l *List) Append(f *Finding) error {
	if l.err != nil {
		return l.err
	}
	if l.sp == nil {
		if l.limit < 0 || len(l.mem) < l.limit {
			l.mem = append(l.mem, *f)
			return nil
		}
		if err := l.spill(); err != nil {
			return err
		}
	}
	if err := l.sp.append(f); err != nil {
		l.err = err
	}
	return l.err
}

// Grow makes room for n more findings, as far as they stay in memory.
func (l *List) Grow(n int) {
	if l.sp == nil && l.limit >= 0 {
		n = min(n, l.limit-len(l.mem))
	}
	if l.sp == nil && n > 0 {
		l.mem = slices.Grow(l.mem, n)
	}
}

// spill moves the findings held in memory to a new spool.
func (l *List) spill() error {
	sp, err := newSpool()
	if err != nil {
		l.err = err
		return err
	}
	for i := range l.mem {
		if err := sp.append(&l.mem[i]); err != nil {
			sp.close()
			l.err = err
			return err
		}
	}
	for i := range l.mem {
		if m := l.mem[i].Related; m != nil {
			sp.setRelated(i, m)
		}
	}
	l.mem = nil
	l.sp = sp
	return nil
}

// SetRelated sets the companions (Finding.Related) of finding i.
func (l *List) SetRelated(i int, related map[string]string) {
	if l.sp != nil {
		l.sp.setRelated(i, related)
		return
	}
	l.mem[i].Related = related
}

// Each calls fn with each finding in order until fn returns an error,
// which it returns, or an error reading the spool.
func (l *List) Each(fn func(i int, f *Finding) error) error {
	if l == nil {
		return nil
	}
	if l.err != nil {
		return l.err
	}
	if l.sp == nil {
		for i := range l.mem {
			f := l.mem[i]
			if l.view != nil {
				l.view(&f)
			}
			if err := fn(i, &f); err != nil {
				return err
			}
		}
		return nil
	}
	return l.sp.each(func(i int, f *Finding) error {
		if l.view != nil {
			l.view(f)
		}
		return fn(i, f)
	})
}

// Slice returns the findings as one slice: the list's own for a list in
// memory without a view, else copies. Only for consumers that need every
// finding at once (a template, the HTML page, the sweep's store).
func (l *List) Slice() ([]Finding, error) {
	if l == nil {
		return nil, nil
	}
	if l.sp == nil && l.view == nil {
		return l.mem, l.err
	}
	out := make([]Finding, 0, l.Len())
	err := l.Each(func(_ int, f *Finding) error {
		out = append(out, *f)
		return nil
	})
	return out, err
}

// View returns a list that reads as l with fn applied to each finding (l
// itself is not changed; closing the view closes l).
func (l *List) View(fn func(*Finding)) *List {
	v := *l
	if prev := l.view; prev != nil {
		v.view = func(f *Finding) { prev(f); fn(f) }
	} else {
		v.view = fn
	}
	return &v
}

// Close removes the spool file, if any. It is safe to call more than once.
func (l *List) Close() error {
	if l == nil || l.sp == nil {
		return nil
	}
	err := l.sp.close()
	l.sp = nil
	l.mem = nil
	if l.err == nil {
		l.err = errors.New("finding list: used after Close")
	}
	return err
}

// Filter returns a new list of the findings keep accepts (it may modify
// them: the new list holds them as modified). l is left as it was.
func (l *List) Filter(keep func(i int, f *Finding) bool) (*List, error) {
	out := NewList()
	if l.sp == nil && l.limit < 0 {
		out.limit = -1 // a list that never spills gives one
	}
	err := l.Each(func(i int, f *Finding) error {
		if keep(i, f) {
			return out.Append(f)
		}
		return nil
	})
	if err != nil {
		out.Close()
		return nil, err
	}
	return out, nil
}

// Concat appends every finding of m to l.
func (l *List) Concat(m *List) error {
	if m.sp == nil && m.view == nil && l.sp == nil && (l.limit < 0 || len(l.mem)+len(m.mem) <= l.limit) {
		if len(l.mem) == 0 {
			l.mem = m.mem
			return nil
		}
		l.mem = append(l.mem, m.mem...)
		return nil
	}
	return m.Each(func(_ int, f *Finding) error { return l.Append(f) })
}

// Sort puts the list in Compare's order (stable).
func (l *List) Sort() error {
	if l.sp == nil {
		Sort(l.mem)
		return nil
	}
	return l.sp.sortAndGroup(false)
}

// Group is the list's Group: it must be sorted.
func (l *List) Group() error {
	if l.sp == nil {
		l.mem = Group(l.mem)
		return nil
	}
	return l.sp.sortAndGroup(true)
}

// ---- the spool ----

// spool holds encoded findings in a file: a record each, strings that
// repeat as numbers in strs. Related maps (shared between the findings of
// one content) stay in memory, by number.
type spool struct {
	dir     string
	f       *os.File
	w       *bufio.Writer
	end     int64
	offsets []int64
	rel     []uint32
	buf     []byte
	strs    []string
	strIDs  map[string]uint32
	lists   [][]string
	listIDs map[string]uint32
	maps    []map[string]string
	mapIDs  map[uintptr]uint32
}

func newSpool() (*spool, error) {
	dir, err := os.MkdirTemp("", "achilles-findings-")
	if err != nil {
		return nil, fmt.Errorf("finding spool: %w", err)
	}
	f, err := os.OpenFile(dir+string(os.PathSeparator)+"findings", os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("finding spool: %w", err)
	}
	spools.add(dir)
	return &spool{dir: dir, f: f, w: bufio.NewWriterSize(f, 256<<10), strs: []string{""}, strIDs: map[string]uint32{"": 0},
		lists: [][]string{nil}, listIDs: map[string]uint32{}, maps: []map[string]string{nil}, mapIDs: map[uintptr]uint32{}}, nil
}

func (s *spool) close() error {
	if s.f == nil {
		return nil
	}
	err := s.f.Close()
	if rerr := os.RemoveAll(s.dir); err == nil {
		err = rerr
	}
	spools.remove(s.dir)
	s.f = nil
	return err
}

func (s *spool) str(v string) uint32 {
	if id, ok := s.strIDs[v]; ok {
		return id
	}
	id := uint32(len(s.strs))
	s.strs = append(s.strs, v)
	s.strIDs[v] = id
	return id
}

func (s *spool) list(v []string) uint32 {
	if v == nil {
		return 0
	}
	key := fmt.Sprintf("%d:%q", len(v), v)
	if id, ok := s.listIDs[key]; ok {
		return id
	}
	id := uint32(len(s.lists))
	s.lists = append(s.lists, v)
	s.listIDs[key] = id
	return id
}

func (s *spool) setRelated(i int, m map[string]string) {
	for len(s.rel) <= i {
		s.rel = append(s.rel, 0)
	}
	if m == nil {
		s.rel[i] = 0
		return
	}
	p := reflect.ValueOf(m).Pointer()
	id, ok := s.mapIDs[p]
	if !ok {
		id = uint32(len(s.maps))
		s.maps = append(s.maps, m)
		s.mapIDs[p] = id
	}
	s.rel[i] = id
}

func (s *spool) append(f *Finding) error {
	s.buf = s.encode(s.buf[:0], f)
	s.offsets = append(s.offsets, s.end)
	if _, err := s.w.Write(s.buf); err != nil {
		return fmt.Errorf("finding spool: %w", err)
	}
	s.end += int64(len(s.buf))
	if f.Related != nil {
		s.setRelated(len(s.offsets)-1, f.Related)
	}
	return nil
}

func (s *spool) related(i int) map[string]string {
	if i < len(s.rel) {
		return s.maps[s.rel[i]]
	}
	return nil
}

func (s *spool) flush() error {
	if err := s.w.Flush(); err != nil {
		return fmt.Errorf("finding spool: %w", err)
	}
	return nil
}

func (s *spool) each(fn func(i int, f *Finding) error) error {
	if err := s.flush(); err != nil {
		return err
	}
	r := bufio.NewReaderSize(io.NewSectionReader(s.f, 0, s.end), 256<<10)
	var buf []byte
	for i := range s.offsets {
		end := s.end
		if i+1 < len(s.offsets) {
			end = s.offsets[i+1]
		}
		n := int(end - s.offsets[i])
		buf = slices.Grow(buf[:0], n)[:n]
		if _, err := io.ReadFull(r, buf); err != nil {
			return fmt.Errorf("finding spool: %w", err)
		}
		var f Finding
		if err := s.decode(buf, &f); err != nil {
			return err
		}
		f.Related = s.related(i)
		if err := fn(i, &f); err != nil {
			return err
		}
	}
	return nil
}

// at reads finding i.
func (s *spool) at(i int, buf []byte) (Finding, []byte, error) {
	end := s.end
	if i+1 < len(s.offsets) {
		end = s.offsets[i+1]
	}
	n := int(end - s.offsets[i])
	buf = slices.Grow(buf[:0], n)[:n]
	var f Finding
	if _, err := s.f.ReadAt(buf, s.offsets[i]); err != nil {
		return f, buf, fmt.Errorf("finding spool: %w", err)
	}
	err := s.decode(buf, &f)
	f.Related = s.related(i)
	return f, buf, err
}

// sortAndGroup sorts the spool in Compare's order (stable) and, with
// group, merges as Group does, then rewrites it if anything changed.
// Keys hold the table numbers of path and rule, put in string order, and
// line and column; ties are read back from the file.
func (s *spool) sortAndGroup(group bool) error {
	if err := s.flush(); err != nil {
		return err
	}
	rank := s.ranks()
	type key struct {
		path, rule   uint32
		line, column int
		idx          int32
		h            uint64
	}
	keys := make([]key, len(s.offsets))
	seed := maphash.MakeSeed()
	err := s.each(func(i int, f *Finding) error {
		k := key{path: rank[s.strIDs[f.Path]], rule: rank[s.strIDs[f.RuleID]], line: f.Line, column: f.Column, idx: int32(i)}
		if group {
			var h maphash.Hash
			h.SetSeed(seed)
			h.WriteString(f.Secret)
			h.WriteByte(0)
			h.WriteString(f.OriginID())
			k.h = h.Sum64()
		}
		keys[i] = k
		return nil
	})
	if err != nil {
		return err
	}
	var rerr error
	var ba, bb []byte
	tie := func(a, b int32) int {
		var fa, fb Finding
		var err error
		if fa, ba, err = s.at(int(a), ba); err == nil {
			fb, bb, err = s.at(int(b), bb)
		}
		if err != nil {
			rerr = err
			return 0
		}
		return Compare(&fa, &fb)
	}
	byOrder := func(a, b key) int {
		if c := cmp.Compare(a.path, b.path); c != 0 {
			return c
		}
		if c := cmp.Compare(a.line, b.line); c != 0 {
			return c
		}
		if c := cmp.Compare(a.column, b.column); c != 0 {
			return c
		}
		if c := cmp.Compare(a.rule, b.rule); c != 0 {
			return c
		}
		return tie(a.idx, b.idx)
	}
	order := keys
	if !slices.IsSortedFunc(keys, byOrder) {
		order = slices.Clone(keys)
		slices.SortStableFunc(order, byOrder)
	}
	if rerr != nil {
		return rerr
	}
	changed := &order[0] != &keys[0]
	// Group: within one path, findings of one rule, secret and origin
	// merge into the first in order.
	var locations map[int32][]Position
	var drop []bool
	if group {
		pos := make([]int32, len(order)) // position in order of each record
		for p, k := range order {
			pos[k.idx] = int32(p)
		}
		byGroup := slices.Clone(order)
		slices.SortFunc(byGroup, func(a, b key) int {
			return cmp.Or(cmp.Compare(a.path, b.path), cmp.Compare(a.rule, b.rule), cmp.Compare(a.h, b.h), cmp.Compare(pos[a.idx], pos[b.idx]))
		})
		for a := 0; a < len(byGroup); {
			b := a + 1
			for b < len(byGroup) && byGroup[b].path == byGroup[a].path && byGroup[b].rule == byGroup[a].rule && byGroup[b].h == byGroup[a].h {
				b++
			}
			if b-a > 1 {
				if drop == nil {
					drop = make([]bool, len(s.offsets))
					locations = map[int32][]Position{}
				}
				// Equal hashes: read them and merge those truly equal.
				fs := make([]Finding, b-a)
				for j := range fs {
					var err error
					if fs[j], ba, err = s.at(int(byGroup[a+j].idx), ba); err != nil {
						return err
					}
				}
				used := make([]bool, len(fs))
				for j := range fs {
					if used[j] {
						continue
					}
					var members []int
					for k := j; k < len(fs); k++ {
						if !used[k] && fs[k].Secret == fs[j].Secret && fs[k].OriginID() == fs[j].OriginID() {
							used[k] = true
							members = append(members, k)
						}
					}
					if len(members) < 2 {
						continue
					}
					first := byGroup[a+members[0]].idx
					ps := make([]Position, 0, len(members))
					for _, k := range members {
						ps = append(ps, Position{Line: fs[k].Line, Column: fs[k].Column})
						if byGroup[a+k].idx != first {
							drop[byGroup[a+k].idx] = true
						}
					}
					locations[first] = ps
					changed = true
				}
			}
			a = b
		}
	}
	if !changed {
		return nil
	}
	// Rewrite in order into a new spool sharing the tables.
	ns, err := newSpool()
	if err != nil {
		return err
	}
	ns.strs, ns.strIDs, ns.lists, ns.listIDs, ns.maps, ns.mapIDs = s.strs, s.strIDs, s.lists, s.listIDs, s.maps, s.mapIDs
	for _, k := range order {
		if drop != nil && drop[k.idx] {
			continue
		}
		var f Finding
		var err error
		if f, ba, err = s.at(int(k.idx), ba); err == nil {
			if ps, ok := locations[k.idx]; ok {
				f.Locations = ps
			}
			err = ns.append(&f)
		}
		if err != nil {
			ns.close()
			return err
		}
	}
	if err := ns.flush(); err != nil {
		ns.close()
		return err
	}
	old := *s
	*s = *ns
	return old.close()
}

// ranks gives each string of the table its rank in string order.
func (s *spool) ranks() []uint32 {
	idx := make([]uint32, len(s.strs))
	for i := range idx {
		idx[i] = uint32(i)
	}
	sort.Slice(idx, func(a, b int) bool { return s.strs[idx[a]] < s.strs[idx[b]] })
	rank := make([]uint32, len(s.strs))
	for r, i := range idx {
		rank[i] = uint32(r)
	}
	return rank
}
