// Package bunzip decompresses bzip2 streams (concatenated ones too), giving
// the same bytes and the same verdicts on damaged input as compress/bzip2,
// for a scanner that opens many of them:
//
//   - Symbols are read through one-level lookup tables (codes up to 10 bits
//     long, the rest by length), 64 bits of input at a time, where
//     compress/bzip2 walks a tree bit by bit.
//   - A Reader keeps its 3.6 MB block table from one stream to the next
//     (Reset), where compress/bzip2 allocates and clears it anew.
//   - A block's symbols tell, before the block is unsorted, how many bytes it
//     will at least produce: Bound, when set, hears that number and may stop
//     the stream there. Unsorting a block (following 900,000 links through the
//     table, one cache miss each) is most of what decoding costs, so a caller
//     that checks an expansion ratio stops a stream that is over it for the
//     price of reading its codes. Blocks reads only the symbols of every
//     block, so that a caller may judge a whole stream before unsorting any
//     of it.
//
// The output stage mirrors compress/bzip2's exactly, including how it reads
// a run-length byte that no encoder writes, so that both agree on any input.
package bunzip

import (
	"encoding/binary"
	"io"
)

// Error is a structural fault of the stream.
type Error string

func (e Error) Error() string { return "bzip2 data invalid: " + string(e) }

const (
	blockMagic = 0x314159265359
	finalMagic = 0x177245385090
	maxCodeLen = 20
	maxGroups  = 6
	maxAlpha   = 258 // 256 byte values, RUNA, RUNB, less one (MTF 0 is a run), plus end of block
	groupLen   = 50  // symbols coded with one table before the next selector
	tableBits  = 10
	inSize     = 4096 // input is read this much at a time, as bufio reads for compress/bzip2
	maxRepeat  = 2 << 20
)

// Reader decompresses one bzip2 file: a stream, or several one after another.
// It is not safe for concurrent use.
type Reader struct {
	// Bound, when set, is called when a block's symbols have been read and
	// before the block is unsorted, with the bytes returned so far plus the
	// block's symbol count. The block gives about that many bytes: one fewer
	// for each run of exactly four equal bytes (written as the four and a
	// count of none), more for longer runs, and never fewer than LeastOut of
	// the count. An error Bound returns ends the stream: Read returns it
	// from then on.
	Bound func(out int64) error

	skim     func(symbols int64) error // set by Blocks
	src      io.Reader
	in       [inSize]byte
	pos, end int
	srcErr   error
	bits     uint64 // the next nbits bits of input, from the top
	nbits    uint
	short    bool // a read went past the end of the input

	started   bool
	blockSize int
	fileCRC   uint32
	out       int64
	err       error

	// The block being read.
	tt          []uint32 // low byte: the block's bytes in sorted order; above: the links
	inBlock     bool
	left        int // bytes of the block not yet unsorted
	tPos        uint32
	lastByte    int
	byteRepeats int
	repeats     int
	blockCRC    uint32
	wantCRC     uint32

	selectors []uint8
	lengths   [maxAlpha]uint8
	tables    [maxGroups]table
	counts    [256]uint32
}

// NewReader returns a Reader of r.
func NewReader(r io.Reader) *Reader {
	z := &Reader{}
	z.Reset(r)
	return z
}

// Reset makes z read a new file from r, keeping its tables; Bound is
// cleared.
func (z *Reader) Reset(r io.Reader) {
	*z = Reader{src: r, tt: z.tt, selectors: z.selectors}
}

// LeastOut is the fewest bytes a block of n symbols can give: a count
// byte follows four equal bytes, or three more after a count of none, so at
// most one symbol in four after the first is a count, and each of the
// others is a byte of output.
func LeastOut(n int64) int64 { return n - n/4 }

// Out is how many bytes Read has returned since the last Reset.
func (z *Reader) Out() int64 { return z.out }

// Blocks reads the file's blocks without unsorting any: it calls fn with
// each block's symbol count, in order (what Bound hears of a block, less
// the bytes before it), and returns fn's error, a structural fault of the
// stream, or nil at its end. Nothing comes out, so no checksum of the
// output is checked; z takes a Reset before it reads again.
func (z *Reader) Blocks(fn func(symbols int64) error) error {
	z.skim = fn
	if err := z.header(true); err != nil {
		return err
	}
	for {
		switch err := z.next(); err {
		case nil:
		case io.EOF:
			return nil
		default:
			return err
		}
	}
}

