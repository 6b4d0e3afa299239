package report

import (
	"hash/maphash"
	"slices"
	"strings"

	"github.com/achilles-sec/achilles/scanner/finding"
)

// secretSet holds every secret of a report, to hide each wherever it
// appears (RedactList). A report can hold a million different secrets:
// they sit in one byte arena, found through an open-addressing table of
// offsets, with no string or map entry of their own; strings.Replacer
// built over a million pairs costs gigabytes.
type secretSet struct {
	seed  maphash.Seed
	arena []byte
	// table holds, per slot, 1 + the offset in arena of a secret's
	// length-prefixed bytes; 0 is an empty slot.
	table []uint32
	n     int
	// lengths lists the lengths present, longest first; first marks the
	// bytes a secret starts with.
	lengths []int
	first   [256]bool
}

func newSecretSet() *secretSet {
	return &secretSet{seed: maphash.MakeSeed(), table: make([]uint32, 64)}
}

func (s *secretSet) slot(v string) (int, bool) {
	mask := len(s.table) - 1
	i := int(maphash.String(s.seed, v)) & mask
	for {
		o := s.table[i]
		if o == 0 {
			return i, false
		}
		if string(s.at(o-1)) == v {
			return i, true
		}
		i = (i + 1) & mask
	}
}

// at is the secret whose length prefix is at offset o (the arena's bytes:
// compared as a string without a copy).
func (s *secretSet) at(o uint32) []byte {
	n, k := 0, 0
	for shift := 0; ; shift += 7 {
		b := s.arena[int(o)+k]
		k++
		n |= int(b&0x7f) << shift
		if b < 0x80 {
			break
		}
	}
	start := int(o) + k
	return s.arena[start : start+n]
}

func (s *secretSet) add(v string) {
	if 2*(s.n+1) > len(s.table) {
		s.rehash()
	}
	if i, ok := s.slot(v); !ok {
		s.insert(i, v)
	}
}

func (s *secretSet) insert(i int, v string) {
	o := uint32(len(s.arena))
	for n := uint(len(v)); ; n >>= 7 {
		if n < 0x80 {
			s.arena = append(s.arena, byte(n))
			break
		}
		s.arena = append(s.arena, byte(n)|0x80)
	}
	s.arena = append(s.arena, v...)
	s.table[i] = o + 1
	s.n++
	s.first[v[0]] = true
	if !slices.Contains(s.lengths, len(v)) {
		s.lengths = append(s.lengths, len(v))
		slices.SortFunc(s.lengths, func(a, b int) int { return b - a })
	}
}

func (s *secretSet) rehash() {
	old := s.table
	s.table = make([]uint32, 2*len(old))
	mask := len(s.table) - 1
	for _, o := range old {
		if o == 0 {
			continue
		}
		i := int(maphash.Bytes(s.seed, s.at(o-1))) & mask
		for s.table[i] != 0 {
			i = (i + 1) & mask
		}
		s.table[i] = o
	}
}

func (s *secretSet) has(v string) bool {
	_, ok := s.slot(v)
	return ok
}

// replace hides every secret of the set in text as strings.Replacer over
// the pairs (secret, finding.Redact(secret)), longest first, would: at
// each place from the left, the longest secret that starts there is
// replaced and the scan goes on after it.
func (s *secretSet) replace(text string) string {
	if s.n == 0 {
		return text
	}
	var b strings.Builder
	last := 0
	for i := 0; i < len(text); {
		if !s.first[text[i]] {
			i++
			continue
		}
		hit := 0
		for _, n := range s.lengths {
			if i+n <= len(text) && s.has(text[i:i+n]) {
				hit = n
				break
			}
		}
		if hit == 0 {
			i++
			continue
		}
		if last == 0 && b.Len() == 0 {
			b.Grow(len(text))
		}
		b.WriteString(text[last:i])
		b.WriteString(finding.Redact(text[i : i+hit]))
		i += hit
		last = i
	}
	if last == 0 {
		return text
	}
	b.WriteString(text[last:])
	return b.String()
}
