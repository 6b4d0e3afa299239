package rules

import "regexp/syntax"

// Around is what a keyword's neighbours can be in any match of a rule: the
// bytes that may come just before the keyword's first byte and just after
// its last (nil: any). The engine checks a keyword hit against it before
// opening a window, so the "-" of a rule for dash-separated hex keys costs
// nothing in "--flag" or "a - b". A keyword at the very start or end of a
// match is not constrained on that side: its neighbour is outside the match.
type Around struct {
	Keyword       string
	Before, After *[256]bool
}

// Fits reports whether the hit of the keyword at data[start:end] can be
// part of a match; the ends of the buffer always fit.
func (a *Around) Fits(data []byte, start, end int) bool {
	if a.Before != nil && start > 0 && !a.Before[data[start-1]] {
		return false
	}
	return a.After == nil || end >= len(data) || a.After[data[end]]
}

// aroundOf derives the Around of each keyword that constrains a side
// enough to be worth a check. The analysis follows the regex's positions
// (each literal character or class is one): a keyword byte sits at some
// position whose class holds it, and its neighbour in the match is at a
// position that can precede or follow that one. Sets are unions over all
// such positions, so they never refuse a byte a match could have.
func aroundOf(re *syntax.Regexp, keywords []string) []Around {
	var out []Around
	for _, k := range keywords {
		if k == "" {
			continue
		}
		b := positionsOf(re, k[0])
		a := b
		if len(k) > 1 {
			a = positionsOf(re, k[len(k)-1])
		}
		r := Around{Keyword: k}
		if b.hasC && !b.cFirst && selective(&b.before) {
			set := b.before
			r.Before = &set
		}
		if a.hasC && !a.cLast && selective(&a.after) {
			set := a.after
			r.After = &set
		}
		if r.Before != nil || r.After != nil {
			out = append(out, r)
		}
	}
	return out
}

// selective: a set that refuses at least a quarter of the printable ASCII
// bytes is worth checking.
func selective(set *[256]bool) bool {
	refused := 0
	for c := ' '; c <= '~'; c++ {
		if !set[c] {
			refused++
		}
	}
	return refused >= 24
}

// posInfo summarises a regex node for the neighbours of one byte c (either
// case): whether the node can match empty, the bytes its matches can start
// and end with, whether it has a position holding c, the bytes that can
// come just before and after such a position inside the node, and whether
// such a position can be the node's first or last.
type posInfo struct {
	nullable      bool
	first, last   [256]bool
	hasC          bool
	before, after [256]bool
	cFirst, cLast bool
}

func union(a *[256]bool, b *[256]bool) {
	for i := range a {
		a[i] = a[i] || b[i]
	}
}

// holds reports whether a byte set holds c in either ASCII case.
func holds(set *[256]bool, c byte) bool {
	if set[c] {
		return true
	}
	if l := c | 0x20; l >= 'a' && l <= 'z' {
		return set[c^0x20]
	}
	return false
}

func positionsOf(re *syntax.Regexp, c byte) posInfo {
	var p posInfo
	switch re.Op {
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText,
		syntax.OpEndText, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		p.nullable = true
	case syntax.OpNoMatch:
	case syntax.OpLiteral:
		if len(re.Rune) == 0 {
			p.nullable = true
			break
		}
		sets := make([][256]bool, len(re.Rune))
		for i, r := range re.Rune {
			sub := &syntax.Regexp{Op: syntax.OpLiteral, Rune: []rune{r}, Flags: re.Flags}
			sets[i], _ = byteClass(sub)
		}
		p = sequence(sets, c)
	case syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		set, _ := byteClass(re)
		p = sequence([][256]bool{set}, c)
	case syntax.OpCapture:
		return positionsOf(re.Sub[0], c)
	case syntax.OpConcat:
		p.nullable = true
		for _, s := range re.Sub {
			p = concat(p, positionsOf(s, c))
		}
	case syntax.OpAlternate:
		for i, s := range re.Sub {
			q := positionsOf(s, c)
			if i == 0 {
				p = q
				continue
			}
			p.nullable = p.nullable || q.nullable
			union(&p.first, &q.first)
			union(&p.last, &q.last)
			union(&p.before, &q.before)
			union(&p.after, &q.after)
			p.hasC = p.hasC || q.hasC
			p.cFirst = p.cFirst || q.cFirst
			p.cLast = p.cLast || q.cLast
		}
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest, syntax.OpRepeat:
		max := -1
		switch re.Op {
		case syntax.OpQuest:
			max = 1
		case syntax.OpRepeat:
			max = re.Max
		}
		if max == 0 {
			p.nullable = true
			break
		}
		p = positionsOf(re.Sub[0], c)
		if re.Op == syntax.OpStar || re.Op == syntax.OpQuest || re.Op == syntax.OpRepeat && re.Min == 0 {
			p.nullable = true
		}
		if max != 1 {
			// One repetition after another: the last bytes of one meet the
			// first of the next.
			if p.cFirst {
				union(&p.before, &p.last)
			}
			if p.cLast {
				union(&p.after, &p.first)
			}
		}
	default:
		// Anything not understood: no constraint.
		for i := range p.first {
			p.first[i], p.last[i], p.before[i], p.after[i] = true, true, true, true
		}
		p.nullable, p.hasC, p.cFirst, p.cLast = true, true, true, true
	}
	return p
}

// sequence is the summary of a run of single-byte-set positions.
func sequence(sets [][256]bool, c byte) posInfo {
	var p posInfo
	p.first, p.last = sets[0], sets[len(sets)-1]
	for i := range sets {
		if !holds(&sets[i], c) {
			continue
		}
		p.hasC = true
		if i == 0 {
			p.cFirst = true
		} else {
			union(&p.before, &sets[i-1])
		}
		if i == len(sets)-1 {
			p.cLast = true
		} else {
			union(&p.after, &sets[i+1])
		}
	}
	return p
}

// concat is the summary of a followed by b.
func concat(a, b posInfo) posInfo {
	var p posInfo
	p.nullable = a.nullable && b.nullable
	p.first = a.first
	if a.nullable {
		union(&p.first, &b.first)
	}
	p.last = b.last
	if b.nullable {
		union(&p.last, &a.last)
	}
	p.hasC = a.hasC || b.hasC
	p.before, p.after = a.before, a.after
	union(&p.before, &b.before)
	union(&p.after, &b.after)
	if b.cFirst {
		union(&p.before, &a.last)
	}
	if a.cLast {
		union(&p.after, &b.first)
	}
	p.cFirst = a.cFirst || a.nullable && b.cFirst
	p.cLast = b.cLast || b.nullable && a.cLast
	return p
}