// Read reads decompressed bytes into p.
func (z *Reader) Read(p []byte) (int, error) {
	if z.err != nil {
		return 0, z.err
	}
	if !z.started {
		if err := z.header(true); err != nil {
			z.err = err
			return 0, err
		}
		z.started = true
	}
	for {
		n := z.readFromBlock(p)
		if n > 0 || len(p) == 0 {
			z.blockCRC = updateCRC(z.blockCRC, p[:n])
			z.out += int64(n)
			return n, nil
		}
		if z.inBlock {
			if z.blockCRC != z.wantCRC {
				z.err = Error("block checksum mismatch")
				return 0, z.err
			}
			z.inBlock = false
		}
		if err := z.next(); err != nil {
			z.err = err
			return 0, err
		}
	}
}

// header reads a stream's "BZh" and level.
func (z *Reader) header(magic bool) error {
	if magic && z.readBits(16) != 'B'<<8|'Z' {
		return z.fault("bad magic value")
	}
	if z.readBits(8) != 'h' {
		return z.fault("non-Huffman entropy encoding")
	}
	level := z.readBits(8)
	if level < '1' || level > '9' {
		return z.fault("invalid compression level")
	}
	z.fileCRC = 0
	z.blockSize = 100_000 * int(level-'0')
	if z.blockSize > len(z.tt) {
		z.tt = make([]uint32, z.blockSize)
	}
	return nil
}

// fault is err, unless the input ended first.
func (z *Reader) fault(err Error) error {
	if z.short {
		return io.ErrUnexpectedEOF
	}
	return err
}

// next reads what follows a block: the next block, or the end of a stream
// and what may follow it.
func (z *Reader) next() error {
	switch uint64(z.readBits(24))<<24 | uint64(z.readBits(24)) {
	case blockMagic:
		return z.readBlock()
	case finalMagic:
		want := z.readBits(32)
		if z.short {
			return io.ErrUnexpectedEOF
		}
		if want != z.fileCRC {
			return Error("file checksum mismatch")
		}
		z.readBits(z.nbits % 8)
		b, ok := z.byte()
		if !ok {
			if z.srcErr != nil && z.srcErr != io.EOF {
				return z.srcErr
			}
			return io.EOF
		}
		c, ok := z.byte()
		if !ok {
			if z.srcErr != nil && z.srcErr != io.EOF {
				return z.srcErr
			}
			return io.ErrUnexpectedEOF
		}
		if b != 'B' || c != 'Z' {
			return Error("bad magic value in continuation file")
		}
		return z.header(false)
	default:
		return z.fault("bad magic value found")
	}
}

// readBlock reads a block's tables and symbols, then, unless Bound stops
// the stream, unsorts it.
func (z *Reader) readBlock() error {
	z.wantCRC = z.readBits(32)
	z.blockCRC = 0
	z.fileCRC = (z.fileCRC<<1 | z.fileCRC>>31) ^ z.wantCRC
	if z.readBits(1) != 0 {
		return z.fault("deprecated randomized files")
	}
	origPtr := int(z.readBits(24))

	var symbols [256]byte
	nsym := 0
	used := z.readBits(16)
	for r := range 16 {
		if used&(1<<(15-r)) == 0 {
			continue
		}
		bits := z.readBits(16)
		for s := range 16 {
			if bits&(1<<(15-s)) != 0 {
				symbols[nsym] = byte(16*r + s)
				nsym++
			}
		}
	}
	if nsym == 0 {
		return z.fault("no symbols in input")
	}
	ngroups := int(z.readBits(3))
	if ngroups < 2 || ngroups > maxGroups {
		return z.fault("invalid number of Huffman trees")
	}
	nsel := int(z.readBits(15))
	if cap(z.selectors) < nsel {
		z.selectors = make([]uint8, 1<<15)
	}
	sel := z.selectors[:nsel]
	groups := [maxGroups]uint8{0, 1, 2, 3, 4, 5}
	for i := range sel {
		c := 0
		for z.readBits(1) != 0 {
			c++
			if c >= ngroups {
				return z.fault("tree index too large")
			}
		}
		g := groups[c]
		copy(groups[1:c+1], groups[:c])
		groups[0] = g
		sel[i] = g
	}

	alpha := nsym + 2
	lengths := z.lengths[:alpha]
	for g := range ngroups {
		l := z.readBits(5)
		for i := range lengths {
			for {
				if l < 1 || l > maxCodeLen {
					return z.fault("Huffman length out of range")
				}
				if z.readBits(1) == 0 {
					break
				}
				if z.readBits(1) != 0 {
					l--
				} else {
					l++
				}
			}
			lengths[i] = uint8(l)
		}
		if !z.tables[g].build(lengths) {
			return z.fault("Huffman code over-subscribed")
		}
	}
	if len(sel) == 0 {
		return z.fault("no tree selectors given")
	}
	if int(sel[0]) >= ngroups {
		return z.fault("tree selector out of range")
	}

	n, err := z.symbols(sel, ngroups, alpha, &symbols)
	if err != nil {
		return err
	}
	if z.short {
		return io.ErrUnexpectedEOF
	}
	if origPtr >= n {
		return Error("origPtr out of bounds")
	}
	if z.skim != nil {
		return z.skim(int64(n))
	}
	if z.Bound != nil {
		if err := z.Bound(z.out + int64(n)); err != nil {
			return err
		}
	}

	// Unsort: link each byte to the next one of the text.
	tt := z.tt[:n]
	var sum uint32
	for i, c := range z.counts {
		z.counts[i] = sum
		sum += c
	}
	for i, t := range tt {
		b := t & 0xff
		tt[z.counts[b]] |= uint32(i) << 8
		z.counts[b]++
	}
	z.tPos = tt[origPtr] >> 8
	z.left = n
	z.lastByte = -1
	z.byteRepeats = 0
	z.repeats = 0
	z.inBlock = true
	return nil
}

