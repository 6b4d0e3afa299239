package archive

import (
	"bufio"
	"encoding/binary"
	"io"
)

// Signatures and sizes of the zip records read before archive/zip is
// trusted with a file (APPNOTE.TXT 4.3.12, 4.3.14-16).
const (
	sigCentralHeader = 0x02014b50
	sigEnd           = 0x06054b50
	sigEnd64         = 0x06064b50
	sigEnd64Locator  = 0x07064b50
	centralHeaderLen = 46
	endLen           = 22
	end64Len         = 56
	end64LocatorLen  = 20
)

// zipDirectory is what the end of a zip says about its central directory.
type zipDirectory struct {
	// entries and size are as declared (the zip64 record's when there is
	// one); starts are where archive/zip may begin reading headers.
	entries uint64
	size    uint64
	starts  []int64
}

// readZipDirectory finds the end-of-central-directory record where
// archive/zip looks for it (in the last 1 KiB, then the last 65 KiB), and
// the zip64 record its locator points to, without reading the directory.
// ok is false when there is none: archive/zip then refuses the file itself.
func readZipDirectory(r io.ReaderAt, size int64) (d zipDirectory, ok bool) {
	var buf []byte
	var at int64 = -1
	for _, n := range []int64{1024, 65 * 1024} {
		n = min(n, size)
		buf = make([]byte, n)
		if m, err := r.ReadAt(buf, size-n); m != len(buf) && err != nil {
			return d, false
		}
		if p := findEnd(buf); p >= 0 {
			buf, at = buf[p:], size-n+int64(p)
			break
		}
		if n == size {
			break
		}
	}
	if at < 0 || len(buf) < endLen {
		return d, false
	}
	le := binary.LittleEndian
	d.entries = uint64(le.Uint16(buf[10:]))
	d.size = uint64(le.Uint32(buf[12:]))
	offset := uint64(le.Uint32(buf[16:]))
	if d.entries == 0xffff || d.size == 0xffff || offset == 0xffffffff {
		if p, ok := readEnd64(r, at, &d, &offset); ok {
			at = p
		}
	}
	if d.size > 1<<62 || offset > 1<<62 {
		return d, true // archive/zip refuses these; the counts still apply
	}
	// Like archive/zip: the directory is taken to end where the end record
	// starts, which tells how much was prepended (a self-extractor); when
	// a header is found at the offset as written, no base offset is used.
	base := at - int64(d.size) - int64(offset)
	for _, s := range []int64{base + int64(offset), int64(offset)} {
		if s >= 0 && s < size && (len(d.starts) == 0 || d.starts[0] != s) {
			d.starts = append(d.starts, s)
		}
	}
	return d, true
}

// findEnd returns where the last end record with a whole comment starts in
// b, or -1.
func findEnd(b []byte) int {
	for i := len(b) - endLen; i >= 0; i-- {
		if binary.LittleEndian.Uint32(b[i:]) == sigEnd {
			if n := int(binary.LittleEndian.Uint16(b[i+endLen-2:])); i+endLen+n <= len(b) {
				return i
			}
			return -1 // a truncated comment: archive/zip gives up here too
		}
	}
	return -1
}

// readEnd64 reads the zip64 end record that the locator just before the
// end record at endAt points to, into d; it returns where it starts.
func readEnd64(r io.ReaderAt, endAt int64, d *zipDirectory, offset *uint64) (int64, bool) {
	if endAt < end64LocatorLen {
		return 0, false
	}
	var loc [end64LocatorLen]byte
	if _, err := r.ReadAt(loc[:], endAt-end64LocatorLen); err != nil {
		return 0, false
	}
	le := binary.LittleEndian
	if le.Uint32(loc[0:]) != sigEnd64Locator || le.Uint32(loc[4:]) != 0 || le.Uint32(loc[16:]) != 1 {
		return 0, false
	}
	p := le.Uint64(loc[8:])
	if p > 1<<62 {
		return 0, false
	}
	var rec [end64Len]byte
	if _, err := r.ReadAt(rec[:], int64(p)); err != nil || le.Uint32(rec[0:]) != sigEnd64 {
		return 0, false
	}
	d.entries = le.Uint64(rec[32:])
	d.size = le.Uint64(rec[40:])
	*offset = le.Uint64(rec[48:])
	return int64(p), true
}

// countZipHeaders counts the central directory headers from start the way
// archive/zip reads them (one after another until one does not start with
// the signature), whatever the end record declares, and the bytes they
// take; it stops once either passes its bound, reading no further, so a
// directory of millions of entries costs a bounded read and no memory.
func countZipHeaders(r io.ReaderAt, size, start int64, maxEntries int, maxBytes int64) (n int, bytes int64) {
	br := bufio.NewReaderSize(io.NewSectionReader(r, start, size-start), 64<<10)
	var h [centralHeaderLen]byte
	le := binary.LittleEndian
	for n <= maxEntries && bytes <= maxBytes {
		if _, err := io.ReadFull(br, h[:]); err != nil || le.Uint32(h[0:]) != sigCentralHeader {
			return n, bytes
		}
		// Name, extra field and comment follow the fixed part.
		rest := int(le.Uint16(h[28:])) + int(le.Uint16(h[30:])) + int(le.Uint16(h[32:]))
		if m, _ := br.Discard(rest); m != rest {
			return n, bytes
		}
		n++
		bytes += int64(centralHeaderLen + rest)
	}
	return n, bytes
}
