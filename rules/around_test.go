package rules

import (
	"bytes"
	"regexp"
	"regexp/syntax"
	"strings"
	"testing"
)

func aroundFor(t *testing.T, pattern string, keywords ...string) []Around {
	t.Helper()
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		t.Fatal(err)
	}
	return aroundOf(re, keywords)
}

func TestAroundOfDashSeparatedHex(t *testing.T) {
	a := aroundFor(t, `(?:^|[^A-Za-z0-9_\-])([0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{12})(?:[^A-Za-z0-9_\-]|$)`, "-")
	if len(a) != 1 || a[0].Before == nil || a[0].After == nil {
		t.Fatalf("want both sides constrained, got %+v", a)
	}
	for _, c := range []struct {
		text string
		fits bool
	}{
		{"8497F7C7-72F7-DBAEAA10FC9A", true},
		{"a --flag", false},
		{"x - y", false},
		{"F-z", false},
		{"z-F", false},
		{"-", true}, // the ends of the buffer fit
	} {
		at := strings.IndexByte(c.text, '-')
		if got := a[0].Fits([]byte(c.text), at, at+1); got != c.fits {
			t.Errorf("%q: fits %v, want %v", c.text, got, c.fits)
		}
	}
}

func TestAroundOfLeavesOpenWhatMayBeOutside(t *testing.T) {
	// A keyword that can start the match has an unconstrained byte before
	// it; a keyword inside a wide class is not worth a check.
	a := aroundFor(t, `\b(st\.[0-9a-f]{8})\b`, "st.")
	if len(a) != 1 || a[0].Before != nil || a[0].After == nil || a[0].After['R'] || !a[0].After['7'] {
		t.Fatalf("st.: want only After, hex digits: %+v", a)
	}
	if a := aroundFor(t, `(?i)token[\w.\-]{0,32}\s*=\s*([a-z0-9]{32})`, "token"); len(a) != 0 {
		t.Errorf("context rule: want no check, got %+v", a)
	}
	// Repetition: the last bytes of one round meet the first of the next.
	a = aroundFor(t, `(?:ab-){2,4}x`, "-")
	if len(a) != 1 || a[0].After == nil || !a[0].After['a'] || !a[0].After['x'] || a[0].After['-'] {
		t.Errorf("repeat: want a or x after -, got %+v", a)
	}
}

// TestAroundNeverRefusesAMatch: in every example of every built-in rule,
// each keyword occurrence inside a match fits the rule's Around.
func TestAroundNeverRefusesAMatch(t *testing.T) {
	cfg, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	checked, constrained := 0, 0
	for _, r := range cfg.Rules {
		c := r.Checks()
		if c == nil || len(c.Around) == 0 {
			continue
		}
		constrained++
		re := regexp.MustCompile(r.Pattern)
		for _, ex := range append(append([]string{}, r.Examples...), r.NegativeExamples...) {
			data := []byte(ex)
			lower := bytes.ToLower(data)
			for _, m := range re.FindAllIndex(data, -1) {
				for _, a := range c.Around {
					kw := []byte(a.Keyword)
					for at := m[0]; at < m[1]; {
						i := bytes.Index(lower[at:m[1]], kw)
						if i < 0 {
							break
						}
						s := at + i
						checked++
						if !a.Fits(data, s, s+len(kw)) {
							t.Errorf("%s: keyword %q at %d of the match %q is refused", r.ID, a.Keyword, s-m[0], data[m[0]:m[1]])
						}
						at = s + 1
					}
				}
			}
		}
	}
	if constrained == 0 || checked == 0 {
		t.Fatalf("nothing checked: %d rules with Around, %d keyword occurrences", constrained, checked)
	}
	t.Logf("%d rules with Around; %d keyword occurrences in matches fit", constrained, checked)
}
