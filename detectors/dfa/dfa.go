// Package dfa answers one question fast: can a regex match anywhere in a
// buffer? Go's regexp has no DFA, and on the windows the engine hands it the
// backtracker and the NFA cost time in proportion to the window's length
// times the program's size. Most windows hold no match, so the engine first
// asks this package, whose lazily built DFA reads each byte once.
//
// The language it decides is a superset of the regex's: empty-width
// assertions (\b, ^, $) are dropped, and any rune beyond ASCII is read as a
// run of bytes 0x80-0xFF. A "no" is therefore proof that the regex cannot
// match; a "yes" sends the window to the real regex.
package dfa

import (
	"errors"
	"math/bits"
	"regexp/syntax"
	"slices"
	"strconv"
	"unicode"
)

// byteSet is a set of bytes.
type byteSet [4]uint64

// add adds the bytes lo to hi (at most 255), a word at a time.
func (s *byteSet) add(lo, hi int) {
	hi = min(hi, 255)
	for lo <= hi {
		w, top := lo>>6, min(hi, lo|63)
		s[w] |= (^uint64(0) >> (63 - (top & 63))) &^ (1<<(lo&63) - 1)
		lo = top + 1
	}
}

func (s *byteSet) has(b byte) bool { return s[b>>6]&(1<<(b&63)) != 0 }

// nstate is a Thompson NFA state: it consumes one byte of its set and moves
// to out, or (no set) moves without input to out and out1 (-1: none). It
// holds no pointer, so that the garbage collector never scans the states.
type nstate struct {
	set       int32 // 1 + the index of its set in Prog.sets; 0: none
	out, out1 int
	match     bool
}

// Prog is a compiled prefilter. It is immutable; each goroutine asks through
// its own Matcher.
type Prog struct {
	states  []nstate
	sets    []byteSet // the distinct byte sets of the states
	start   int
	classes [256]uint8 // byte -> equivalence class
	reps    []byte     // class -> a byte of it
	// startSet is the closure of start: the consuming and matching NFA
	// states reached from it without input, which every DFA step adds
	// (the search is unanchored).
	startSet []int32
}

// maxNFAStates bounds the NFA; a bigger regex gets no prefilter (the
// largest default rule needs about 350 states).
const maxNFAStates = 5000

// ErrTooBig is returned for a regex whose NFA would exceed the bound.
var ErrTooBig = errors.New("dfa: regex too large for a prefilter")

// Compile builds a prefilter for re.
func Compile(re *syntax.Regexp) (*Prog, error) {
	c := &compiler{}
	f, err := c.build(re.Simplify())
	if err != nil {
		return nil, err
	}
	m := c.add(nstate{out: -1, out1: -1, match: true})
	c.patch(f.holes, m)
	p := &Prog{states: c.states, sets: c.order, start: f.start}
	p.computeClasses(c.order)
	_, p.startSet = p.closure(p.start, make([]uint32, len(p.states)), 1, nil, nil)
	return p, nil
}

// frag is a piece of NFA under construction: its entry state and the
// dangling exits to patch, as a list threaded through the exits themselves
// (each unpatched exit holds the next one), so that building allocates
// nothing per state but the states.
type frag struct {
	start int
	holes holes
}

// holes is a list of dangling exits: an exit is a state's index times two,
// plus one for out1 rather than out; -1 ends the list.
type holes struct{ head, tail int }

func hole(state int, alt bool) holes {
	h := state << 1
	if alt {
		h |= 1
	}
	return holes{h, h}
}

type compiler struct {
	states []nstate
	// sets holds each distinct byte set once: states share them, and the
	// byte classes are computed from them.
	sets  map[byteSet]int32 // set -> 1 + its index in order
	order []byteSet         // sets, in the order first made
}

func (c *compiler) add(s nstate) int {
	c.states = append(c.states, s)
	return len(c.states) - 1
}

// exit returns the field of exit h.
func (c *compiler) exit(h int) *int {
	if h&1 != 0 {
		return &c.states[h>>1].out1
	}
	return &c.states[h>>1].out
}

// join returns the list of a's exits then b's.
func (c *compiler) join(a, b holes) holes {
	if a.head < 0 {
		return b
	}
	if b.head < 0 {
		return a
	}
	*c.exit(a.tail) = b.head
	return holes{a.head, b.tail}
}

func (c *compiler) patch(hs holes, to int) {
	for h := hs.head; h >= 0; {
		e := c.exit(h)
		next := *e
		if h == hs.tail {
			next = -1
		}
		*e = to
		h = next
	}
}

