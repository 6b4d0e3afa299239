package inflate

import (
	"bytes"
	stdzlib "compress/zlib"
	"fmt"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	kzlib "github.com/klauspost/compress/zlib"
)

// inputs are buffers of the kinds git stores: source text (this package's
// and the standard library's own files), random bytes, runs, and mixes.
func inputs(t testing.TB) [][]byte {
	rng := rand.New(rand.NewSource(1))
	out := [][]byte{nil, {0}, []byte("a"), []byte("hello, hello, hello, hello\n")}
	for _, n := range []int{1, 7, 8, 9, 100, 257, 258, 259, 4096, 32768, 32769, 70000, 1 << 20} {
		r := make([]byte, n)
		rng.Read(r)
		out = append(out, r, bytes.Repeat([]byte{'x'}, n), bytes.Repeat([]byte("abcdefg"), n/7+1)[:n])
		// Text-like: words from a small vocabulary, so there are matches of
		// every distance and length.
		var b bytes.Buffer
		words := []string{"func", "return", "err", "nil", "token", "secret", "\n\t", "if", " := ", "{", "}", "0x1f"}
		for b.Len() < n {
			b.WriteString(words[rng.Intn(len(words))])
			if rng.Intn(9) == 0 {
				fmt.Fprintf(&b, "%d", rng.Int63())
			}
		}
		out = append(out, b.Bytes()[:n])
	}
	files, _ := filepath.Glob(filepath.Join(runtime.GOROOT(), "src", "compress", "flate", "*.go"))
	for _, f := range files {
		if b, err := os.ReadFile(f); err == nil {
			out = append(out, b)
		}
	}
	if len(files) == 0 {
		t.Log("no Go tree source found; text inputs are generated only")
	}
	return out
}

type compressor struct {
	name string
	fn   func([]byte) []byte
}

// deflating compresses with a writer of one library at one level.
func deflating(newWriter func(io.Writer) io.WriteCloser) func([]byte) []byte {
	return func(b []byte) []byte {
		var buf bytes.Buffer
		w := newWriter(&buf)
		w.Write(b)
		w.Close()
		return buf.Bytes()
	}
}

func compressors() []compressor {
	var cs []compressor
	for _, level := range []int{stdzlib.HuffmanOnly, stdzlib.NoCompression, 1, 4, 6, 9} {
		cs = append(cs, compressor{fmt.Sprintf("std-%d", level), deflating(func(w io.Writer) io.WriteCloser {
			z, _ := stdzlib.NewWriterLevel(w, level)
			return z
		})})
	}
	for _, level := range []int{kzlib.HuffmanOnly, 1, 5, 9} {
		cs = append(cs, compressor{fmt.Sprintf("klauspost-%d", level), deflating(func(w io.Writer) io.WriteCloser {
			z, _ := kzlib.NewWriterLevel(w, level)
			return z
		})})
	}
	// Flushes make empty stored blocks and block boundaries mid-stream.
	cs = append(cs, compressor{"std-flushes", func(b []byte) []byte {
		var buf bytes.Buffer
		w, _ := stdzlib.NewWriterLevel(&buf, 6)
		for len(b) > 0 {
			n := min(len(b), 1000)
			w.Write(b[:n])
			w.Flush()
			b = b[n:]
		}
		w.Close()
		return buf.Bytes()
	}})
	return cs
}

func TestZlibMatchesTheStandardLibrary(t *testing.T) {
	// One decoder for every stream: tables kept from one to the next must
	// not leak into it.
	var dec Decoder
	for _, c := range compressors() {
		for i, in := range inputs(t) {
			z := c.fn(in)
			dst := make([]byte, len(in))
			if err := dec.Zlib(dst, z); err != nil {
				t.Errorf("%s, input %d (%d bytes): %v", c.name, i, len(in), err)
				continue
			}
			if !bytes.Equal(dst, in) {
				t.Errorf("%s, input %d (%d bytes): output differs", c.name, i, len(in))
			}
			// Trailing bytes after the stream are ignored, as in a pack.
			if err := dec.Zlib(dst, append(z[:len(z):len(z)], 1, 2, 3)); err != nil || !bytes.Equal(dst, in) {
				t.Errorf("%s, input %d: with trailing bytes: %v", c.name, i, err)
			}
		}
	}
}

