// Package inflate decodes a whole zlib stream (RFC 1950 around RFC 1951
// deflate) from one buffer into another whose size is known in advance:
// what the pack reader has for every git object, whose header gives the
// inflated size.
//
// A streaming decoder (compress/flate, klauspost's flate) decodes into its
// own 32 KiB window and copies out, reads input a byte at a time through an
// io.ByteReader and rebuilds its tables in a general way; here
// back-references are copied within the output itself, input is read 64 bits
// at a time, and the tables are two-level lookups built for the code at
// hand. The caller keeps a streaming decoder as the fallback: anything Zlib
// refuses (including a checksum that does not match) can be decoded again
// by it, so a case this decoder gets wrong costs time, never bytes.
package inflate

import (
	"encoding/binary"
	"errors"
	"hash/adler32"
	"math/bits"
)

var (
	errHeader   = errors.New("inflate: bad zlib header")
	errCorrupt  = errors.New("inflate: corrupt deflate stream")
	errLong     = errors.New("inflate: stream is longer than the output")
	errShort    = errors.New("inflate: stream is shorter than the output")
	errChecksum = errors.New("inflate: checksum mismatch")
)

// Decoder inflates zlib streams, keeping its tables from one stream to the
// next; the zero value is ready. It is not safe for concurrent use.
type Decoder struct{ d decoder }

// Zlib inflates the zlib stream at the start of src into all of dst and
// checks its Adler-32 checksum. It fails unless the stream holds exactly
// len(dst) bytes. Bytes of src after the stream are ignored.
func (z *Decoder) Zlib(dst, src []byte) error {
	if len(src) < 2+4 {
		return errHeader
	}
	cmf, flg := src[0], src[1]
	if cmf&0x0f != 8 || cmf>>4 > 7 || (uint16(cmf)<<8|uint16(flg))%31 != 0 || flg&0x20 != 0 {
		return errHeader
	}
	end, err := z.d.inflate(dst, src[2:])
	if err != nil {
		return err
	}
	end += 2
	if end+4 > len(src) {
		return errCorrupt
	}
	if binary.BigEndian.Uint32(src[end:]) != adler32.Checksum(dst) {
		return errChecksum
	}
	return nil
}

// Table entries. The low four bits are the number of bits the entry's code
// takes from the input (for a pointer, the primary table's width); bits 4-7
// the number of extra bits after it (for a pointer, the subtable's width);
// bits 16-31 the value: a literal byte, a length or distance base, or a
// subtable's offset.
const (
	entLiteral = 1 << 8
	entEnd     = 1 << 9
	entSub     = 1 << 10
	entBad     = 1 << 11

	litBits  = 9
	distBits = 8
	preBits  = 7

	maxCodeLen = 15
)

