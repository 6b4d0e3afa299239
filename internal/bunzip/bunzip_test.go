package bunzip

import (
	"bytes"
	"compress/bzip2"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// streams are the bzip2 files the tests decode: those in testdata (made by
// the bzip2 tool: empty, tiny, run-length edge cases, two blocks, random
// bytes, every byte value, one long run, runs of exactly four), two
// concatenated, and the Go tree's own when it is there.
func streams(t testing.TB) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, dir := range []string{"testdata", filepath.Join(runtime.GOROOT(), "src", "compress", "bzip2", "testdata")} {
		names, _ := filepath.Glob(filepath.Join(dir, "*.bz2"))
		for _, n := range names {
			b, err := os.ReadFile(n)
			if err != nil {
				t.Fatal(err)
			}
			out[n] = b
		}
	}
	if len(out) < 7 {
		t.Fatalf("only %d test streams found", len(out))
	}
	out["concatenated"] = append(append(slicesClone(out["testdata/runs.bz2"]), out["testdata/hello.bz2"]...), out["testdata/blocks.bz2"]...)
	return out
}

func slicesClone(b []byte) []byte { return append([]byte(nil), b...) }

// std decodes with compress/bzip2, the reference.
func std(data []byte) ([]byte, error) {
	return io.ReadAll(bzip2.NewReader(bytes.NewReader(data)))
}

// oddReader returns at most a few bytes per Read, so that every refill
// and byte-at-a-time path of the bit reader is taken.
type oddReader struct {
	b []byte
	r *rand.Rand
}

func (o *oddReader) Read(p []byte) (int, error) {
	if len(o.b) == 0 {
		return 0, io.EOF
	}
	n := min(len(p), len(o.b), 1+o.r.IntN(13))
	copy(p, o.b[:n])
	o.b = o.b[n:]
	return n, nil
}

func TestDecodesAsCompressBzip2(t *testing.T) {
	z := NewReader(nil) // one Reader for all: Reset keeps its tables
	for name, data := range streams(t) {
		want, err := std(data)
		if err != nil {
			t.Fatalf("%s: compress/bzip2: %v", name, err)
		}
		z.Reset(bytes.NewReader(data))
		got, err := io.ReadAll(z)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: got %d bytes (%v), want %d", name, len(got), err, len(want))
		}
		z.Reset(&oddReader{b: data, r: rand.New(rand.NewPCG(1, uint64(len(data))))})
		got, err = io.ReadAll(z)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s, read a few bytes at a time: got %d bytes (%v), want %d", name, len(got), err, len(want))
		}
	}
}

func TestDamagedStreams(t *testing.T) {
	blocks, err := os.ReadFile("testdata/blocks.bz2")
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) []byte {
		b := slicesClone(blocks)
		b[i] ^= 0x10
		return b
	}
	crc := slicesClone(blocks)
	crc[10] ^= 1 // the first block's stored CRC (after "BZh1" and the 6-byte magic)
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty input", nil, io.ErrUnexpectedEOF.Error()},
		{"not bzip2", []byte("hello, world"), "bzip2 data invalid: bad magic value"},
		{"bad level", []byte("BZh0"), "bzip2 data invalid: invalid compression level"},
		{"truncated", blocks[:len(blocks)/2], io.ErrUnexpectedEOF.Error()},
		{"stored CRC changed", crc, "bzip2 data invalid: block checksum mismatch"},
		{"trailing garbage", append(slicesClone(blocks), "garbage"...), "bzip2 data invalid: bad magic value in continuation file"},
	} {
		_, err := io.ReadAll(NewReader(bytes.NewReader(c.data)))
		if err == nil || err.Error() != c.want {
			t.Errorf("%s: got %v, want %s", c.name, err, c.want)
		}
		if _, serr := std(c.data); serr == nil {
			t.Errorf("%s: compress/bzip2 accepts it", c.name)
		}
	}
	// Damage anywhere fails (or, rarely, decodes to what compress/bzip2
	// decodes too); it never panics.
	for i := 0; i < len(blocks); i += 97 {
		data := flip(i)
		got, err := io.ReadAll(NewReader(bytes.NewReader(data)))
		want, serr := std(data)
		if err == nil && (serr != nil || !bytes.Equal(got, want)) {
			t.Errorf("byte %d changed: accepted, but compress/bzip2 says %v", i, serr)
		}
		if err != nil && serr != nil && !bytes.Equal(got, want) {
			t.Errorf("byte %d changed: %d bytes before %v, compress/bzip2 gave %d before %v", i, len(got), err, len(want), serr)
		}
	}
}

