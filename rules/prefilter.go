package rules

import (
	"regexp/syntax"
	"unicode"
)

// A rule's regex runs only in windows around keyword hits, but Go's regexp
// engine costs time in proportion to the window's length times the size of
// the compiled program, and a counted repeat such as [A-Za-z0-9]{16,128} is
// compiled into 128 copies of its body. Most windows hold no match, so before
// the regex the engine asks two cheaper questions whose "no" proves there is
// no match: does the window hold a long enough run of the bytes a mandatory
// repeat consumes, and does a relaxed copy of the regex (Prefilter, which
// the engine runs as a DFA) match at all.

// ByteRun is a mandatory stretch of every match: at least Min consecutive
// bytes each in Class.
type ByteRun struct {
	Class [256]bool
	Min   int
}

// minRunLen is the shortest mandatory repeat worth a run check: shorter runs
// occur in almost any window.
const minRunLen = 8

// requiredRuns returns the runs every match holds: mandatory repeats of
// one character class, at least minRunLen long, in the unsimplified regex.
// A mandatory alternation whose every branch holds a run holds one too:
// the shortest of the branches' longest runs, in the union of their
// classes (an 84-character key or a 26-character id and a UUID: 26 of
// [A-Za-z0-9]).
func requiredRuns(re *syntax.Regexp) []ByteRun {
	var out []ByteRun
	walkMandatory(re, func(re *syntax.Regexp) bool {
		if re.Op == syntax.OpAlternate {
			if run, ok := alternateRun(re); ok {
				out = append(out, run)
			}
			return false
		}
		if re.Op != syntax.OpRepeat || re.Min < minRunLen {
			return true
		}
		class, ok := byteClass(re.Sub[0])
		if ok {
			out = append(out, ByteRun{Class: class, Min: re.Min})
		}
		return !ok
	})
	return out
}

// alternateRun is the run every branch of the alternation re holds, if
// each holds one at least minRunLen long.
func alternateRun(re *syntax.Regexp) (ByteRun, bool) {
	var run ByteRun
	for i, branch := range re.Sub {
		runs := requiredRuns(branch)
		if len(runs) == 0 {
			return ByteRun{}, false
		}
		longest := runs[0]
		for _, r := range runs[1:] {
			if r.Min > longest.Min {
				longest = r
			}
		}
		if i == 0 || longest.Min < run.Min {
			run.Min = longest.Min
		}
		for b, in := range longest.Class {
			run.Class[b] = run.Class[b] || in
		}
	}
	return run, run.Min >= minRunLen
}

// walkMandatory calls visit on each part of re that every match goes
// through: the top-level sequence, into capture groups, repeats with a
// minimum and their bodies. visit returns whether to look inside the part.
func walkMandatory(re *syntax.Regexp, visit func(*syntax.Regexp) bool) {
	if !visit(re) {
		return
	}
	switch re.Op {
	case syntax.OpCapture, syntax.OpPlus:
		walkMandatory(re.Sub[0], visit)
	case syntax.OpRepeat:
		if re.Min > 0 {
			walkMandatory(re.Sub[0], visit)
		}
	case syntax.OpConcat:
		for _, s := range re.Sub {
			walkMandatory(s, visit)
		}
	}
}

// byteClass returns the bytes a one-character regex can consume; a rune
// beyond ASCII counts as any byte of 0x80-0xFF (its UTF-8 encoding).
func byteClass(re *syntax.Regexp) (class [256]bool, ok bool) {
	mark := func(lo, hi rune) {
		for r := lo; r <= hi && r < 0x80; r++ {
			class[r] = true
		}
		if hi >= 0x80 {
			for b := 0x80; b < 0x100; b++ {
				class[b] = true
			}
		}
	}
	switch re.Op {
	case syntax.OpCharClass:
		for i := 0; i+1 < len(re.Rune); i += 2 {
			mark(re.Rune[i], re.Rune[i+1])
		}
		return class, true
	case syntax.OpAnyCharNotNL:
		mark(0, 0x10FFFF)
		class['\n'] = false
		return class, true
	case syntax.OpAnyChar:
		mark(0, 0x10FFFF)
		return class, true
	case syntax.OpLiteral:
		if len(re.Rune) != 1 {
			return class, false
		}
		r := re.Rune[0]
		mark(r, r)
		if re.Flags&syntax.FoldCase != 0 {
			// The whole folding orbit, as Go's regexp matches it: k
			// also matches the Kelvin sign, which is beyond ASCII.
			for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
				mark(f, f)
			}
		}
		return class, true
	}
	return class, false
}

