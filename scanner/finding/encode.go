package finding

import (
	"encoding/binary"
	"errors"
	"math"
	"os"
	"sync"
)

// spools lists the spool folders that exist, so that a process cut short
// (an interrupt) can remove them: RemoveSpools.
var spools = spoolSet{dirs: map[string]bool{}}

type spoolSet struct {
	mu   sync.Mutex
	dirs map[string]bool
}

func (s *spoolSet) add(dir string) {
	s.mu.Lock()
	s.dirs[dir] = true
	s.mu.Unlock()
}

func (s *spoolSet) remove(dir string) {
	s.mu.Lock()
	delete(s.dirs, dir)
	s.mu.Unlock()
}

// RemoveSpools removes every spool file of the process that was not
// closed yet: what a command runs on its way out, whatever stopped it.
func RemoveSpools() {
	spools.mu.Lock()
	defer spools.mu.Unlock()
	for dir := range spools.dirs {
		os.RemoveAll(dir)
		delete(spools.dirs, dir)
	}
}

// Flags of a record.
const (
	recFingerprint    = 1 << iota // the fingerprint is written (not MakeFingerprint's)
	recChecksumFailed             // ChecksumFailed
	recGit                        // a GitOrigin follows
	recImage                      // an ImageOrigin follows
	recItem                       // an ItemOrigin follows
	recVerification               // a Verification follows
	recAnalysis                   // an Analysis follows
	recLocations                  // Locations follow (possibly empty, not nil)
)

// Flags of a git origin.
const (
	gitPresentKnown = 1 << iota
	gitPresent
)

var errRecord = errors.New("finding spool: corrupt record")

type enc struct {
	s *spool
	b []byte
}

func (e *enc) u(v uint64)    { e.b = binary.AppendUvarint(e.b, v) }
func (e *enc) i(v int)       { e.b = binary.AppendVarint(e.b, int64(v)) }
func (e *enc) ref(v string)  { e.u(uint64(e.s.str(v))) }
func (e *enc) text(v string) { e.u(uint64(len(v))); e.b = append(e.b, v...) }
func (e *enc) strs(v []string) {
	if v == nil {
		e.u(0)
		return
	}
	e.u(uint64(len(v)) + 1)
	for _, x := range v {
		e.text(x)
	}
}

// encode appends f's record (Related aside: the spool keeps it).
func (s *spool) encode(b []byte, f *Finding) []byte {
	e := &enc{s: s, b: b}
	flags := uint64(0)
	if f.Fingerprint != MakeFingerprint(f.RuleID, f.Secret, f.Path) {
		flags |= recFingerprint
	}
	if f.ChecksumFailed {
		flags |= recChecksumFailed
	}
	if f.Git != nil {
		flags |= recGit
	}
	if f.Image != nil {
		flags |= recImage
	}
	if f.Item != nil {
		flags |= recItem
	}
	if f.Verification != nil {
		flags |= recVerification
	}
	if f.Analysis != nil {
		flags |= recAnalysis
	}
	if f.Locations != nil {
		flags |= recLocations
	}
	e.u(flags)
	e.ref(f.RuleID)
	e.ref(f.Description)
	e.ref(f.Confidence)
	e.u(uint64(s.list(f.Tags)))
	e.ref(string(f.Kind))
	e.ref(f.Path)
	e.i(f.Line)
	e.i(f.Column)
	e.text(f.Secret)
	e.text(f.Match)
	e.b = binary.LittleEndian.AppendUint64(e.b, math.Float64bits(f.Entropy))
	if flags&recFingerprint != 0 {
		e.text(f.Fingerprint)
	}
	if g := f.Git; g != nil {
		gf := uint64(0)
		if g.StillPresent != nil {
			gf |= gitPresentKnown
			if *g.StillPresent {
				gf |= gitPresent
			}
		}
		e.u(gf)
		e.ref(g.Commit)
		e.ref(g.Author)
		e.ref(g.Email)
		e.ref(g.Date)
		e.ref(g.Message)
		e.i(g.IntroducedLine)
		e.ref(g.HiddenRef)
		e.ref(g.Repository)
	}
	if im := f.Image; im != nil {
		e.ref(im.Image)
		e.ref(im.Layer)
		e.ref(im.CreatedBy)
		if im.Removed {
			e.u(1)
		} else {
			e.u(0)
		}
	}
	if it := f.Item; it != nil {
		e.ref(it.Type)
		e.ref(it.URL)
		e.ref(it.Author)
		e.ref(it.Date)
	}
	if flags&recLocations != 0 {
		e.u(uint64(len(f.Locations)))
		for _, p := range f.Locations {
			e.i(p.Line)
			e.i(p.Column)
		}
	}
	e.u(uint64(s.list(f.Decoded)))
	if v := f.Verification; v != nil {
		e.text(v.Status)
		e.text(v.Reason)
		e.text(v.Identity)
		e.strs(v.Scopes)
		e.text(v.ExpiresAt)
		e.text(v.Kind)
		e.text(v.Verifier)
	}
	if a := f.Analysis; a != nil {
		e.text(a.Analyzer)
		e.text(a.Worst)
		e.text(a.Severity)
		e.text(a.Identity)
		e.text(a.Kind)
		e.strs(a.Scopes)
		e.text(a.ExpiresAt)
		if a.Resources == nil {
			e.u(0)
		} else {
			e.u(uint64(len(a.Resources)) + 1)
		}
		for _, r := range a.Resources {
			e.text(r.Kind)
			e.text(r.Name)
			e.strs(r.Permissions)
		}
		e.strs(a.Partial)
		e.text(a.Error)
	}
	return e.b
}

