// Package decode finds encoded segments in a buffer (base64, percent
// encoding, hex, backslash escapes) and decodes them, so that the engine can
// scan what they hide. It is pure: bytes in, decoded buffers out, no I/O.
//
// Finding candidates must cost little on ordinary source code, where most
// words could be base64: runs are looked for only at every 16th byte (a run
// long enough to matter always covers one), need a length and a mix of
// character classes, and whatever decodes to mostly non-text is dropped.
package decode

import (
	"bytes"
	"encoding/base64"
	"math/bits"
	"unicode/utf8"
)

// Encoding names, as they appear in a finding's decode chain.
const (
	Base64    = "base64"
	Base64URL = "base64url"
	Percent   = "percent"
	Hex       = "hex"
	Escape    = "escape"
)

// Segment is one encoded run of the scanned buffer and what it decodes to.
type Segment struct {
	// Start and End delimit the encoded text in the scanned buffer.
	Start, End int
	// Encoding names the decoder (Base64, Base64URL, Percent, Hex, Escape).
	Encoding string
	// Data is the decoded content; it is mostly printable text.
	Data []byte
}

// Lengths below which a run is not worth decoding: 16 base64 characters
// hold 12 bytes, 32 hex digits 16 bytes; shorter secrets are not worth the
// false leads every identifier would give.
const (
	MinBase64 = 16
	MinHex    = 32
	// maxRun bounds the expansion around a percent or escape hit, so one
	// long minified line costs one bounded segment at a time.
	maxRun = 64 << 10
)

// byte classes
const (
	cUpper = 1 << iota
	cLower
	cDigit
	cStd   // + /
	cURL   // - _
	cHex   // 0-9 a-f A-F
	cText  // may stand in a percent or escape run: printable, not space or quote
	cPrint // printable ASCII, tab, CR, LF
)

const cB64 = cUpper | cLower | cDigit | cStd | cURL

var class = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		switch {
		case c >= 'A' && c <= 'Z':
			t[c] |= cUpper
		case c >= 'a' && c <= 'z':
			t[c] |= cLower
		case c >= '0' && c <= '9':
			t[c] |= cDigit
		case c == '+' || c == '/':
			t[c] |= cStd
		case c == '-' || c == '_':
			t[c] |= cURL
		}
		if c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' {
			t[c] |= cHex
		}
		if c > ' ' && c < 0x7f && c != '"' && c != '\'' && c != '`' && c != '<' && c != '>' {
			t[c] |= cText
		}
		if c >= ' ' && c < 0x7f || c == '\t' || c == '\n' || c == '\r' {
			t[c] |= cPrint
		}
	}
	return
}()

// Find returns the decodable segments of data, ordered by kind then offset.
// Segments of different kinds may overlap (a percent-encoded base64 string
// is both); each decodes to mostly printable text.
func Find(data []byte) []Segment {
	var out []Segment
	out = findRuns(data, out, nil)
	out = findPercent(data, out)
	out = findEscapes(data, out)
	return out
}

// findRuns finds base64 and hex runs. A run of at least MinBase64 (16)
// alphabet bytes holds a whole 8-byte word at an offset divisible by 8, so
// only such words are tested, from alphabet masks made without a branch
// per byte (maskBlocks); a run is walked only from a word wholly inside it.
//
// With runs set, it appends there the run each segment came from.
func findRuns(data []byte, out []Segment, runs *[][2]int) []Segment {
	return findRunsIn(data, 0, len(data), out, runs, nil)
}