// Base and extra bits of the length codes 257..285 and distance codes 0..29.
var (
	lengthBase  = [29]uint16{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	lengthExtra = [29]uint8{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	distBase    = [30]uint16{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	distExtra   = [30]uint8{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}
	// preOrder is the order of the code length code lengths in a dynamic
	// block header.
	preOrder = [19]uint8{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}
)

func litEntry(sym int) uint32 {
	switch {
	case sym < 256:
		return uint32(sym)<<16 | entLiteral
	case sym == 256:
		return entEnd
	case sym <= 285:
		i := sym - 257
		return uint32(lengthBase[i])<<16 | uint32(lengthExtra[i])<<4
	}
	return entBad
}

func distEntry(sym int) uint32 {
	if sym < 30 {
		return uint32(distBase[sym])<<16 | uint32(distExtra[sym])<<4
	}
	return entBad
}

func preEntry(sym int) uint32 { return uint32(sym) << 16 }

// The entry of each symbol, before its code length is added; and the tables
// of the fixed code (block type 1). Built once.
var (
	litEntries  [288]uint32
	distEntries [32]uint32
	preEntries  [19]uint32

	fixedLit, fixedDist []uint32
)

func init() {
	for i := range litEntries {
		litEntries[i] = litEntry(i)
	}
	for i := range distEntries {
		distEntries[i] = distEntry(i)
	}
	for i := range preEntries {
		preEntries[i] = preEntry(i)
	}
	var lens [288]uint8
	for i := range lens {
		switch {
		case i < 144:
			lens[i] = 8
		case i < 256:
			lens[i] = 9
		case i < 280:
			lens[i] = 7
		default:
			lens[i] = 8
		}
	}
	var ok bool
	if fixedLit, ok = build(nil, lens[:], litBits, litEntries[:]); !ok {
		panic("inflate: fixed literal/length code")
	}
	var dl [32]uint8
	for i := range dl {
		dl[i] = 5
	}
	if fixedDist, ok = build(nil, dl[:], distBits, distEntries[:]); !ok {
		panic("inflate: fixed distance code")
	}
}

// build makes the lookup table of the canonical code with these code
// lengths (0: unused symbol) and symbol entries, reusing t's storage. The primary table is
// indexed by the next tb input bits; a code longer than tb leads to a
// subtable indexed by the bits after those. It refuses an over-subscribed
// code, and an incomplete one unless it has a single code of length one or
// none at all (both allowed by zlib, for distance codes); an unused slot
// holds entBad.
func build(t []uint32, lens []uint8, tb uint, entry []uint32) ([]uint32, bool) {
	var count [maxCodeLen + 1]int
	for _, l := range lens {
		count[l]++
	}
	count[0] = 0
	left := 1
	maxLen, used := 0, 0
	for l := 1; l <= maxCodeLen; l++ {
		left = left<<1 - count[l]
		if left < 0 {
			return t, false
		}
		if count[l] > 0 {
			maxLen = l
			used += count[l]
		}
	}
	if left > 0 && used > 1 || left > 0 && used == 1 && count[1] != 1 {
		return t, false
	}
	// Symbols in canonical order: by length, then by symbol.
	var offs [maxCodeLen + 2]int
	for l := 1; l <= maxCodeLen; l++ {
		offs[l+1] = offs[l] + count[l]
	}
	var sortedBuf [320]uint16
	sorted := sortedBuf[:used]
	for s, l := range lens {
		if l > 0 {
			sorted[offs[l]] = uint16(s)
			offs[l]++
		}
	}
	size := 1 << tb
	t = t[:0]
	if cap(t) < size {
		t = make([]uint32, size, size+(1<<(maxCodeLen-int(tb)))*8)
	}
	t = t[:size]
	if left > 0 {
		// Incomplete: some slots stay unused. A complete code fills
		// every slot below.
		for i := range t {
			t[i] = entBad
		}
	}
	code := 0 // the next code, in the usual (most significant bit first) order
	i := 0
	for l := 1; l <= min(int(tb), maxLen); l++ {
		for n := count[l]; n > 0; n-- {
			e := entry[sorted[i]] | uint32(l)
			i++
			rev := int(bits.Reverse16(uint16(code)) >> (16 - l))
			for j := rev; j < size; j += 1 << l {
				t[j] = e
			}
			code++
		}
		code <<= 1
	}
	if maxLen <= int(tb) {
		return t, true
	}
	// Longer codes: one subtable for each tb-bit prefix, as wide as the
	// codes sharing that prefix need (as zlib sizes them).
	code >>= 1
	prefix := -1
	subStart, subBits := 0, 0
	for l := int(tb) + 1; l <= maxLen; l++ {
		code <<= 1
		for n := count[l]; n > 0; n-- {
			rev := int(bits.Reverse16(uint16(code)) >> (16 - l))
			low := rev & (size - 1)
			if low != prefix {
				prefix = low
				// Width: start at this length and widen while the codes
				// of the next lengths do not fill it.
				subBits = l - int(tb)
				room := 1 << subBits
				// Codes of length l still to place, this one included.
				room -= n
				for ll := l + 1; room > 0 && ll <= maxLen; ll++ {
					subBits++
					room = room<<1 - count[ll]
				}
				subStart = len(t)
				for k := 0; k < 1<<subBits; k++ {
					t = append(t, entBad)
				}
				t[low] = uint32(subStart)<<16 | uint32(subBits)<<4 | entSub | uint32(tb)
			}
			e := entry[sorted[i]] | uint32(l-int(tb))
			i++
			hi := rev >> tb
			for j := hi; j < 1<<subBits; j += 1 << (l - int(tb)) {
				t[subStart+j] = e
			}
			code++
		}
	}
	return t, true
}

// complete reports whether the code lengths fill the code space: zlib
// refuses an incomplete code length code.
func complete(lens []uint8) bool {
	left := 1 << maxCodeLen
	for _, l := range lens {
		if l > 0 {
			left -= 1 << (maxCodeLen - int(l))
		}
	}
	return left == 0
}

// decoder holds the tables of the current dynamic block, reused.
type decoder struct {
	lit, dist, pre []uint32
	lens           [288 + 32]uint8
}

// inflate decodes the deflate stream src into dst and returns how many
// bytes of src the stream took (to its last whole byte).
func (d *decoder) inflate(dst, src []byte) (int, error) {
	var (
		acc   uint64 // input bits, the next one lowest
		nb    uint   // how many of acc's bits are input (those above may be the following input)
		pos   int    // next byte of src to load into acc (past the end: zeros counted)
		out   int
		final bool
	)
	// refill tops acc up to at least 56 bits: 8 bytes at once away from the
	// end of src, else byte by byte, with zeros past the end (counted in
	// pos, checked at the end).
	refill := func() bool {
		if pos+8 <= len(src) {
			acc |= binary.LittleEndian.Uint64(src[pos:]) << nb
			pos += int(63-nb) >> 3
			nb |= 56
			return true
		}
		for nb < 56 {
			if pos < len(src) {
				acc |= uint64(src[pos]) << nb
			} else if pos > len(src)+8 {
				return false
			}
			pos++
			nb += 8
		}
		return true
	}
	take := func(n uint) uint32 {
		v := uint32(acc & (1<<n - 1))
		acc >>= n
		nb -= n
		return v
	}
	for !final {
		if !refill() {
			return 0, errCorrupt
		}
		final = take(1) == 1
		var lit, dist []uint32
		switch take(2) {
		case 0:
			// Stored: to the byte boundary, then LEN and its complement.
			take(nb & 7)
			at := pos - int(nb>>3)
			acc, nb = 0, 0
			if at+4 > len(src) {
				return 0, errCorrupt
			}
			n := int(binary.LittleEndian.Uint16(src[at:]))
			if uint16(n) != ^binary.LittleEndian.Uint16(src[at+2:]) {
				return 0, errCorrupt
			}
			at += 4
			if at+n > len(src) {
				return 0, errCorrupt
			}
			if out+n > len(dst) {
				return 0, errLong
			}
			copy(dst[out:], src[at:at+n])
			out += n
			pos = at + n
			continue
		case 1:
			lit, dist = fixedLit, fixedDist
		case 2:
			hlit := int(take(5)) + 257
			hdist := int(take(5)) + 1
			hclen := int(take(4)) + 4
			if hlit > 286 || hdist > 30 {
				return 0, errCorrupt
			}
			var pl [19]uint8
			for i := 0; i < hclen; i++ {
				if nb < 3 && !refill() {
					return 0, errCorrupt
				}
				pl[preOrder[i]] = uint8(take(3))
			}
			var ok bool
			if d.pre, ok = build(d.pre, pl[:], preBits, preEntries[:]); !ok || !complete(pl[:]) {
				return 0, errCorrupt
			}
			lens := d.lens[:hlit+hdist]
			for i := 0; i < len(lens); {
				if nb < 16 && !refill() {
					return 0, errCorrupt
				}
				e := d.pre[acc&(1<<preBits-1)]
				if e&entBad != 0 {
					return 0, errCorrupt
				}
				take(uint(e & 15))
				sym := e >> 16
				if sym < 16 {
					lens[i] = uint8(sym)
					i++
					continue
				}
				var rep int
				var val uint8
				switch sym {
				case 16:
					if i == 0 {
						return 0, errCorrupt
					}
					val, rep = lens[i-1], 3+int(take(2))
				case 17:
					rep = 3 + int(take(3))
				default:
					rep = 11 + int(take(7))
				}
				if i+rep > len(lens) {
					return 0, errCorrupt
				}
				for ; rep > 0; rep-- {
					lens[i] = val
					i++
				}
			}
			if lens[256] == 0 {
				return 0, errCorrupt
			}
			if d.lit, ok = build(d.lit, lens[:hlit], litBits, litEntries[:]); !ok {
				return 0, errCorrupt
			}
			if d.dist, ok = build(d.dist, lens[hlit:], distBits, distEntries[:]); !ok {
				return 0, errCorrupt
			}
			lit, dist = d.lit, d.dist
		default:
			return 0, errCorrupt
		}
		// The symbols. After a refill acc holds at least 56 bits: enough
		// for a length code, its extra bits, a distance code and its extra
		// bits (15+5+15+13).
		for {
			if nb < 48 && !refill() {
				return 0, errCorrupt
			}
			e := lit[acc&(1<<litBits-1)]
			if e&entSub != 0 {
				take(litBits)
				e = lit[e>>16+uint32(acc&(1<<(e>>4&15)-1))]
			}
			take(uint(e & 15))
			if e&entLiteral != 0 {
				if out >= len(dst) {
					return 0, errLong
				}
				dst[out] = byte(e >> 16)
				out++
				continue
			}
			if e&(entEnd|entBad) != 0 {
				if e&entBad != 0 {
					return 0, errCorrupt
				}
				break
			}
			length := int(e>>16) + int(take(uint(e>>4&15)))
			e = dist[acc&(1<<distBits-1)]
			if e&entSub != 0 {
				take(distBits)
				e = dist[e>>16+uint32(acc&(1<<(e>>4&15)-1))]
			}
			if e&entBad != 0 {
				return 0, errCorrupt
			}
			take(uint(e & 15))
			dist := int(e>>16) + int(take(uint(e>>4&15)))
			if dist > out {
				return 0, errCorrupt
			}
			if out+length > len(dst) {
				return 0, errLong
			}
			from := out - dist
			switch {
			case dist >= 8 && out+length+8 <= len(dst):
				// Eight bytes at a time; may write up to seven bytes past
				// the match, which later output overwrites.
				for k := 0; k < length; k += 8 {
					binary.LittleEndian.PutUint64(dst[out+k:], binary.LittleEndian.Uint64(dst[from+k:]))
				}
			case dist >= length:
				copy(dst[out:out+length], dst[from:])
			default:
				// Overlapping: the copied run doubles each time.
				for k := out; k < out+length; {
					k += copy(dst[k:out+length], dst[from:k])
				}
			}
			out += length
		}
	}
	if out != len(dst) {
		return 0, errShort
	}
	// The stream ends at the last byte it took bits from.
	used := pos - int(nb>>3)
	if used > len(src) {
		return 0, errCorrupt
	}
	return used, nil
}