type dec struct {
	s   *spool
	b   []byte
	err bool
}

func (d *dec) u() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err, d.b = true, nil
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *dec) i() int {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.err, d.b = true, nil
		return 0
	}
	d.b = d.b[n:]
	return int(v)
}

func (d *dec) ref() string {
	id := d.u()
	if id >= uint64(len(d.s.strs)) {
		d.err = true
		return ""
	}
	return d.s.strs[id]
}

func (d *dec) list() []string {
	id := d.u()
	if id >= uint64(len(d.s.lists)) {
		d.err = true
		return nil
	}
	return d.s.lists[id]
}

func (d *dec) text() string {
	n := d.u()
	if n > uint64(len(d.b)) {
		d.err, d.b = true, nil
		return ""
	}
	v := string(d.b[:n])
	d.b = d.b[n:]
	return v
}

func (d *dec) strs() []string {
	n := d.u()
	if n == 0 {
		return nil
	}
	if n-1 > uint64(len(d.b)) {
		d.err, d.b = true, nil
		return nil
	}
	out := make([]string, n-1)
	for k := range out {
		out[k] = d.text()
	}
	return out
}

// decode reads a record written by encode.
func (s *spool) decode(b []byte, f *Finding) error {
	d := &dec{s: s, b: b}
	flags := d.u()
	f.RuleID = d.ref()
	f.Description = d.ref()
	f.Confidence = d.ref()
	f.Tags = d.list()
	f.Kind = Kind(d.ref())
	f.Path = d.ref()
	f.Line = d.i()
	f.Column = d.i()
	f.Secret = d.text()
	f.Match = d.text()
	if len(d.b) < 8 {
		return errRecord
	}
	f.Entropy = math.Float64frombits(binary.LittleEndian.Uint64(d.b))
	d.b = d.b[8:]
	if flags&recFingerprint != 0 {
		f.Fingerprint = d.text()
	} else {
		f.Fingerprint = MakeFingerprint(f.RuleID, f.Secret, f.Path)
	}
	f.ChecksumFailed = flags&recChecksumFailed != 0
	if flags&recGit != 0 {
		g := &GitOrigin{}
		gf := d.u()
		g.Commit = d.ref()
		g.Author = d.ref()
		g.Email = d.ref()
		g.Date = d.ref()
		g.Message = d.ref()
		g.IntroducedLine = d.i()
		g.HiddenRef = d.ref()
		g.Repository = d.ref()
		if gf&gitPresentKnown != 0 {
			p := gf&gitPresent != 0
			g.StillPresent = &p
		}
		f.Git = g
	}
	if flags&recImage != 0 {
		f.Image = &ImageOrigin{Image: d.ref(), Layer: d.ref(), CreatedBy: d.ref()}
		f.Image.Removed = d.u() == 1
	}
	if flags&recItem != 0 {
		f.Item = &ItemOrigin{Type: d.ref(), URL: d.ref(), Author: d.ref(), Date: d.ref()}
	}
	if flags&recLocations != 0 {
		n := d.u()
		if n > uint64(len(d.b)) {
			return errRecord
		}
		f.Locations = make([]Position, n)
		for k := range f.Locations {
			f.Locations[k] = Position{Line: d.i(), Column: d.i()}
		}
	}
	f.Decoded = d.list()
	if flags&recVerification != 0 {
		f.Verification = &Verification{Status: d.text(), Reason: d.text(), Identity: d.text(), Scopes: d.strs(),
			ExpiresAt: d.text(), Kind: d.text(), Verifier: d.text()}
	}
	if flags&recAnalysis != 0 {
		a := &Analysis{Analyzer: d.text(), Worst: d.text(), Severity: d.text(), Identity: d.text(), Kind: d.text(),
			Scopes: d.strs(), ExpiresAt: d.text()}
		if n := d.u(); n > 0 {
			if n-1 > uint64(len(d.b)) {
				return errRecord
			}
			a.Resources = make([]Resource, n-1)
			for k := range a.Resources {
				a.Resources[k] = Resource{Kind: d.text(), Name: d.text(), Permissions: d.strs()}
			}
		}
		a.Partial = d.strs()
		a.Error = d.text()
		f.Analysis = a
	}
	if d.err || len(d.b) != 0 {
		return errRecord
	}
	return nil
}