// relaxCap is the largest repeat kept as written in the prefilter.
const relaxCap = 4

// prefilterRegex returns a regex that matches wherever re matches and is
// far smaller: counted repeats with a large bound become unbounded (keeping
// at most relaxCap mandatory copies) and groups do not capture.
func prefilterRegex(re *syntax.Regexp) *syntax.Regexp {
	// Nodes that nothing below changes are shared with re, not copied.
	var subs []*syntax.Regexp
	for i, s := range re.Sub {
		n := prefilterRegex(s)
		if n != s && subs == nil {
			subs = append(make([]*syntax.Regexp, 0, len(re.Sub)), re.Sub[:i]...)
		}
		if subs != nil {
			subs = append(subs, n)
		}
	}
	if subs == nil {
		subs = re.Sub
	}
	switch {
	case re.Op == syntax.OpCapture:
		return subs[0]
	case re.Op == syntax.OpRepeat && (re.Max == -1 || re.Max > relaxCap):
		out := *re
		out.Min, out.Max, out.Sub = min(re.Min, relaxCap), -1, subs
		return &out
	case len(subs) > 0 && &subs[0] != &re.Sub[0]:
		out := *re
		out.Sub = subs
		return &out
	}
	return re
}

// Lead says how every match of a rule that starts with its keyword begins:
// the leading literal (exactly, unless Fold) and the bytes that may come
// just before it (nil: any; the start of the buffer always may). The engine
// checks a keyword hit against it before opening a window, so "path" and
// "compat" cost nothing for a rule whose tokens start with "pat".
type Lead struct {
	Literal string
	Fold    bool
	Before  *[256]bool
}

// leadOf returns the Lead of a regex whose matches start with a literal,
// after at most one boundary: \b, (?m)^, or (?:^|[class]).
func leadOf(re *syntax.Regexp) (Lead, bool) {
	var boundary *syntax.Regexp
	for {
		switch re.Op {
		case syntax.OpCapture:
			re = re.Sub[0]
			continue
		case syntax.OpConcat:
			subs := re.Sub
			if len(subs) > 0 && isBoundary(subs[0]) {
				if boundary != nil {
					return Lead{}, false
				}
				boundary = subs[0]
				subs = subs[1:]
			}
			if len(subs) == 0 {
				return Lead{}, false
			}
			if len(subs) == 1 {
				re = subs[0]
				continue
			}
			re = subs[0]
			if re.Op == syntax.OpCapture || re.Op == syntax.OpConcat {
				continue
			}
		}
		break
	}
	if re.Op != syntax.OpLiteral || len(re.Rune) == 0 || !isASCII(string(re.Rune)) {
		return Lead{}, false
	}
	l := Lead{Literal: string(re.Rune), Fold: re.Flags&syntax.FoldCase != 0}
	if boundary != nil {
		l.Before = beforeSet(boundary, l.Literal[0])
	}
	return l, true
}

// beforeSet returns the bytes a boundary lets come before a literal
// starting with first, or nil for no constraint worth checking.
func beforeSet(b *syntax.Regexp, first byte) *[256]bool {
	var set [256]bool
	switch b.Op {
	case syntax.OpWordBoundary:
		if !isWordByte(first) {
			return nil
		}
		for c := 0; c < 256; c++ {
			set[c] = !isWordByte(byte(c))
		}
	case syntax.OpBeginLine:
		if b.Flags&syntax.WasDollar != 0 {
			return nil
		}
		set['\n'] = true
	case syntax.OpAlternate:
		for _, s := range b.Sub {
			switch s.Op {
			case syntax.OpBeginLine:
				set['\n'] = true
			case syntax.OpBeginText:
				// Only the start of the buffer, which always passes.
			case syntax.OpCharClass:
				class, _ := byteClass(s)
				for c := range set {
					set[c] = set[c] || class[c]
				}
			default:
				return nil
			}
		}
	default:
		return nil
	}
	return &set
}

func isWordByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}