// symbols decodes a block's symbols into z.tt (one byte each, in the
// block's sorted order) and counts each byte value in z.counts; it returns
// how many there are. For Blocks it only counts them.
func (z *Reader) symbols(sel []uint8, ngroups, alpha int, symbols *[256]byte) (int, error) {
	onlyCount := z.skim != nil // Blocks needs no bytes
	clear(z.counts[:])
	mtf := *symbols
	tt := z.tt[:z.blockSize]
	eob := uint16(alpha - 1)
	t := &z.tables[sel[0]]
	next, decoded := 1, 0
	n, repeat, power := 0, 0, 0
	for {
		if decoded == groupLen {
			if next >= len(sel) {
				return 0, z.fault("insufficient selector indices for number of symbols")
			}
			if int(sel[next]) >= ngroups {
				return 0, z.fault("tree selector out of range")
			}
			if z.short {
				return 0, io.ErrUnexpectedEOF
			}
			t = &z.tables[sel[next]]
			next++
			decoded = 0
		}
		if z.nbits < maxCodeLen {
			z.fill()
		}
		var v uint16
		var l uint
		if e := t.fast[z.bits>>(64-tableBits)]; e != 0 {
			v, l = e>>5, uint(e&31)
		} else if v, l = t.slow(z.bits); l == 0 {
			return 0, z.fault("invalid Huffman code")
		}
		if l > z.nbits {
			return 0, io.ErrUnexpectedEOF
		}
		z.bits <<= l
		z.nbits -= l
		decoded++

		if v < 2 { // RUNA or RUNB: a digit of a run of the front byte
			if repeat == 0 {
				power = 1
			}
			repeat += power << v
			power <<= 1
			if repeat > maxRepeat {
				return 0, z.fault("repeat count too large")
			}
			continue
		}
		if repeat > 0 {
			if repeat > z.blockSize-n {
				return 0, z.fault("repeats past end of block")
			}
			if !onlyCount {
				b := mtf[0]
				for i := n; i < n+repeat; i++ {
					tt[i] = uint32(b)
				}
				z.counts[b] += uint32(repeat)
			}
			n += repeat
			repeat = 0
		}
		if v == eob {
			return n, nil
		}
		if n >= z.blockSize {
			return 0, z.fault("data exceeds block size")
		}
		if !onlyCount {
			// Move to front: symbol v names position v-1 (position 0 is
			// only ever named by a run).
			i := int(v - 1)
			b := mtf[i]
			copy(mtf[1:i+1], mtf[:i])
			mtf[0] = b
			tt[n] = uint32(b)
			z.counts[b]++
		}
		n++
	}
}

// readFromBlock unsorts bytes of the current block into p, undoing the
// run-length step on the way: four equal bytes are followed by a count of
// further repeats.
func (z *Reader) readFromBlock(p []byte) int {
	tt := z.tt
	tPos, left := z.tPos, z.left
	last, byteRepeats, repeats := z.lastByte, z.byteRepeats, z.repeats
	n := 0
	for (repeats > 0 || left > 0) && n < len(p) {
		if repeats > 0 {
			p[n] = byte(last)
			n++
			repeats--
			if repeats == 0 {
				last = -1
			}
			continue
		}
		t := tt[tPos]
		b := byte(t)
		tPos = t >> 8
		left--
		if byteRepeats == 3 {
			repeats = int(b)
			byteRepeats = 0
			continue
		}
		if last == int(b) {
			byteRepeats++
		} else {
			byteRepeats = 0
		}
		last = int(b)
		p[n] = b
		n++
	}
	z.tPos, z.left = tPos, left
	z.lastByte, z.byteRepeats, z.repeats = last, byteRepeats, repeats
	return n
}

