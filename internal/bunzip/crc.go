package bunzip

import "encoding/binary"

// bzip2's CRC is CRC-32 with the bits taken most significant first
// (polynomial 0x04c11db7, not reflected), so hash/crc32 cannot compute it.
// crcTables[k][b] is the CRC register's change for byte b followed by k zero
// bytes, so that eight bytes are folded in at once.
var crcTables = func() (t [8][256]uint32) {
	for b := range 256 {
		c := uint32(b) << 24
		for range 8 {
			if c&0x80000000 != 0 {
				c = c<<1 ^ 0x04c11db7
			} else {
				c <<= 1
			}
		}
		t[0][b] = c
	}
	for k := 1; k < 8; k++ {
		for b := range 256 {
			c := t[k-1][b]
			t[k][b] = c<<8 ^ t[0][c>>24]
		}
	}
	return t
}()

// updateCRC adds p to the CRC crc (of what came before it).
func updateCRC(crc uint32, p []byte) uint32 {
	c := ^crc
	t := &crcTables
	for len(p) >= 8 {
		c ^= binary.BigEndian.Uint32(p)
		c = t[7][c>>24] ^ t[6][c>>16&0xff] ^ t[5][c>>8&0xff] ^ t[4][c&0xff] ^
			t[3][p[4]] ^ t[2][p[5]] ^ t[1][p[6]] ^ t[0][p[7]]
		p = p[8:]
	}
	for _, b := range p {
		c = t[0][byte(c>>24)^b] ^ c<<8
	}
	return ^c
}