// findRunsIn is findRuns over the runs that start in data[from:to], where
// from and to are the ends of data or lie next to bytes outside the
// alphabet (so the runs inside are whole), leaving out those skip takes.
func findRunsIn(data []byte, from, to int, out []Segment, runs *[][2]int, skip func(lo, hi int) bool) []Segment {
	whole := data
	data = data[:to]
	n := len(data)
	if n-from < MinBase64 {
		return out
	}
	// Blocks of 64 bytes: a bit mask of the alphabet bytes in each, built
	// without a branch, then narrowed (with the next block's mask) to the
	// offsets where MinBase64 alphabet bytes start. Only a block with such
	// an offset costs a branch and a walk.
	// The masks are made a chunk of blocks at a time, and each block's
	// comes with the next one's.
	after := from // runs already walked end before this offset
	var masks [maskChunk + 1]uint64
	for base := from; base < n; base += 64 {
		i := (base - from) / 64 % maskChunk
		if i == 0 {
			blockMasks(data, base, masks[:])
		}
		cur, next := masks[i], masks[i+1]
		r := runStarts(cur, next)
		for r != 0 {
			if skip := after - base; skip >= 64 {
				break
			} else if skip > 0 {
				r &^= 1<<skip - 1
				if r == 0 {
					break
				}
			}
			k := bits.TrailingZeros64(r)
			lo := base + k
			// The run's end, from the masks while they reach.
			hi := lo + bits.TrailingZeros64(^(cur >> k))
			if hi == base+64 {
				hi += bits.TrailingZeros64(^next)
				for hi < n && inB64[data[hi]] != 0 {
					hi++
				}
			}
			after = hi + 1
			if skip != nil && skip(lo, hi) {
				continue
			}
			first := len(out)
			out = run(whole, lo, hi, out)
			if runs != nil {
				for range out[first:] {
					*runs = append(*runs, [2]int{lo, hi})
				}
			}
		}
	}
	return out
}

// maskChunk is the number of blocks whose masks are made at once.
const maskChunk = 64

// blockMasks sets out[i] to alphabetMask(data, at+64*i).
func blockMasks(data []byte, at int, out []uint64) {
	full := min(len(out), (len(data)-at)/64)
	if full > 0 {
		maskBlocks(data[at:at+64*full], out[:full])
	}
	for i := full; i < len(out); i++ {
		out[i] = alphabetMask(data, at+64*i)
	}
}

// alphabetMask has bit k set when data[at+k] is a base64 alphabet byte.
func alphabetMask(data []byte, at int) uint64 {
	if at+64 <= len(data) {
		return maskTable((*[64]byte)(data[at : at+64]))
	}
	var m uint64
	if at < len(data) {
		for k, c := range data[at:] {
			m |= uint64(inB64[c]) << (k & 63)
		}
	}
	return m
}

// maskTable is alphabetMask of a whole block, a table lookup a byte: what
// maskBlocks does on platforms without it in assembly, and the reference
// the assembly is tested against.
func maskTable(w *[64]byte) uint64 {
	var m uint64
	for k := 0; k < 64; k += 8 {
		m |= (uint64(inB64[w[k]]) | uint64(inB64[w[k+1]])<<1 | uint64(inB64[w[k+2]])<<2 | uint64(inB64[w[k+3]])<<3 |
			uint64(inB64[w[k+4]])<<4 | uint64(inB64[w[k+5]])<<5 | uint64(inB64[w[k+6]])<<6 | uint64(inB64[w[k+7]])<<7) << k
	}
	return m
}

// runStarts has bit k set when bits k to k+15 of the 128-bit mask
// (cur, then next) are all set.
func runStarts(cur, next uint64) uint64 {
	a, an := cur&(cur>>1|next<<63), next&(next>>1)
	b, bn := a&(a>>2|an<<62), an&(an>>2)
	c, cn := b&(b>>4|bn<<60), bn&(bn>>4)
	return c & (c>>8 | cn<<56)
}

// inB64 is 1 for the bytes of either base64 alphabet.
var inB64 = func() (t [256]uint8) {
	for c := range t {
		if class[c]&cB64 != 0 {
			t[c] = 1
		}
	}
	return
}()