func (c *compiler) byteFrag(set byteSet) frag {
	id := c.sets[set]
	if id == 0 {
		if c.sets == nil {
			c.sets = map[byteSet]int32{}
		}
		c.order = append(c.order, set)
		id = int32(len(c.order))
		c.sets[set] = id
	}
	s := c.add(nstate{set: id, out: -1, out1: -1})
	return frag{s, hole(s, false)}
}

func (c *compiler) empty() frag {
	s := c.add(nstate{out: -1, out1: -1})
	return frag{s, hole(s, false)}
}

func (c *compiler) concat(a, b frag) frag {
	c.patch(a.holes, b.start)
	return frag{a.start, b.holes}
}

func (c *compiler) alt(a, b frag) frag {
	s := c.add(nstate{out: a.start, out1: b.start})
	return frag{s, c.join(a.holes, b.holes)}
}

func (c *compiler) star(a frag) frag {
	s := c.add(nstate{out: a.start, out1: -1})
	c.patch(a.holes, s)
	return frag{s, hole(s, true)}
}

func (c *compiler) plus(a frag) frag {
	s := c.add(nstate{out: a.start, out1: -1})
	c.patch(a.holes, s)
	return frag{a.start, hole(s, true)}
}

func (c *compiler) quest(a frag) frag {
	s := c.add(nstate{out: a.start, out1: -1})
	return frag{s, c.join(hole(s, true), a.holes)}
}

// highRun is one or more bytes of 0x80-0xFF: a stand-in for any non-ASCII
// rune (and for invalid bytes, which Go's regexp reads as U+FFFD).
func (c *compiler) highRun() frag {
	var set byteSet
	set.add(0x80, 0xFF)
	return c.plus(c.byteFrag(set))
}

// runeSet turns rune ranges into a fragment: one byte of the ASCII part, or a
// run of high bytes when any rune is beyond ASCII.
func (c *compiler) runeSet(ranges []rune) frag {
	var set byteSet
	ascii, high := false, false
	for i := 0; i+1 < len(ranges); i += 2 {
		lo, hi := ranges[i], ranges[i+1]
		if lo < 0x80 {
			set.add(int(lo), int(min(hi, 0x7F)))
			ascii = true
		}
		if hi >= 0x80 {
			high = true
		}
	}
	return c.setFrag(set, ascii, high)
}

// setFrag is one byte of set (its ASCII part, when ascii), or a run of high
// bytes (when high), or either.
func (c *compiler) setFrag(set byteSet, ascii, high bool) frag {
	switch {
	case ascii && high:
		return c.alt(c.byteFrag(set), c.highRun())
	case high:
		return c.highRun()
	case ascii:
		return c.byteFrag(set)
	}
	// An empty class matches nothing: a byte state with an empty set.
	return c.byteFrag(byteSet{})
}

func (c *compiler) literalRune(r rune, fold bool) frag {
	if r >= 0x80 && !fold {
		// Exact UTF-8 bytes of a non-ASCII literal.
		var out frag
		for i, b := range []byte(string(r)) {
			var set byteSet
			set.add(int(b), int(b))
			f := c.byteFrag(set)
			if i == 0 {
				out = f
			} else {
				out = c.concat(out, f)
			}
		}
		return out
	}
	// The rune and, folding, its case orbit ("k" has the Kelvin sign in
	// it, so a folded ASCII letter may need the high run too).
	var set byteSet
	if r < 0x80 {
		set.add(int(r), int(r))
		high := false
		if l := r | 0x20; fold && l >= 'a' && l <= 'z' {
			set.add(int(r^0x20), int(r^0x20))
			high = l == 'k' || l == 's' // the Kelvin sign, the long s
		}
		return c.setFrag(set, true, high)
	}
	ascii, high := false, false
	f := r
	for {
		if f < 0x80 {
			set.add(int(f), int(f))
			ascii = true
		} else {
			high = true
		}
		if !fold {
			break
		}
		if f = unicode.SimpleFold(f); f == r {
			break
		}
	}
	return c.setFrag(set, ascii, high)
}

