package detectors

import (
	"bytes"
	"slices"
	"sort"

	"github.com/achilles-sec/achilles/detectors/decode"
	"github.com/achilles-sec/achilles/rules"
)

// DefaultDecodeDepth is how many layers of encoding ScanDecoded looks
// through unless told otherwise: enough for base64 inside a URL.
const DefaultDecodeDepth = 2

// ScanDecoded is Scan plus the matches hidden in encoded segments of data
// (base64, percent encoding, hex, backslash escapes), looked for through up
// to maxDepth layers of encoding. A match found in a segment reports the
// segment's place in data (Start, End, Line, Column), the decoded secret and
// match text, and the chain of decoders in Decoded. A secret plain scanning
// already found in the same place is not reported again, nor is one two
// decoding paths lead to (the shorter chain wins).
func (e *Engine) ScanDecoded(data []byte, maxDepth int) []Match {
	return e.decoded(data, e.Scan(data), maxDepth)
}

// ScanDecodedFrom is ScanDecoded with the plain scan of ScanFrom.
// The encoded segments are found as decode.FindFrom finds them: those in
// what data repeats of its base are the base's.
func (e *Engine) ScanDecodedFrom(data []byte, maxDepth int, base *Hits, copies []Copy, keep bool) ([]Match, *Hits) {
	plain, hits := e.ScanFrom(data, base, copies, keep)
	if maxDepth <= 0 {
		return plain, hits
	}
	var segs []decode.Segment
	var runs *decode.Runs
	switch {
	case base != nil && base.runs != nil:
		segs, runs = decode.FindFrom(data, base.runs, copies)
	case hits != nil:
		segs, runs = decode.FindKeep(data)
	default:
		segs = decode.Find(data)
	}
	if hits != nil {
		hits.runs = runs
	}
	return e.decodedIn(data, plain, segs, maxDepth), hits
}

// decoded adds to data's plain matches those in its encoded segments.
func (e *Engine) decoded(data []byte, plain []Match, maxDepth int) []Match {
	if maxDepth <= 0 {
		return plain
	}
	return e.decodedIn(data, plain, decode.Find(data), maxDepth)
}

// decodedIn adds to data's plain matches those in segs, its encoded
// segments.
func (e *Engine) decodedIn(data []byte, plain []Match, segs []decode.Segment, maxDepth int) []Match {
	if len(segs) == 0 {
		return plain
	}
	var hidden []Match
	for _, s := range segs {
		hidden = e.scanSegment(hidden, s, []string{s.Encoding}, s.Start, s.End, maxDepth-1)
	}
	if len(hidden) == 0 {
		return plain
	}
	// Shorter chains first, then by place, so the simplest explanation of a
	// secret is the one kept.
	sort.SliceStable(hidden, func(i, j int) bool {
		if len(hidden[i].Decoded) != len(hidden[j].Decoded) {
			return len(hidden[i].Decoded) < len(hidden[j].Decoded)
		}
		return hidden[i].Start < hidden[j].Start
	})
	// spans holds, by rule and secret, the places already reported, in
	// offset order: they never overlap (plain matches of one rule do not,
	// and a hidden one is added only where it overlaps none), so one binary
	// search tells whether a new place overlaps any.
	type key struct{ rule, secret string }
	spans := map[key][][2]int{}
	for _, m := range plain {
		k := key{m.Rule.ID, m.Secret}
		spans[k] = append(spans[k], [2]int{m.Start, m.End})
	}
	// A rule's plain matches do not overlap one another, so in offset
	// order their ends rise too: the ones a segment overlaps are found by
	// a binary search instead of a pass over all of them.
	plainByRule := map[*rules.Rule][]int32{}
	for i := range plain {
		plainByRule[plain[i].Rule] = append(plainByRule[plain[i].Rule], int32(i))
	}
	out := plain
	for _, m := range hidden {
		k := key{m.Rule.ID, m.Secret}
		sp := spans[k]
		at := sort.Search(len(sp), func(i int) bool { return sp[i][0] >= m.End })
		if at > 0 && sp[at-1][1] > m.Start || encodedFormOfPlain(plain, plainByRule[m.Rule], m) {
			continue
		}
		spans[k] = slices.Insert(sp, at, [2]int{m.Start, m.End})
		out = append(out, m)
	}
	if len(out) == len(plain) {
		return plain
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Start != out[j].Start {
			return out[i].Start < out[j].Start
		}
		if out[i].End != out[j].End {
			return out[i].End < out[j].End
		}
		return out[i].Rule.ID < out[j].Rule.ID
	})
	addDecodedLines(data, out)
	return out
}

// scanSegment scans one decoded segment and, depth allowing, the segments
// inside it. start and end are the outermost segment's place in the
// scanned buffer, which every match inside it reports.
func (e *Engine) scanSegment(out []Match, s decode.Segment, chain []string, start, end, depthLeft int) []Match {
	for _, m := range e.Scan(s.Data) {
		m.Start, m.End = start, end
		m.SecretStart, m.SecretEnd = start, end
		m.Line, m.Column = 0, 0
		m.Decoded = chain
		out = append(out, m)
	}
	if depthLeft <= 0 {
		return out
	}
	for _, inner := range decode.Find(s.Data) {
		next := append(append(make([]string, 0, len(chain)+1), chain...), inner.Encoding)
		out = e.scanSegment(out, inner, next, start, end, depthLeft-1)
	}
	return out
}

// addDecodedLines fills Line and Column of the decoded matches in out
// (those with Line 0); out is sorted by Start.
func addDecodedLines(data []byte, out []Match) {
	line, pos, lineStart := 1, 0, 0
	for i := range out {
		s := out[i].Start
		if s > pos {
			seg := data[pos:s]
			if n := bytes.Count(seg, []byte{'\n'}); n > 0 {
				line += n
				lineStart = pos + bytes.LastIndexByte(seg, '\n') + 1
			}
			pos = s
		}
		if out[i].Line == 0 {
			out[i].Line, out[i].Column = line, s-lineStart+1
		}
	}
}

// encodedFormOfPlain reports whether plain scanning already found m's secret
// in its encoded form at the same place: a password in a URL is written
// percent-encoded, and reporting it once encoded and once decoded is noise.
// sameRule holds the indices in plain of the matches of m's rule.
func encodedFormOfPlain(plain []Match, sameRule []int32, m Match) bool {
	if len(m.Decoded) != 1 {
		return false
	}
	k := sort.Search(len(sameRule), func(k int) bool { return plain[sameRule[k]].End > m.Start })
	for ; k < len(sameRule) && plain[sameRule[k]].Start < m.End; k++ {
		p := plain[sameRule[k]]
		if d, ok := decode.Bytes(m.Decoded[0], []byte(p.Secret)); ok && string(d) == m.Secret {
			return true
		}
	}
	return false
}
