package detectors

import (
	"fmt"
	"math/rand"
	"regexp"
	"strings"
	"testing"
)

// Runs of keyword hits (every "-" of a line, every offset of a long run of
// a's) widen one window in place instead of adding one per hit: the
// matches are still exactly those each rule's regex finds in the whole
// buffer, wherever the runs start, stop and touch.
func TestHitRunsFindWhatTheWholeBufferHolds(t *testing.T) {
	const cfgText = `
[[rules]]
id = "dashes"
description = "dashed hex"
regex = '''(?:^|[^A-Za-z0-9_\-])([0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{6})(?:[^A-Za-z0-9_\-]|$)'''
secretGroup = 1
keywords = ["-"]

[[rules]]
id = "as"
description = "a run then digits"
regex = '''a{6,20}[0-9]{4}'''
keywords = ["aaaaaa"]

[[rules]]
id = "lead"
description = "prefixed token"
regex = '''(?:^|[^A-Za-z0-9_\-])(tk_[a-z0-9]{10})(?:[^A-Za-z0-9_\-]|$)'''
secretGroup = 1
keywords = ["tk_"]
`
	cfg := load(t, cfgText)
	e := New(cfg)
	e.keepShadowed = true
	pieces := []string{"-", "--", "-----", "AB12-", "CD34-EF5678", "0F0F-1A2B-3C4D5E", "aaaaaa", "aaaaaaaaaaaaa",
		"1234", "tk_", "tk_abcdef0123", "x", " ", "\n", "=", "\"", "aaaa", "9", "F"}
	rng := rand.New(rand.NewSource(6))
	for round := 0; round < 3000; round++ {
		var b strings.Builder
		for n := rng.Intn(60); n > 0; n-- {
			p := pieces[rng.Intn(len(pieces))]
			for k := rng.Intn(3); k >= 0; k-- {
				b.WriteString(p)
			}
		}
		data := b.String()
		got := map[string][]string{}
		for _, m := range e.Scan([]byte(data)) {
			got[m.Rule.ID] = append(got[m.Rule.ID], fmt.Sprintf("%d-%d", m.Start, m.End))
		}
		for _, r := range cfg.Rules {
			var want []string
			for _, loc := range regexp.MustCompile(r.Pattern).FindAllStringIndex(data, -1) {
				want = append(want, fmt.Sprintf("%d-%d", loc[0], loc[1]))
			}
			if fmt.Sprint(got[r.ID]) != fmt.Sprint(want) {
				t.Fatalf("round %d, rule %s on %q:\n got %v\nwant %v", round, r.ID, data, got[r.ID], want)
			}
		}
	}
}
