package archive

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"strings"
	"testing"
)

// directoryBomb builds a zip whose central directory holds n headers, all
// pointing at one stored two-byte file named "a" (each header carries extra
// bytes of extra field), and whose zip64 end record declares `declared`
// entries: the shape of a 470 MB file listing 10M entries, at any size.
func directoryBomb(n int, declared uint64, extra int) []byte {
	var b bytes.Buffer
	le := binary.LittleEndian
	data := []byte("x\n")
	put := func(v ...any) {
		for _, x := range v {
			binary.Write(&b, le, x)
		}
	}
	put(uint32(0x04034b50), uint16(10), uint16(0), uint16(0), uint16(0), uint16(0), crc32.ChecksumIEEE(data),
		uint32(len(data)), uint32(len(data)), uint16(1), uint16(0))
	b.WriteString("a")
	b.Write(data)
	cdStart := uint64(b.Len())
	pad := make([]byte, extra)
	if extra >= 4 {
		le.PutUint16(pad, 0xcafe) // an unknown extra field archive/zip skips
		le.PutUint16(pad[2:], uint16(extra-4))
	}
	for i := 0; i < n; i++ {
		put(uint32(0x02014b50), uint16(20), uint16(10), uint16(0), uint16(0), uint16(0), uint16(0), crc32.ChecksumIEEE(data),
			uint32(len(data)), uint32(len(data)), uint16(1), uint16(extra), uint16(0), uint16(0), uint16(0), uint32(0), uint32(0))
		b.WriteString("a")
		b.Write(pad)
	}
	cdSize := uint64(b.Len()) - cdStart
	end64 := uint64(b.Len())
	put(uint32(0x06064b50), uint64(44), uint16(45), uint16(45), uint32(0), uint32(0), declared, declared, cdSize, cdStart)
	put(uint32(0x07064b50), uint32(0), end64, uint32(1))
	put(uint32(0x06054b50), uint16(0), uint16(0), uint16(0xffff), uint16(0xffff), uint32(0xffffffff), uint32(0xffffffff), uint16(0))
	return b.Bytes()
}

// A small zip whose end record claims 10M entries is refused before its
// directory is read: one warning naming the archive and the count, no
// entry handed over, almost nothing allocated.
func TestZipDeclaringTooManyEntriesIsNotRead(t *testing.T) {
	data := directoryBomb(3, 10_000_000, 0)
	var g got
	alloc := allocated(func() { g = walk(t, "claims.zip", data, Limits{}) })
	hit := limitHits(g.problems)[LimitEntries]
	if hit == nil || hit.Archive != "claims.zip" || hit.Listed != 10_000_000 || hit.Found || len(g.problems) != 1 {
		t.Fatalf("want one entries-limit warning for claims.zip, got %v", g.problems)
	}
	if msg := hit.Error(); !strings.Contains(msg, "claims.zip") || !strings.Contains(msg, "declares 10000000 entries") || !strings.Contains(msg, "(100000)") {
		t.Errorf("warning %q", msg)
	}
	if len(g.entries) != 0 {
		t.Errorf("entries handed over: %v", keys(g.entries))
	}
	if alloc > 1<<20 {
		t.Errorf("refusing it allocated %d KiB", alloc>>10)
	}
	// Under the limit, the same shape is read.
	if g := walk(t, "ok.zip", directoryBomb(1, 1, 0), Limits{}); len(g.problems) != 0 || g.entries["ok.zip!a"] != "x\n" {
		t.Fatalf("a small zip: %v %v", g.problems, g.entries)
	}
}

// archive/zip reads headers until one is missing and checks the declared
// count only modulo 65536: a zip declaring 5 entries can list 65,541. The
// headers are counted, so it is refused all the same, after reading at
// most the limit's worth of them.
func TestZipUnderstatingItsEntriesIsCounted(t *testing.T) {
	data := directoryBomb(65536+5, 5, 0)
	// It understates its directory's size too (5 headers' worth).
	binary.LittleEndian.PutUint64(data[len(data)-22-20-56+40:], 5*47)
	if zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data))); err != nil || len(zr.File) != 65541 {
		t.Fatalf("archive/zip should read all 65541 headers of this zip: %v", err)
	}
	g := walk(t, "liar.zip", data, Limits{MaxEntries: 1000})
	hit := limitHits(g.problems)[LimitEntries]
	if hit == nil || !hit.Found || hit.Archive != "liar.zip" || len(g.entries) != 0 {
		t.Fatalf("want the entries limit found in liar.zip, got %v (%d entries)", g.problems, len(g.entries))
	}
	if msg := hit.Error(); !strings.Contains(msg, "holds more than 1000 entries") {
		t.Errorf("warning %q", msg)
	}
}

// Headers under the entries limit can still make a directory of gigabytes
// (64 KiB extra fields): its size is bounded too, declared or counted.
func TestZipDirectorySizeLimit(t *testing.T) {
	honest := directoryBomb(40, 40, 60000) // 2.4 MB of directory, 1 MiB allowed
	g := walk(t, "fat.zip", honest, Limits{MaxEntries: 100})
	if hit := limitHits(g.problems)[LimitDirectory]; hit == nil || hit.Found || hit.Listed != 40*(46+1+60000) || len(g.entries) != 0 {
		t.Fatalf("declared size: %v", g.problems)
	}
	// The same directory declaring a small size is measured instead.
	lying := bytes.Clone(honest)
	end64 := len(lying) - 22 - 20 - 56
	binary.LittleEndian.PutUint64(lying[end64+40:], 100)
	// The directory's end is where its offset says, so the start stays.
	g = walk(t, "fat.zip", lying, Limits{MaxEntries: 100})
	if hit := limitHits(g.problems)[LimitDirectory]; hit == nil || !hit.Found || len(g.entries) != 0 {
		t.Fatalf("measured size: %v", g.problems)
	}
}

// A refused zip inside another archive costs its own warning and leaves
// the outer archive's other entries scanned.
func TestNestedZipOverTheLimitIsSkipped(t *testing.T) {
	outer := storedZipOf(t, file{"inner.zip", directoryBomb(2, 10_000_000, 0)}, file{"b.txt", []byte("secret here")})
	g := walk(t, "outer.zip", outer, Limits{})
	hit := limitHits(g.problems)[LimitEntries]
	if hit == nil || hit.Archive != "outer.zip!inner.zip" {
		t.Fatalf("%v", g.problems)
	}
	if g.entries["outer.zip!b.txt"] != "secret here" || len(g.entries) != 1 {
		t.Fatalf("entries %v", keys(g.entries))
	}
	var le *LimitError
	if !errors.As(hit, &le) {
		t.Fatal("not a LimitError")
	}
}

// FuzzZipDirectory reads any bytes as the end of a zip: no panic, the
// starts it gives are inside the file, and counting stops at its bounds.
func FuzzZipDirectory(f *testing.F) {
	f.Add(directoryBomb(2, 10_000_000, 0))
	f.Add(directoryBomb(3, 3, 8))
	f.Add([]byte("PK\x05\x06\x00\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x00\x00"))
	f.Add([]byte("PK\x06\x07\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00PK\x05\x06\x00\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		d, ok := readZipDirectory(r, int64(len(data)))
		if !ok {
			return
		}
		for _, s := range d.starts {
			if s < 0 || s >= int64(len(data)) {
				t.Fatalf("start %d outside %d bytes", s, len(data))
			}
			n, b := countZipHeaders(r, int64(len(data)), s, 10, 1<<20)
			if n > 11 || b > int64(len(data)) {
				t.Fatalf("counted %d headers, %d bytes in %d bytes", n, b, len(data))
			}
		}
	})
}