func TestZlibRefusesWhatIsWrong(t *testing.T) {
	in := []byte("the quick brown fox jumps over the lazy dog; the quick brown fox again")
	var buf bytes.Buffer
	w := stdzlib.NewWriter(&buf)
	w.Write(in)
	w.Close()
	z := buf.Bytes()
	cases := map[string]struct {
		dst []byte
		src []byte
	}{
		"output too short": {make([]byte, len(in)-1), z},
		"output too long":  {make([]byte, len(in)+1), z},
		"truncated":        {make([]byte, len(in)), z[:len(z)-6]},
		"no checksum":      {make([]byte, len(in)), z[:len(z)-4]},
		"bad checksum":     {make([]byte, len(in)), append(append([]byte{}, z[:len(z)-1]...), z[len(z)-1]^1)},
		"bad header":       {make([]byte, len(in)), append([]byte{0x78, 0x00}, z[2:]...)},
		"preset dict":      {make([]byte, len(in)), append([]byte{0x78, 0xbb}, z[2:]...)},
		"empty":            {make([]byte, len(in)), nil},
	}
	var dec Decoder
	for name, c := range cases {
		if err := dec.Zlib(c.dst, c.src); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// FuzzZlib: on any input, no panic; whatever Zlib accepts, the standard
// library decodes to the same bytes.
func FuzzZlib(f *testing.F) {
	for _, c := range compressors()[:6] {
		f.Add(c.fn([]byte("fuzz me, fuzz me again, and once more: fuzz me")), 46)
	}
	f.Add([]byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01}, 0)
	var dec Decoder
	f.Fuzz(func(t *testing.T, src []byte, n int) {
		if n < 0 || n > 1<<20 {
			return
		}
		dst := make([]byte, n)
		if dec.Zlib(dst, src) != nil {
			return
		}
		r, err := stdzlib.NewReader(bytes.NewReader(src))
		if err != nil {
			t.Fatalf("accepted, but the standard library refuses the header: %v", err)
		}
		want, err := io.ReadAll(r)
		if err != nil {
			t.Fatalf("accepted, but the standard library fails: %v", err)
		}
		if !bytes.Equal(dst, want) {
			t.Fatalf("accepted %d bytes that differ from the standard library's %d", len(dst), len(want))
		}
	})
}

func BenchmarkInflate(b *testing.B) {
	var text []byte
	for _, in := range inputs(b) {
		text = append(text, in...)
	}
	var buf bytes.Buffer
	w := stdzlib.NewWriter(&buf)
	w.Write(text)
	w.Close()
	z := buf.Bytes()
	dst := make([]byte, len(text))
	var dec Decoder
	b.Run("this", func(b *testing.B) {
		b.SetBytes(int64(len(text)))
		for i := 0; i < b.N; i++ {
			if err := dec.Zlib(dst, z); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("klauspost", func(b *testing.B) {
		b.SetBytes(int64(len(text)))
		br := bytes.NewReader(z)
		r, _ := kzlib.NewReader(br)
		for i := 0; i < b.N; i++ {
			br.Reset(z)
			r.(kzlib.Resetter).Reset(br, nil)
			if _, err := io.ReadFull(r, dst); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkInflateFiles inflates each source file of the Go tree's
// compress and net/http packages as its own stream, as git stores blobs.
func BenchmarkInflateFiles(b *testing.B) {
	var files, streams [][]byte
	n := 0
	for _, dir := range []string{"compress/flate", "net/http", "go/types"} {
		names, _ := filepath.Glob(filepath.Join(runtime.GOROOT(), "src", dir, "*.go"))
		for _, f := range names {
			if data, err := os.ReadFile(f); err == nil {
				var buf bytes.Buffer
				w := stdzlib.NewWriter(&buf)
				w.Write(data)
				w.Close()
				files, streams = append(files, data), append(streams, buf.Bytes())
				n += len(data)
			}
		}
	}
	if n == 0 {
		b.Skip("no Go tree")
	}
	dst := make([]byte, 4<<20)
	var dec Decoder
	b.Run("this", func(b *testing.B) {
		b.SetBytes(int64(n))
		for i := 0; i < b.N; i++ {
			for k, z := range streams {
				if err := dec.Zlib(dst[:len(files[k])], z); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("klauspost", func(b *testing.B) {
		b.SetBytes(int64(n))
		br := bytes.NewReader(nil)
		var r io.ReadCloser
		for i := 0; i < b.N; i++ {
			for k, z := range streams {
				br.Reset(z)
				if r == nil {
					r, _ = kzlib.NewReader(br)
				} else {
					r.(kzlib.Resetter).Reset(br, nil)
				}
				if _, err := io.ReadFull(r, dst[:len(files[k])]); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
