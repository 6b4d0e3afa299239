package rules

import "github.com/achilles-sec/achilles/detectors/ahocorasick"

// Index is what the engine's keyword pass needs of a rule set: the rules
// with a regex, the keywords of all of them as one automaton, and for each
// keyword the rules that own it. The built-in catalogue's is generated
// (catalogue_gen.go), so that a small scan's start-up builds none of it.
type Index struct {
	// Rules are the rules with a regex, in rule order.
	Rules []*Rule
	// Always lists (as indices into Rules) the rules without keywords,
	// which run over every input.
	Always []int32
	// KeywordRules holds, for each keyword in the automaton's pattern
	// order, the indices into Rules of the rules owning it, in rule order.
	KeywordRules [][]int32
	// Keywords is the keyword automaton (ahocorasick.FromTables).
	Keywords *ahocorasick.Tables
	// KeywordNeighbours holds, for each keyword, the bytes every rule
	// owning it allows next to it (the union of what their Around sets and
	// Lead boundaries allow; nil when some owner allows anything), for the
	// automaton to drop a hit
	// no rule could use before reporting it (Matcher.SetNeighbours).
	KeywordNeighbours []*ahocorasick.Neighbours
}

// Index returns the rule set's keyword index. The built-in catalogue's, as
// Default returns it, is static data; any other rule set's is built at each
// call (an engine asks once), from the rules as they are then.
func (c *Config) Index() *Index {
	if c.builtin && len(c.Rules) == len(generatedRuleList) && len(c.Rules) > 0 && &c.Rules[0] == &generatedRuleList[0] {
		return &generatedIndex
	}
	return NewIndex(c.Rules)
}

// NewIndex builds the keyword index of rules. It allocates in a few flat
// slices, sized by a first pass.
func NewIndex(rules []*Rule) *Index {
	ix := &Index{}
	nregex, nkw := 0, 0
	for _, r := range rules {
		if r.Pattern != "" {
			nregex++
			nkw += len(r.Keywords)
		}
	}
	ix.Rules = make([]*Rule, 0, nregex)
	kwIndex := make(map[string]int32, nkw)
	keywords := make([]string, 0, nkw)
	// Keyword index of each (rule, keyword) pair in rule order, then the
	// rules of each keyword in one backing array.
	pairs := make([]int32, 0, nkw)
	var count []int32
	for _, r := range rules {
		if r.Pattern == "" {
			continue
		}
		ri := int32(len(ix.Rules))
		ix.Rules = append(ix.Rules, r)
		if len(r.Keywords) == 0 {
			ix.Always = append(ix.Always, ri)
			continue
		}
		for _, k := range r.Keywords {
			ki, ok := kwIndex[k]
			if !ok {
				ki = int32(len(keywords))
				kwIndex[k] = ki
				keywords = append(keywords, k)
				count = append(count, 0)
			}
			pairs = append(pairs, ki)
			count[ki]++
		}
	}
	backing := make([]int32, len(pairs))
	ix.KeywordRules = make([][]int32, len(keywords))
	off := int32(0)
	for ki, n := range count {
		ix.KeywordRules[ki] = backing[off : off : off+n]
		off += n
	}
	pi := 0
	for ri, r := range ix.Rules {
		for range r.Keywords {
			ki := pairs[pi]
			ix.KeywordRules[ki] = append(ix.KeywordRules[ki], int32(ri))
			pi++
		}
	}
	ix.Keywords = ahocorasick.New(keywords).Tables()
	ix.KeywordNeighbours = make([]*ahocorasick.Neighbours, len(keywords))
	for ki, k := range keywords {
		ix.KeywordNeighbours[ki] = neighboursOf(k, ix.KeywordRules[ki], ix.Rules)
	}
	return ix
}

// neighboursOf is the union, over the rules owning keyword k, of the bytes
// each lets next to a hit of k, or nil when that constrains neither side.
// A rule lets through before the hit what both its Around entry for k and
// the boundary of its Lead allow (the engine checks both at every hit, so
// a byte either refuses opens no window of that rule), after it what its
// Around allows.
func neighboursOf(k string, owners []int32, rules []*Rule) *ahocorasick.Neighbours {
	var before, after [256]bool
	anyBefore, anyAfter := false, false
	for _, ri := range owners {
		c := rules[ri].Checks()
		if c == nil {
			return nil
		}
		a := c.around(k)
		var lead *[256]bool
		if c.Lead != nil {
			lead = c.Lead.Before
		}
		switch {
		case (a == nil || a.Before == nil) && lead == nil:
			anyBefore = true
		case a == nil || a.Before == nil:
			union(&before, lead)
		case lead == nil:
			union(&before, a.Before)
		default:
			for i := range before {
				before[i] = before[i] || a.Before[i] && lead[i]
			}
		}
		if a == nil || a.After == nil {
			anyAfter = true
		} else {
			union(&after, a.After)
		}
	}
	n := &ahocorasick.Neighbours{}
	if !anyBefore {
		n.Before = &before
	}
	if !anyAfter {
		n.After = &after
	}
	if n.Before == nil && n.After == nil {
		return nil
	}
	return n
}
