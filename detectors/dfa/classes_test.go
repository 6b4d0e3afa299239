package dfa

import (
	"math/rand"
	"regexp/syntax"
	"testing"
	"unicode"
)

// naiveClasses is the byte-at-a-time partition computeClasses must give:
// each set splits every class into its bytes in the set and those not,
// classes numbered in the order of their first byte.
func naiveClasses(sets []byteSet) (classes [256]uint8, reps []byte) {
	var cls [256]uint16
	for _, s := range sets {
		var ids [512]uint16
		next := uint16(0)
		for b := range 256 {
			k := cls[b] * 2
			if s[b>>6]&(1<<(b&63)) != 0 {
				k++
			}
			if ids[k] == 0 {
				next++
				ids[k] = next
			}
			cls[b] = ids[k] - 1
		}
	}
	for b := range 256 {
		c := uint8(cls[b])
		classes[b] = c
		if int(c) == len(reps) {
			reps = append(reps, byte(b))
		}
	}
	return classes, reps
}

func TestClassesAndSets(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	for i := 0; i < 2000; i++ {
		lo, hi := r.Intn(300), r.Intn(300)
		var got, want byteSet
		got.add(lo, hi)
		for b := lo; b <= hi && b < 256; b++ {
			want[b>>6] |= 1 << (b & 63)
		}
		if got != want {
			t.Fatalf("add(%d, %d) = %x, want %x", lo, hi, got, want)
		}
	}
	for i := 0; i < 300; i++ {
		sets := make([]byteSet, 1+r.Intn(40))
		for k := range sets {
			for n := r.Intn(4); n >= 0; n-- {
				lo := r.Intn(256)
				sets[k].add(lo, lo+r.Intn(40))
			}
		}
		var p Prog
		p.computeClasses(sets)
		classes, reps := naiveClasses(sets)
		if p.classes != classes || string(p.reps) != string(reps) {
			t.Fatalf("sets %v: classes %v reps %v, want %v %v", sets, p.classes, p.reps, classes, reps)
		}
	}
	// A folded ASCII literal is its case orbit, the Kelvin sign and the
	// long s included (as a run of high bytes).
	for r := rune(0); r < 0x80; r++ {
		for _, fold := range []bool{false, true} {
			var c compiler
			c.literalRune(r, fold)
			var ranges []rune
			for f := r; ; {
				ranges = append(ranges, f, f)
				if !fold {
					break
				}
				if f = unicode.SimpleFold(f); f == r {
					break
				}
			}
			var ref compiler
			ref.runeSet(ranges)
			if len(c.states) != len(ref.states) || len(c.order) != len(ref.order) || c.order[0] != ref.order[0] {
				t.Errorf("%q fold %v: %d states %v, want %d %v", r, fold, len(c.states), c.order, len(ref.states), ref.order)
			}
		}
	}
	// Every prefilter of a real pattern partitions as the naive way does.
	parsed, err := syntax.Parse(`(?i)(?:key|token|secret)[\w.\-]{0,40}["':= ]{1,4}([A-Za-z0-9+/]{32,64}={0,2})\b`, syntax.Perl)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Compile(parsed)
	if err != nil {
		t.Fatal(err)
	}
	var c compiler
	if _, err := c.build(parsed.Simplify()); err != nil {
		t.Fatal(err)
	}
	classes, reps := naiveClasses(c.order)
	if p.classes != classes || string(p.reps) != string(reps) {
		t.Errorf("pattern: classes %v reps %q, want %v %q", p.classes, p.reps, classes, reps)
	}
}
