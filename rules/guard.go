package rules

import (
	"regexp/syntax"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// A guard is what every text a pattern matches must have, derived from the
// parsed regex: a literal it starts or ends with, or the bytes it is made
// of when the regex is anchored at both ends. A text without it cannot
// match, so the pattern is neither compiled nor run: the catalogue's
// allowlists are consulted for every finding, and compiling their
// bounded-repeat regexes is most of what a first finding costs.
type guard struct {
	prefix, suffix string
	// only, when set, holds byte sets one of which holds every byte of a
	// matching text (one set per branch of an anchored alternation:
	// `^(?:a+|b+)$` matches a run of one byte, not any mix).
	only []byteSet
}

// byteSet is a set of bytes, one bit each.
type byteSet [4]uint64

func (s *byteSet) add(b byte)      { s[b>>6] |= 1 << (b & 63) }
func (s *byteSet) has(b byte) bool { return s[b>>6]&(1<<(b&63)) != 0 }

// within reports whether every byte of s is in t.
func (s *byteSet) within(t byteSet) bool {
	return s[0]&^t[0]|s[1]&^t[1]|s[2]&^t[2]|s[3]&^t[3] == 0
}
func (s *byteSet) addRange(lo, hi byte) {
	for b := int(lo); b <= int(hi); b++ {
		s.add(byte(b))
	}
}

// addRune adds the bytes of r's UTF-8 form; any non-ASCII rune adds every
// byte from 0x80 up (the set is of bytes, not runes).
func (s *byteSet) addRune(r rune) {
	if r < utf8.RuneSelf {
		s.add(byte(r))
		return
	}
	s.addRange(0x80, 0xff)
}

// allows reports whether s may match a pattern the guard belongs to.
func (g *guard) allows(s string) bool {
	if !strings.HasPrefix(s, g.prefix) || !strings.HasSuffix(s, g.suffix) {
		return false
	}
	if g.only != nil {
		var have byteSet
		for i := 0; i < len(s); i++ {
			have.add(s[i])
		}
		return slices.ContainsFunc(g.only, have.within)
	}
	return true
}

// guardOf derives the guard of a regex as regexp.Compile parses it; the
// zero guard (nothing known) when it does not parse or holds nothing to go
// by.
func guardOf(src string) guard {
	re, err := syntax.Parse(src, syntax.Perl)
	if err != nil {
		return guard{}
	}
	var g guard
	if re.Op == syntax.OpConcat && len(re.Sub) > 0 {
		subs := re.Sub
		if subs[0].Op == syntax.OpBeginText {
			g.prefix = literalRun(subs[1:], false)
		}
		if subs[len(subs)-1].Op == syntax.OpEndText {
			g.suffix = literalRun(subs[:len(subs)-1], true)
		}
	}
	if sets, ok := anchoredSets(re); ok && len(sets) <= maxGuardSets {
		g.only = sets
	}
	return g
}

// literalRun is the case-sensitive literal text that subs start with (or,
// backwards, end with).
func literalRun(subs []*syntax.Regexp, backwards bool) string {
	var b strings.Builder
	var run []string
	for i := range subs {
		sub := subs[i]
		if backwards {
			sub = subs[len(subs)-1-i]
		}
		if sub.Op != syntax.OpLiteral || sub.Flags&syntax.FoldCase != 0 {
			break
		}
		run = append(run, string(sub.Rune))
	}
	if backwards {
		for i := len(run) - 1; i >= 0; i-- {
			b.WriteString(run[i])
		}
	} else {
		for _, s := range run {
			b.WriteString(s)
		}
	}
	return b.String()
}

// maxGuardSets bounds the byte sets of a guard (one per branch).
const maxGuardSets = 128

// anchoredSets reports whether re matches only whole texts (anchored at
// the start and the end of the text), and byte sets one of which holds
// every byte of any such text.
func anchoredSets(re *syntax.Regexp) ([]byteSet, bool) {
	switch re.Op {
	case syntax.OpCapture:
		return anchoredSets(re.Sub[0])
	case syntax.OpAlternate:
		var out []byteSet
		for _, sub := range re.Sub {
			sets, ok := anchoredSets(sub)
			if !ok {
				return nil, false
			}
			out = append(out, sets...)
		}
		return out, true
	case syntax.OpConcat:
		n := len(re.Sub)
		if n < 2 || re.Sub[0].Op != syntax.OpBeginText || re.Sub[n-1].Op != syntax.OpEndText {
			return nil, false
		}
		if n == 3 {
			return branchSets(re.Sub[1])
		}
		var set byteSet
		for _, sub := range re.Sub[1 : n-1] {
			if !textBytes(sub, &set) {
				return nil, false
			}
		}
		return []byteSet{set}, true
	}
	return nil, false
}

// branchSets is a set per branch of re when it is an alternation (of
// alternations), else the one set of its bytes.
func branchSets(re *syntax.Regexp) ([]byteSet, bool) {
	for re.Op == syntax.OpCapture {
		re = re.Sub[0]
	}
	if re.Op == syntax.OpAlternate {
		var out []byteSet
		for _, sub := range re.Sub {
			sets, ok := branchSets(sub)
			if !ok {
				return nil, false
			}
			out = append(out, sets...)
		}
		return out, true
	}
	var set byteSet
	if !textBytes(re, &set) {
		return nil, false
	}
	return []byteSet{set}, true
}

// textBytes adds to set every byte a match of re can hold; false when re
// holds something this does not follow.
func textBytes(re *syntax.Regexp, set *byteSet) bool {
	switch re.Op {
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText,
		syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return true
	case syntax.OpLiteral:
		for _, r := range re.Rune {
			set.addRune(r)
			if re.Flags&syntax.FoldCase != 0 {
				for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
					set.addRune(f)
				}
			}
		}
		return true
	case syntax.OpCharClass:
		for i := 0; i+1 < len(re.Rune); i += 2 {
			lo, hi := re.Rune[i], re.Rune[i+1]
			if lo < utf8.RuneSelf {
				set.addRange(byte(lo), byte(min(hi, utf8.RuneSelf-1)))
			}
			if hi >= utf8.RuneSelf {
				set.addRange(0x80, 0xff)
			}
		}
		return true
	case syntax.OpAnyCharNotNL:
		set.addRange(0, '\n'-1)
		set.addRange('\n'+1, 0xff)
		return true
	case syntax.OpAnyChar:
		set.addRange(0, 0xff)
		return true
	case syntax.OpCapture, syntax.OpStar, syntax.OpPlus, syntax.OpQuest, syntax.OpRepeat, syntax.OpConcat, syntax.OpAlternate:
		for _, sub := range re.Sub {
			if !textBytes(sub, set) {
				return false
			}
		}
		return true
	}
	return false
}