// readBits reads n bits (at most 32), zeros past the end of the input
// (setting short).
func (z *Reader) readBits(n uint) uint32 {
	if n == 0 {
		return 0
	}
	if z.nbits < n {
		z.fill()
		if z.nbits < n {
			z.short = true
			z.bits, z.nbits = 0, 0
			return 0
		}
	}
	v := uint32(z.bits >> (64 - n))
	z.bits <<= n
	z.nbits -= n
	return v
}

// byte reads a whole byte, after what is left of the bit buffer (which
// holds whole bytes only, at a stream's end).
func (z *Reader) byte() (byte, bool) {
	if z.nbits >= 8 {
		return byte(z.readBits(8)), true
	}
	if z.pos == z.end && !z.refill() {
		return 0, false
	}
	b := z.in[z.pos]
	z.pos++
	z.bits = 0 // bits a fill left below nbits are stale now
	return b, true
}

// fill tops the bit buffer up to more than 56 bits, or to the end of the
// input. The bits below the first nbits are either zero or the input's
// next bits, so that OR-ing those bits in again changes nothing.
func (z *Reader) fill() {
	for z.nbits <= 56 {
		if z.pos+8 <= z.end {
			v := binary.BigEndian.Uint64(z.in[z.pos:])
			z.bits |= v >> z.nbits
			k := (64 - z.nbits) >> 3
			z.pos += int(k)
			z.nbits += k << 3
			return
		}
		if z.pos == z.end && !z.refill() {
			return
		}
		z.bits |= uint64(z.in[z.pos]) << (56 - z.nbits)
		z.pos++
		z.nbits += 8
	}
}

// refill reads more input after the buffer is used up; false at its end.
func (z *Reader) refill() bool {
	if z.srcErr != nil {
		return false
	}
	for range 100 {
		n, err := z.src.Read(z.in[:])
		z.pos, z.end = 0, n
		if err != nil {
			z.srcErr = err
		}
		if n > 0 {
			return true
		}
		if err != nil {
			return false
		}
	}
	z.srcErr = io.ErrNoProgress
	return false
}

// table decodes one Huffman code: codes of up to tableBits bits by lookup,
// longer ones by length (canonical codes: at each length, consecutive
// values in symbol order, after the shorter codes).
type table struct {
	fast   [1 << tableBits]uint16 // symbol<<5 | length; 0: a longer code
	first  [maxCodeLen + 1]uint32 // the first code of each length
	count  [maxCodeLen + 1]uint32 // codes of each length
	offs   [maxCodeLen + 1]uint16 // where each length's symbols start in perm
	perm   [maxAlpha]uint16
	maxLen uint
}

// build makes the table of a code given by its lengths; false when the
// lengths over-subscribe the code space.
func (t *table) build(lengths []uint8) bool {
	clear(t.count[:])
	for _, l := range lengths {
		t.count[l]++
	}
	code, off := uint32(0), uint16(0)
	t.maxLen = 0
	for l := 1; l <= maxCodeLen; l++ {
		t.first[l], t.offs[l] = code, off
		off += uint16(t.count[l])
		code += t.count[l]
		if code > 1<<l {
			return false
		}
		if t.count[l] > 0 {
			t.maxLen = uint(l)
		}
		code <<= 1
	}
	clear(t.fast[:])
	cursor := t.offs
	for s, l := range lengths {
		i := cursor[l]
		cursor[l]++
		t.perm[i] = uint16(s)
		if l > tableBits {
			continue
		}
		c := t.first[l] + uint32(i-t.offs[l])
		e := uint16(s)<<5 | uint16(l)
		shift := tableBits - uint(l)
		for j := c << shift; j < (c+1)<<shift; j++ {
			t.fast[j] = e
		}
	}
	return true
}

// slow decodes a code longer than tableBits from the top of bits; length
// 0 when no code matches.
func (t *table) slow(bits uint64) (uint16, uint) {
	for l := uint(tableBits + 1); l <= t.maxLen; l++ {
		if d := uint32(bits>>(64-l)) - t.first[l]; d < t.count[l] {
			return t.perm[t.offs[l]+uint16(d)], l
		}
	}
	return 0, 0
}