func TestBound(t *testing.T) {
	data, err := os.ReadFile("testdata/blocks.bz2")
	if err != nil {
		t.Fatal(err)
	}
	whole, err := std(data)
	if err != nil {
		t.Fatal(err)
	}
	var bounds, outs []int64
	z := NewReader(bytes.NewReader(data))
	var out int64
	z.Bound = func(minOut int64) error {
		bounds = append(bounds, minOut)
		outs = append(outs, out)
		return nil
	}
	buf := make([]byte, 1000)
	for {
		n, err := z.Read(buf)
		out += int64(n)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if out != int64(len(whole)) || len(bounds) != 2 {
		t.Fatalf("read %d bytes of %d, %d bounds %v: want the two blocks'", out, len(whole), len(bounds), bounds)
	}
	// Each bound is heard when all earlier blocks have been read, and the
	// least its block can give is no more than the block gave.
	ends := []int64{outs[1], out}
	for i, b := range bounds {
		if b <= outs[i] || outs[i]+LeastOut(b-outs[i]) > ends[i] {
			t.Errorf("block %d: bound %d, read before it %d, after it %d", i, b, outs[i], ends[i])
		}
	}

	stop := errors.New("over the limit")
	z.Reset(bytes.NewReader(data))
	z.Bound = func(minOut int64) error {
		if minOut > bounds[0] {
			return stop
		}
		return nil
	}
	got, err := io.ReadAll(z)
	if err != stop || !bytes.Equal(got, whole[:outs[1]]) {
		t.Errorf("stopped at the second block: got %d bytes and %v, want the first block's %d and the Bound's error", len(got), err, outs[1])
	}
	if _, err := z.Read(buf); err != stop {
		t.Errorf("read after the stop: %v", err)
	}
}

// TestLeastOut reads every test stream a block at a time: each block gives
// at least LeastOut of its symbols, and the runs of exactly four in
// fours.bz2 (a count of none after each) make it give fewer bytes than it
// has symbols, so the symbol count alone is no least.
func TestLeastOut(t *testing.T) {
	for name, data := range streams(t) {
		z := NewReader(bytes.NewReader(data))
		var counts []int64
		var starts []int64
		z.Bound = func(out int64) error {
			counts = append(counts, out-z.Out())
			starts = append(starts, z.Out())
			return nil
		}
		got, err := io.ReadAll(z)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for i, n := range counts {
			end := int64(len(got))
			if i+1 < len(starts) {
				end = starts[i+1]
			}
			gave := end - starts[i]
			if gave < LeastOut(n) {
				t.Errorf("%s: block %d has %d symbols and gave %d bytes, under LeastOut %d", name, i, n, gave, LeastOut(n))
			}
			if strings.HasSuffix(name, "fours.bz2") && gave >= n {
				t.Errorf("%s: block %d has %d symbols and gave %d bytes: want fewer", name, i, n, gave)
			}
		}
	}
	if LeastOut(0) != 0 || LeastOut(5) != 4 || LeastOut(9) != 7 {
		t.Errorf("LeastOut(0, 5, 9) = %d, %d, %d: want 0, 4, 7", LeastOut(0), LeastOut(5), LeastOut(9))
	}
}

func TestCRC(t *testing.T) {
	naive := func(crc uint32, p []byte) uint32 {
		c := ^crc
		for _, b := range p {
			c ^= uint32(b) << 24
			for range 8 {
				if c&0x80000000 != 0 {
					c = c<<1 ^ 0x04c11db7
				} else {
					c <<= 1
				}
			}
		}
		return ^c
	}
	r := rand.New(rand.NewPCG(3, 4))
	for n := range 100 {
		p := make([]byte, n*7)
		for i := range p {
			p[i] = byte(r.Uint32())
		}
		seed := r.Uint32()
		if got, want := updateCRC(seed, p), naive(seed, p); got != want {
			t.Fatalf("%d bytes: %08x, want %08x", len(p), got, want)
		}
	}
	if got := updateCRC(0, []byte("123456789")); got != 0xfc891918 {
		t.Errorf("CRC of the check string: %08x, want fc891918", got)
	}
}

func FuzzReader(f *testing.F) {
	for _, data := range streams(f) {
		if len(data) < 4096 {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := io.ReadAll(NewReader(bytes.NewReader(data)))
		want, serr := std(data)
		if (err == nil) != (serr == nil) || err == nil && !bytes.Equal(got, want) {
			t.Fatalf("got %d bytes, %v; compress/bzip2 %d bytes, %v", len(got), err, len(want), serr)
		}
	})
}

func BenchmarkDecode(b *testing.B) {
	for _, name := range []string{"testdata/blocks.bz2", filepath.Join(runtime.GOROOT(), "src", "compress", "bzip2", "testdata", "Isaac.Newton-Opticks.txt.bz2")} {
		data, err := os.ReadFile(name)
		if err != nil {
			b.Skip(err)
		}
		b.Run(filepath.Base(name)+"/bunzip", func(b *testing.B) {
			z := NewReader(nil)
			for b.Loop() {
				z.Reset(bytes.NewReader(data))
				n, err := io.Copy(io.Discard, z)
				if err != nil {
					b.Fatal(err)
				}
				b.SetBytes(n)
			}
		})
		b.Run(filepath.Base(name)+"/compress-bzip2", func(b *testing.B) {
			for b.Loop() {
				n, err := io.Copy(io.Discard, bzip2.NewReader(bytes.NewReader(data)))
				if err != nil {
					b.Fatal(err)
				}
				b.SetBytes(n)
			}
		})
	}
}

// Blocks hears the symbol count of every block, as Bound does, without
// unsorting any; a stream cut short or damaged in its codes fails it as it
// fails Read.
func TestBlocks(t *testing.T) {
	z := NewReader(nil)
	for name, data := range streams(t) {
		var bound []int64
		z.Reset(bytes.NewReader(data))
		z.Bound = func(out int64) error {
			bound = append(bound, out-z.Out())
			return nil
		}
		if _, err := io.ReadAll(z); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var blocks []int64
		z.Reset(bytes.NewReader(data))
		if err := z.Blocks(func(n int64) error { blocks = append(blocks, n); return nil }); err != nil {
			t.Errorf("%s: Blocks: %v", name, err)
		}
		if !slices.Equal(blocks, bound) {
			t.Errorf("%s: Blocks heard %v, Bound %v", name, blocks, bound)
		}
	}
	data, err := os.ReadFile("testdata/blocks.bz2")
	if err != nil {
		t.Fatal(err)
	}
	stop := errors.New("stop")
	calls := 0
	z.Reset(bytes.NewReader(data))
	if err := z.Blocks(func(int64) error { calls++; return stop }); err != stop || calls != 1 {
		t.Errorf("a stopping fn: %v after %d calls, want stop after 1", err, calls)
	}
	z.Reset(bytes.NewReader(data[:len(data)/2]))
	if err := z.Blocks(func(int64) error { return nil }); err != io.ErrUnexpectedEOF {
		t.Errorf("cut short: %v, want %v", err, io.ErrUnexpectedEOF)
	}
	z.Reset(bytes.NewReader([]byte("BZh0")))
	if err := z.Blocks(func(int64) error { return nil }); err == nil || err.Error() != "bzip2 data invalid: invalid compression level" {
		t.Errorf("bad level: %v", err)
	}
}