// run decides what a run of base64-alphabet bytes is.
func run(data []byte, lo, hi int, out []Segment) []Segment {
	if hi-lo >= MinHex && isHex(data[lo:hi]) {
		return hexRuns(data, lo, hi, out)
	}
	// Base64 of text: the first character of every quartet holds the top
	// six bits of an ASCII byte, so it is one of A-Z or a-f. Words and
	// identifiers rarely keep to that, and the check costs a quarter of the
	// run, so it goes first.
	off, budget := 0, (hi-lo+3)/40
	for k := lo; k < hi; k += 4 {
		if c := data[k]; !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'f') {
			if off++; off > budget {
				return hexRuns(data, lo, hi, out)
			}
		}
	}
	var mix uint8
	for _, c := range data[lo:hi] {
		mix |= class[c]
	}
	if mix&cStd != 0 && mix&cURL != 0 {
		// Both alphabets: a path or an identifier, not one base64 string.
		return hexRuns(data, lo, hi, out)
	}
	if mix&cUpper == 0 || mix&cLower == 0 || (mix&cDigit == 0 && hi-lo < 32) {
		// Base64 of text mixes cases and, when short, nearly always has a
		// digit; identifiers and words do not.
		return hexRuns(data, lo, hi, out)
	}
	if lo > 0 && (data[lo-1] == '%' || data[lo-1] == '\\') || hi < len(data) && (data[hi] == '%' || data[hi] == '\\') {
		// Part of a percent-encoded or escaped string: that decoder hands
		// the whole string over, chain and all.
		return hexRuns(data, lo, hi, out)
	}
	end := hi
	for k := 0; k < 2 && end < len(data) && data[end] == '='; k++ {
		end++
	}
	padded := end > hi
	if !padded && (hi-lo)%4 == 1 {
		return hexRuns(data, lo, hi, out)
	}
	var enc *base64.Encoding
	name := Base64
	switch {
	case mix&cURL != 0 && padded:
		enc, name = base64.URLEncoding, Base64URL
	case mix&cURL != 0:
		enc, name = base64.RawURLEncoding, Base64URL
	case padded:
		enc = base64.StdEncoding
	default:
		enc = base64.RawStdEncoding
	}
	src := data[lo:end]
	dst := make([]byte, enc.DecodedLen(len(src)))
	m, err := enc.Decode(dst, src)
	if err != nil || !Text(dst[:m]) {
		return hexRuns(data, lo, hi, out)
	}
	return append(out, Segment{Start: lo, End: end, Encoding: name, Data: dst[:m]})
}

// hexRuns decodes the runs of at least MinHex hex digits inside [lo, hi)
// (a "0x" prefix or a non-hex neighbour cuts them). A run starting at i
// must cover i+MinHex-1, so that byte is probed first and a miss skips
// MinHex bytes at once: long runs of words cost a few probes.
func hexRuns(data []byte, lo, hi int, out []Segment) []Segment {
	for i := lo; i+MinHex <= hi; {
		p := i + MinHex - 1
		if class[data[p]]&cHex == 0 {
			i = p + 1
			continue
		}
		s, e := p, p+1
		for s > i && class[data[s-1]]&cHex != 0 {
			s--
		}
		for e < hi && class[data[e]]&cHex != 0 {
			e++
		}
		i = e + 1
		if (e-s)%2 == 1 {
			// An odd run: a "0x" or a digit glued on the left is likelier
			// than a lost nibble on the right.
			s++
		}
		if e-s >= MinHex && hexOfText(data[s:e]) {
			if dst, ok := decodeHex(data[s:e]); ok {
				out = append(out, Segment{Start: s, End: e, Encoding: Hex, Data: dst})
			}
		}
	}
	return out
}

// hexOfText is a quick look before decoding: the high nibble of a
// printable ASCII byte is 2 to 7, which random bytes (hashes, keys) keep to
// only three times in eight.
func hexOfText(src []byte) bool {
	off := 0
	for k := 0; k < len(src); k += 2 {
		if c := src[k]; c < '2' || c > '7' {
			off++
		}
	}
	return off*10 <= len(src)/2
}

func isHex(b []byte) bool {
	for _, c := range b {
		if class[c]&cHex == 0 {
			return false
		}
	}
	return true
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10
	}
	return 0xff
}