func (c *compiler) build(re *syntax.Regexp) (frag, error) {
	if len(c.states) > maxNFAStates {
		return frag{}, ErrTooBig
	}
	switch re.Op {
	case syntax.OpNoMatch:
		return c.byteFrag(byteSet{}), nil
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText,
		syntax.OpEndText, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return c.empty(), nil
	case syntax.OpLiteral:
		fold := re.Flags&syntax.FoldCase != 0
		var out frag
		for i, r := range re.Rune {
			f := c.literalRune(r, fold)
			if i == 0 {
				out = f
			} else {
				out = c.concat(out, f)
			}
		}
		if len(re.Rune) == 0 {
			return c.empty(), nil
		}
		return out, nil
	case syntax.OpCharClass:
		return c.runeSet(re.Rune), nil
	case syntax.OpAnyCharNotNL:
		return c.runeSet([]rune{0, '\n' - 1, '\n' + 1, unicode.MaxRune}), nil
	case syntax.OpAnyChar:
		return c.runeSet([]rune{0, unicode.MaxRune}), nil
	case syntax.OpCapture:
		return c.build(re.Sub[0])
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest:
		sub, err := c.build(re.Sub[0])
		if err != nil {
			return frag{}, err
		}
		switch re.Op {
		case syntax.OpStar:
			return c.star(sub), nil
		case syntax.OpPlus:
			return c.plus(sub), nil
		}
		return c.quest(sub), nil
	case syntax.OpRepeat:
		// Simplify leaves none; expand defensively.
		return c.build(expandRepeat(re))
	case syntax.OpConcat:
		if len(re.Sub) == 0 {
			return c.empty(), nil
		}
		return c.joinAll(re.Sub, c.concat)
	case syntax.OpAlternate:
		return c.joinAll(re.Sub, c.alt)
	}
	return frag{}, errors.New("dfa: unsupported regex operator " + strconv.Itoa(int(re.Op)))
}

// joinAll builds each of subs and combines the fragments left to right.
func (c *compiler) joinAll(subs []*syntax.Regexp, combine func(a, b frag) frag) (frag, error) {
	var out frag
	for i, s := range subs {
		f, err := c.build(s)
		if err != nil {
			return frag{}, err
		}
		if i == 0 {
			out = f
		} else {
			out = combine(out, f)
		}
	}
	return out, nil
}

func expandRepeat(re *syntax.Regexp) *syntax.Regexp {
	cp := *re
	cp.Op = syntax.OpConcat
	cp.Sub = nil
	for i := 0; i < re.Min; i++ {
		cp.Sub = append(cp.Sub, re.Sub[0])
	}
	switch {
	case re.Max == -1:
		cp.Sub = append(cp.Sub, &syntax.Regexp{Op: syntax.OpStar, Sub: []*syntax.Regexp{re.Sub[0]}})
	default:
		for i := re.Min; i < re.Max; i++ {
			cp.Sub = append(cp.Sub, &syntax.Regexp{Op: syntax.OpQuest, Sub: []*syntax.Regexp{re.Sub[0]}})
		}
	}
	return &cp
}

// closure appends to out the consuming and matching states reached from s
// without input, skipping states whose mark is gen and marking those it
// visits; stack is scratch. It returns both, grown.
func (p *Prog) closure(s int, mark []uint32, gen uint32, stack []int, out []int32) ([]int, []int32) {
	stack = append(stack[:0], s)
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if i < 0 || mark[i] == gen {
			continue
		}
		mark[i] = gen
		st := &p.states[i]
		if st.set != 0 || st.match {
			out = append(out, int32(i))
			continue
		}
		stack = append(stack, st.out1, st.out)
	}
	return stack, out
}

// computeClasses partitions the 256 bytes into classes no set splits, so
// a DFA row has one entry per class: each set in turn splits every class
// into its bytes in the set and those not, a word at a time. Classes are
// numbered in the order of their first byte; reps holds that byte.
func (p *Prog) computeClasses(sets []byteSet) {
	all := byteSet{^uint64(0), ^uint64(0), ^uint64(0), ^uint64(0)}
	parts := []byteSet{all}
	for _, s := range sets {
		for i, n := 0, len(parts); i < n; i++ {
			c := parts[i]
			in := byteSet{c[0] & s[0], c[1] & s[1], c[2] & s[2], c[3] & s[3]}
			out := byteSet{c[0] &^ s[0], c[1] &^ s[1], c[2] &^ s[2], c[3] &^ s[3]}
			if in.empty() || out.empty() {
				continue
			}
			parts[i] = in
			parts = append(parts, out)
		}
	}
	slices.SortFunc(parts, func(a, b byteSet) int { return a.first() - b.first() })
	p.reps = p.reps[:0]
	for k, c := range parts {
		p.reps = append(p.reps, byte(c.first()))
		for w, word := range c {
			for word != 0 {
				p.classes[w<<6|bits.TrailingZeros64(word)] = uint8(k)
				word &= word - 1
			}
		}
	}
}

func (s *byteSet) empty() bool { return s[0]|s[1]|s[2]|s[3] == 0 }

// first is the set's smallest byte; the set is not empty.
func (s *byteSet) first() int {
	for w, word := range s {
		if word != 0 {
			return w<<6 | bits.TrailingZeros64(word)
		}
	}
	return 256
}