// decodeHex decodes an even run of hex digits, giving up as soon as the
// output cannot be mostly text: hashes and keys are random bytes.
func decodeHex(src []byte) ([]byte, bool) {
	n := len(src) / 2
	dst := make([]byte, n)
	bad, budget := 0, n/10
	for k := 0; k < n; k++ {
		c := unhex(src[2*k])<<4 | unhex(src[2*k+1])
		if class[c]&cPrint == 0 && c < 0x80 {
			bad++
			if bad > budget {
				return nil, false
			}
		}
		dst[k] = c
	}
	return dst, Text(dst)
}

// Text reports whether b is mostly text: at least 90% printable ASCII or
// whitespace, or valid UTF-8 with no control characters besides whitespace.
func Text(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	bad := 0
	high := false
	for _, c := range b {
		if class[c]&cPrint == 0 {
			if c >= 0x80 {
				high = true
				continue
			}
			bad++
		}
	}
	if bad*10 > len(b) {
		return false
	}
	if !high {
		return true
	}
	if !utf8.Valid(b) {
		// Bytes above 0x7f that are not UTF-8 count as noise.
		for _, c := range b {
			if c >= 0x80 {
				bad++
			}
		}
		return bad*10 <= len(b)
	}
	return true
}

// expand grows [p, q) to the run of text bytes around it, bounded by
// maxRun; escaped pairs ("\x") count as text so that \" stays inside.
func expand(data []byte, p, q int) (int, int) {
	lo := p
	for lo > 0 && p-lo < maxRun && class[data[lo-1]]&cText != 0 {
		lo--
	}
	hi := q
	for hi < len(data) && hi-q < maxRun {
		c := data[hi]
		if c == '\\' && hi+1 < len(data) && class[data[hi+1]]&cPrint != 0 && data[hi+1] > ' ' {
			hi += 2
			continue
		}
		if class[c]&cText == 0 {
			break
		}
		hi++
	}
	return lo, hi
}

// findPercent finds runs holding %XX escapes.
func findPercent(data []byte, out []Segment) []Segment {
	for pos := 0; pos < len(data); {
		k := bytes.IndexByte(data[pos:], '%')
		if k < 0 {
			break
		}
		p := pos + k
		if p+2 >= len(data) || class[data[p+1]]&cHex == 0 || class[data[p+2]]&cHex == 0 {
			pos = p + 1
			continue
		}
		lo, hi := expand(data, p, p+3)
		if lo < pos {
			lo = pos
		}
		if dst, ok := decodePercent(data[lo:hi]); ok {
			out = append(out, Segment{Start: lo, End: hi, Encoding: Percent, Data: dst})
		}
		pos = hi
	}
	return out
}

// decodePercent decodes %XX escapes, leaving everything else (including
// '+', which in base64 is a character, not a space). It fails when an
// escape decodes to a control character: "%02x" is a format, not a URL.
func decodePercent(src []byte) ([]byte, bool) {
	dst := make([]byte, 0, len(src))
	n := 0
	for i := 0; i < len(src); i++ {
		c := src[i]
		if c == '%' && i+2 < len(src) && class[src[i+1]]&cHex != 0 && class[src[i+2]]&cHex != 0 {
			b := unhex(src[i+1])<<4 | unhex(src[i+2])
			if b < 0x80 && class[b]&cPrint == 0 {
				return nil, false
			}
			dst = append(dst, b)
			i += 2
			n++
			continue
		}
		dst = append(dst, c)
	}
	return dst, n > 0 && Text(dst)
}

// findEscapes finds runs holding \xHH, \uHHHH, \UHHHHHHHH or \NNN escapes.
func findEscapes(data []byte, out []Segment) []Segment {
	for pos := 0; pos < len(data); {
		k := bytes.IndexByte(data[pos:], '\\')
		if k < 0 {
			break
		}
		p := pos + k
		if escapeLen(data[p:]) == 0 {
			pos = p + 2
			continue
		}
		lo, hi := expand(data, p, p)
		if lo < pos {
			lo = pos
		}
		if dst, ok := Unescape(data[lo:hi]); ok {
			out = append(out, Segment{Start: lo, End: hi, Encoding: Escape, Data: dst})
		}
		if hi <= p {
			hi = p + 1
		}
		pos = hi
	}
	return out
}

// escapeLen is the length of the numeric escape at the start of b, or 0.
func escapeLen(b []byte) int {
	if len(b) < 2 || b[0] != '\\' {
		return 0
	}
	hexDigits := func(n int) int {
		if len(b) < 2+n {
			return 0
		}
		for _, c := range b[2 : 2+n] {
			if class[c]&cHex == 0 {
				return 0
			}
		}
		return 2 + n
	}
	switch c := b[1]; {
	case c == 'x':
		return hexDigits(2)
	case c == 'u':
		return hexDigits(4)
	case c == 'U':
		return hexDigits(8)
	case c >= '0' && c <= '3':
		if len(b) >= 4 && b[2] >= '0' && b[2] <= '7' && b[3] >= '0' && b[3] <= '7' {
			return 4
		}
	}
	return 0
}

func hexValue(b []byte) rune {
	var r rune
	for _, c := range b {
		r = r<<4 | rune(unhex(c))
	}
	return r
}

// Unescape decodes backslash escapes as C, Go, JSON, JavaScript and Python
// write them. It fails when the input has no numeric escape, or one decodes
// to a control character ("\x00\x01" is binary data, not a hidden secret).
func Unescape(src []byte) ([]byte, bool) {
	dst := make([]byte, 0, len(src))
	n := 0
	for i := 0; i < len(src); i++ {
		c := src[i]
		if c != '\\' || i+1 >= len(src) {
			dst = append(dst, c)
			continue
		}
		l := escapeLen(src[i:])
		if l == 0 {
			switch e := src[i+1]; e {
			case 'n':
				dst = append(dst, '\n')
			case 't':
				dst = append(dst, '\t')
			case 'r':
				dst = append(dst, '\r')
			case '\\', '"', '\'', '/', '`':
				dst = append(dst, e)
			default:
				dst = append(dst, c, e)
			}
			i++
			continue
		}
		var r rune
		switch src[i+1] {
		case 'x':
			r = hexValue(src[i+2 : i+4])
		case 'u', 'U':
			r = hexValue(src[i+2 : i+l])
			// A UTF-16 surrogate pair, as JSON writes characters beyond
			// the basic plane.
			if r >= 0xd800 && r < 0xdc00 && escapeLen(src[i+l:]) == 6 && src[i+l+1] == 'u' {
				if lo := hexValue(src[i+l+2 : i+l+6]); lo >= 0xdc00 && lo < 0xe000 {
					r = 0x10000 + (r-0xd800)<<10 + (lo - 0xdc00)
					l += 6
				}
			}
		default:
			r = rune(src[i+1]-'0')<<6 | rune(src[i+2]-'0')<<3 | rune(src[i+3]-'0')
		}
		if r < 0x80 && class[byte(r)]&cPrint == 0 {
			return nil, false
		}
		if src[i+1] == 'x' || src[i+1] <= '3' {
			// \xHH and \NNN are bytes (they may spell UTF-8 together).
			dst = append(dst, byte(r))
		} else {
			dst = utf8.AppendRune(dst, r)
		}
		n++
		i += l - 1
	}
	return dst, n > 0 && Text(dst)
}

// Bytes decodes src as a whole with the named decoder, as Find would have
// decoded a segment of that encoding; ok is false when src is not one.
func Bytes(encoding string, src []byte) (out []byte, ok bool) {
	switch encoding {
	case Percent:
		return decodePercent(src)
	case Escape:
		return Unescape(src)
	case Hex:
		if len(src)%2 == 1 {
			return nil, false
		}
		for _, c := range src {
			if class[c]&cHex == 0 {
				return nil, false
			}
		}
		return decodeHex(src)
	case Base64, Base64URL:
		enc := base64.RawStdEncoding
		if encoding == Base64URL {
			enc = base64.RawURLEncoding
		}
		src = bytes.TrimRight(src, "=")
		dst := make([]byte, enc.DecodedLen(len(src)))
		n, err := enc.Decode(dst, src)
		if err != nil || !Text(dst[:n]) {
			return nil, false
		}
		return dst[:n], true
	}
	return nil, false
}
