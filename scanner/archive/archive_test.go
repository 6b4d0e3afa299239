package archive

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand"
	"os/exec"
	"reflect"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

type file struct {
	name    string
	content []byte
}

func zipOf(t testing.TB, files ...file) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		w, err := zw.Create(f.name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(f.content)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// storedZipOf stores the files uncompressed (as a nest of archives is).
func storedZipOf(t testing.TB, files ...file) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.name, Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(f.content)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func tarOf(t testing.TB, files ...file) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: "dir/", Typeflag: tar.TypeDir, Mode: 0o755})
	for _, f := range files {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.content)), Typeflag: tar.TypeReg, Format: tar.FormatPAX}); err != nil {
			t.Fatal(err)
		}
		tw.Write(f.content)
	}
	tw.WriteHeader(&tar.Header{Name: "dir/link", Typeflag: tar.TypeSymlink, Linkname: "../etc/passwd"})
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func gzipOf(t testing.TB, data []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(data)
	zw.Close()
	return buf.Bytes()
}

func xzOf(t testing.TB, data []byte) []byte {
	var buf bytes.Buffer
	w, err := xz.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func zstdOf(t testing.TB, data []byte) []byte {
	w, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	return w.EncodeAll(data, nil)
}

// bzip2Of uses the bzip2 command: the standard library only reads bzip2.
func bzip2Of(t testing.TB, data []byte) []byte {
	t.Helper()
	if _, err := exec.LookPath("bzip2"); err != nil {
		t.Skip("bzip2 command not found")
	}
	cmd := exec.Command("bzip2", "-c")
	cmd.Stdin = bytes.NewReader(data)
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

type got struct {
	entries  map[string]string
	problems []error
	err      error
}

func walk(t testing.TB, name string, data []byte, lim Limits) got {
	t.Helper()
	g := got{entries: map[string]string{}}
	err := Walk(context.Background(), name, bytes.NewReader(data), int64(len(data)), lim, func(p string, content []byte) error {
		if _, dup := g.entries[p]; dup {
			t.Errorf("entry %s handed over twice", p)
		}
		g.entries[p] = string(content)
		return nil
	})
	for _, e := range Problems(err) {
		var le *LimitError
		if !errors.As(e, &le) && strings.Contains(e.Error(), "context") {
			g.err = e
		}
	}
	g.problems = Problems(err)
	return g
}

func TestWalkFormats(t *testing.T) {
	secret := []byte("aws_access_key_id = AKIAZ3MSJV4WQPTHKR7N\n")
	other := []byte("just text\n")
	tarball := func(t testing.TB) []byte {
		return tarOf(t, file{"dir/a.txt", secret}, file{"dir/b.txt", other})
	}
	tests := []struct {
		name  string
		file  string
		build func(t testing.TB) []byte
		want  map[string]string
	}{
		{"zip", "x.zip", func(t testing.TB) []byte { return zipOf(t, file{"a.txt", secret}, file{"sub/b.txt", other}) },
			map[string]string{"x.zip!a.txt": string(secret), "x.zip!sub/b.txt": string(other)}},
		{"jar by magic, not name", "lib/app.bin", func(t testing.TB) []byte { return zipOf(t, file{"META-INF/app.properties", secret}) },
			map[string]string{"lib/app.bin!META-INF/app.properties": string(secret)}},
		{"tar", "x.tar", tarball, map[string]string{"x.tar!dir/a.txt": string(secret), "x.tar!dir/b.txt": string(other)}},
		{"tar.gz", "x.tar.gz", func(t testing.TB) []byte { return gzipOf(t, tarball(t)) },
			map[string]string{"x.tar.gz!dir/a.txt": string(secret), "x.tar.gz!dir/b.txt": string(other)}},
		{"tgz", "x.tgz", func(t testing.TB) []byte { return gzipOf(t, tarball(t)) },
			map[string]string{"x.tgz!dir/a.txt": string(secret), "x.tgz!dir/b.txt": string(other)}},
		{"gz", "notes.txt.gz", func(t testing.TB) []byte { return gzipOf(t, secret) }, map[string]string{"notes.txt.gz!notes.txt": string(secret)}},
		{"xz", "notes.txt.xz", func(t testing.TB) []byte { return xzOf(t, secret) }, map[string]string{"notes.txt.xz!notes.txt": string(secret)}},
		{"tar.xz", "x.tar.xz", func(t testing.TB) []byte { return xzOf(t, tarball(t)) },
			map[string]string{"x.tar.xz!dir/a.txt": string(secret), "x.tar.xz!dir/b.txt": string(other)}},
		{"zst", "notes.zst", func(t testing.TB) []byte { return zstdOf(t, secret) }, map[string]string{"notes.zst!notes": string(secret)}},
		{"tar.zst", "x.tar.zst", func(t testing.TB) []byte { return zstdOf(t, tarball(t)) },
			map[string]string{"x.tar.zst!dir/a.txt": string(secret), "x.tar.zst!dir/b.txt": string(other)}},
		{"bz2", "notes.bz2", func(t testing.TB) []byte { return bzip2Of(t, secret) }, map[string]string{"notes.bz2!notes": string(secret)}},
		{"tar.bz2", "x.tar.bz2", func(t testing.TB) []byte { return bzip2Of(t, tarball(t)) },
			map[string]string{"x.tar.bz2!dir/a.txt": string(secret), "x.tar.bz2!dir/b.txt": string(other)}},
		{"gz without suffix", "blob", func(t testing.TB) []byte { return gzipOf(t, secret) }, map[string]string{"blob!blob.gzip-content": string(secret)}},
		{"zip in tar.gz", "a.tar.gz", func(t testing.TB) []byte {
			return gzipOf(t, tarOf(t, file{"lib/b.zip", zipOf(t, file{"c/d.txt", secret})}, file{"top.txt", other}))
		}, map[string]string{"a.tar.gz!lib/b.zip!c/d.txt": string(secret), "a.tar.gz!top.txt": string(other)}},
		{"tar.gz in zip", "a.zip", func(t testing.TB) []byte {
			return zipOf(t, file{"b.tar.gz", gzipOf(t, tarOf(t, file{"c/d.txt", secret}))})
		}, map[string]string{"a.zip!b.tar.gz!c/d.txt": string(secret)}},
		{"gz in xz in zip", "a.zip", func(t testing.TB) []byte {
			return zipOf(t, file{"b.xz", xzOf(t, gzipOf(t, secret))})
		}, map[string]string{"a.zip!b.xz!b!b.gzip-content": string(secret)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := walk(t, tt.file, tt.build(t), Limits{})
			if len(g.problems) > 0 {
				t.Errorf("problems: %v", g.problems)
			}
			if !reflect.DeepEqual(g.entries, tt.want) {
				t.Errorf("entries %q\nwant %q", keys(g.entries), keys(tt.want))
			}
		})
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestDetect(t *testing.T) {
	for name, tt := range map[string]struct {
		data []byte
		want Kind
	}{
		"text named like a zip": {[]byte("PK is not a zip\n"), None},
		"empty zip":             {zipOf(t), Zip},
		"bzip2 look-alike text": {[]byte("BZh9 hello world, not a bzip2 stream"), None},
		"zstd":                  {zstdOf(t, []byte("x")), Zstd},
		"xz":                    {xzOf(t, []byte("x")), XZ},
		"gzip":                  {gzipOf(t, []byte("x")), Gzip},
		"tar":                   {tarOf(t), Tar},
		"short":                 {[]byte{0x1f}, None},
	} {
		if got := Detect(tt.data); got != tt.want {
			t.Errorf("%s: Detect = %q, want %q", name, got, tt.want)
		}
	}
}

// limitHits returns the LimitErrors among the problems, by limit.
func limitHits(problems []error) map[string]*LimitError {
	out := map[string]*LimitError{}
	for _, p := range problems {
		var le *LimitError
		if errors.As(p, &le) {
			out[le.Limit] = le
		}
	}
	return out
}

// allocated runs f and returns the bytes it allocated.
func allocated(f func()) uint64 {
	var a, b runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

// A highly compressible entry (200 MiB of zeros in a ~200 KiB zip entry)
// trips the ratio limit after 4 MiB; the other entries are still read,
// and the walk allocates nothing near the declared size.
func TestZipBombRatio(t *testing.T) {
	var bomb bytes.Buffer
	zw := zip.NewWriter(&bomb)
	w, _ := zw.Create("a-secret.txt")
	w.Write([]byte("AKIAZ3MSJV4WQPTHKR7N\n"))
	w, _ = zw.Create("zeros.bin")
	zeros := make([]byte, 1<<20)
	for i := 0; i < 200; i++ {
		w.Write(zeros)
	}
	w, _ = zw.Create("z-secret.txt")
	w.Write([]byte("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\n"))
	zw.Close()
	var g got
	alloc := allocated(func() { g = walk(t, "bomb.zip", bomb.Bytes(), Limits{}) })
	hit := limitHits(g.problems)[LimitRatio]
	if hit == nil || hit.Archive != "bomb.zip" || hit.Entry != "bomb.zip!zeros.bin" {
		t.Fatalf("want a ratio limit on bomb.zip!zeros.bin, got %v", g.problems)
	}
	if !strings.Contains(hit.Error(), "bomb.zip") || !strings.Contains(hit.Error(), "compression ratio") {
		t.Errorf("warning %q should name the archive and the limit", hit)
	}
	if want := []string{"bomb.zip!a-secret.txt", "bomb.zip!z-secret.txt"}; !reflect.DeepEqual(keys(g.entries), want) {
		t.Errorf("entries %v, want %v", keys(g.entries), want)
	}
	if alloc > 32<<20 {
		t.Errorf("walk allocated %d MiB", alloc>>20)
	}
}

// With the ratio check relaxed, the total limit stops the archive: entries
// before it are handed over, the rest are not read.
func TestTotalLimit(t *testing.T) {
	chunk := bytes.Repeat([]byte("line of text that compresses well\n"), 20000) // 680 KB
	data := zipOf(t, file{"1.txt", chunk}, file{"2.txt", chunk}, file{"3.txt", chunk}, file{"4.txt", chunk})
	g := walk(t, "big.zip", data, Limits{MaxTotal: 1500 << 10, MaxRatio: 1 << 20})
	hit := limitHits(g.problems)[LimitTotal]
	if hit == nil || hit.Entry != "big.zip!3.txt" {
		t.Fatalf("want the total limit at 3.txt, got %v", g.problems)
	}
	if want := []string{"big.zip!1.txt", "big.zip!2.txt"}; !reflect.DeepEqual(keys(g.entries), want) {
		t.Errorf("entries %v, want %v", keys(g.entries), want)
	}
}

func TestEntriesLimit(t *testing.T) {
	var files []file
	for i := 0; i < 50; i++ {
		files = append(files, file{fmt.Sprintf("f%02d.txt", i), []byte("x")})
	}
	g := walk(t, "many.tar", tarOf(t, files...), Limits{MaxEntries: 10})
	if hit := limitHits(g.problems)[LimitEntries]; hit == nil || hit.Entry != "many.tar!f10.txt" {
		t.Fatalf("want the entries limit at f10.txt, got %v", g.problems)
	}
	if len(g.entries) != 10 {
		t.Errorf("%d entries handed over, want 10", len(g.entries))
	}
}

// nest42 builds a 42.zip-style nest: levels of zips each holding `fan`
// copies of the level below (deflated: the copies refer back to the first),
// and leaves of 16 MiB of zeros each.
func nest42(t testing.TB, levels, fan int) []byte {
	leaf := zipOf(t, file{"0.bin", make([]byte, 16<<20)})
	cur := leaf
	for l := 1; l < levels; l++ {
		var files []file
		for i := 0; i < fan; i++ {
			files = append(files, file{fmt.Sprintf("lib%d-%d.zip", l, i), cur})
		}
		cur = zipOf(t, files...)
	}
	return cur
}

// A 42.zip-style nest (declared 16^4 × 16 MiB = 1 TiB) costs the depth limit
// at the default depth, and the total limit when depth is not what stops
// it; a secret beside the nest is still handed over, and memory stays low.
func TestZipNest(t *testing.T) {
	nest := nest42(t, 5, 16)
	outer := storedZipOf(t, file{"42.zip", nest}, file{"config/app.env", []byte("AWS_ACCESS_KEY_ID=AKIAZ3MSJV4WQPTHKR7N\n")})
	var g got
	alloc := allocated(func() { g = walk(t, "release.zip", outer, Limits{}) })
	hits := limitHits(g.problems)
	if hits[LimitDepth] == nil || !strings.HasPrefix(hits[LimitDepth].Archive, "release.zip!42.zip!lib4-0.zip") {
		t.Errorf("want the depth limit inside release.zip!42.zip, got %v", g.problems)
	}
	if _, ok := g.entries["release.zip!config/app.env"]; !ok {
		t.Errorf("the secret beside the nest was not handed over: %v", keys(g.entries))
	}
	if alloc > 256<<20 {
		t.Errorf("walk allocated %d MiB", alloc>>20)
	}

	g = walk(t, "release.zip", outer, Limits{MaxDepth: 10, MaxTotal: 64 << 20})
	hits = limitHits(g.problems)
	if hits[LimitTotal] == nil {
		t.Errorf("want the total limit with depth 10, got %v", g.problems)
	}
	if hits[LimitRatio] == nil {
		t.Errorf("want the ratio limit on the 16 MiB leaves, got %v", g.problems)
	}
}

func TestDamagedArchives(t *testing.T) {
	good := zipOf(t, file{"a.txt", []byte("hello")}, file{"b.txt", []byte("world")})
	truncated := good[:len(good)-30]
	g := walk(t, "cut.zip", truncated, Limits{})
	if len(g.problems) == 0 {
		t.Errorf("a truncated zip should be a problem")
	}
	noise := make([]byte, 64<<10)
	rand.New(rand.NewSource(1)).Read(noise)
	tgz := gzipOf(t, tarOf(t, file{"a.txt", []byte("hello")}, file{"b.bin", noise}))
	g = walk(t, "cut.tgz", tgz[:len(tgz)/2], Limits{})
	if len(g.problems) == 0 {
		t.Errorf("a truncated tar.gz should be a problem")
	}
	if g.entries["cut.tgz!a.txt"] != "hello" {
		t.Errorf("the entry before the damage should be handed over: %v", keys(g.entries))
	}
}

func TestWalkStopsOnCallbackError(t *testing.T) {
	data := zipOf(t, file{"a", []byte("1")}, file{"b", []byte("2")})
	stop := errors.New("stop")
	n := 0
	err := Walk(context.Background(), "x.zip", bytes.NewReader(data), int64(len(data)), Limits{}, func(string, []byte) error {
		n++
		return stop
	})
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("err %v after %d entries", err, n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = Walk(ctx, "x.zip", bytes.NewReader(data), int64(len(data)), Limits{}, func(string, []byte) error { return nil })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled walk: %v", err)
	}
}

var _ = io.EOF

// Walks one after another share their entry buffers and their deflate and
// gzip readers (keptPool): each still reads exactly its own entries,
// nested ones included (a zip of deflated zips, gzip inside tar.gz), a
// damaged archive between them spoils nothing, and the buffers a walk
// keeps stay within maxKeptBuf.
func TestWalksReuseReaders(t *testing.T) {
	inner := func(i int) []byte {
		return []byte(fmt.Sprintf("entry %d: %s\n", i, strings.Repeat(fmt.Sprintf("line %d ", i), 2000)))
	}
	big := make([]byte, maxKeptBuf+1) // text that does not compress 100:1
	rng := rand.New(rand.NewSource(5))
	for i := range big {
		big[i] = "0123456789abcdef\n"[rng.Intn(17)]
	}
	archives := []struct {
		name string
		data []byte
		want map[string]string
	}{
		{"a.zip", zipOf(t, file{"one.txt", inner(1)}, file{"in.zip", zipOf(t, file{"two.txt", inner(2)})}, file{"three.txt", inner(3)}),
			map[string]string{"a.zip!one.txt": string(inner(1)), "a.zip!in.zip!two.txt": string(inner(2)), "a.zip!three.txt": string(inner(3))}},
		{"b.tar.gz", gzipOf(t, tarOf(t, file{"dir/x.gz", gzipOf(t, inner(4))}, file{"dir/y.txt", inner(5)})),
			map[string]string{"b.tar.gz!dir/x.gz!x": string(inner(4)), "b.tar.gz!dir/y.txt": string(inner(5))}},
		{"broken.zip", zipOf(t, file{"z.txt", inner(6)})[:40], nil},
		{"c.gz", gzipOf(t, inner(7)), map[string]string{"c.gz!c": string(inner(7))}},
		{"big.zip", zipOf(t, file{"big.txt", big}), map[string]string{"big.zip!big.txt": string(big)}},
		{"d.zip", zipOf(t, file{"small.txt", inner(8)}), map[string]string{"d.zip!small.txt": string(inner(8))}},
	}
	for round := 0; round < 3; round++ {
		for _, a := range archives {
			g := walk(t, a.name, a.data, Limits{})
			if a.want == nil {
				if len(g.problems) == 0 {
					t.Errorf("round %d, %s: no problem reported", round, a.name)
				}
				continue
			}
			if len(g.problems) > 0 {
				t.Errorf("round %d, %s: problems: %v", round, a.name, g.problems)
			}
			if !reflect.DeepEqual(g.entries, a.want) {
				t.Errorf("round %d, %s: entries %q, want %q", round, a.name, keys(g.entries), keys(a.want))
			}
		}
	}
	// What a walk leaves behind is bounded.
	w := &walker{kept: kept{bufs: [][]byte{make([]byte, 0, maxKeptBuf+1), make([]byte, 0, 1024)}}}
	w.keep()
	if cap(w.bufs[0]) != 0 || cap(w.bufs[1]) != 1024 {
		t.Errorf("kept buffers of %d and %d bytes, want 0 and 1024", cap(w.bufs[0]), cap(w.bufs[1]))
	}
}

// A bzip2 stream over the ratio limit is stopped, from the symbols of the
// block that breaks it, wherever it is: alone, as a zip entry (method 12)
// and around a tar; entries beside it are still handed over, and a stream
// of the same size under the limit is read whole.
func TestBzip2Ratio(t *testing.T) {
	secret := []byte("AWS_ACCESS_KEY_ID=AKIAZ3MSJV4WQPTHKR7N\n")
	bomb := bytes.Repeat([]byte("token = value\n"), 6<<20/14) // 6 MiB in a few hundred bytes
	packed := bzip2Of(t, bomb)

	g := walk(t, "big.txt.bz2", packed, Limits{})
	if hit := limitHits(g.problems)[LimitRatio]; hit == nil || hit.Entry != "big.txt.bz2!big.txt" {
		t.Errorf("big.txt.bz2: want the ratio limit on its content, got %v", g.problems)
	}
	if len(g.entries) != 0 {
		t.Errorf("big.txt.bz2: handed over %v", keys(g.entries))
	}

	var z bytes.Buffer
	zw := zip.NewWriter(&z)
	w, _ := zw.Create("a.env")
	w.Write(secret)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "bomb.txt", Method: 12, CRC32: crc32.ChecksumIEEE(bomb),
		CompressedSize64: uint64(len(packed)), UncompressedSize64: uint64(len(bomb))})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(packed)
	w, _ = zw.Create("z.env")
	w.Write(secret)
	zw.Close()
	g = walk(t, "x.zip", z.Bytes(), Limits{})
	if hit := limitHits(g.problems)[LimitRatio]; hit == nil || hit.Entry != "x.zip!bomb.txt" {
		t.Errorf("x.zip: want the ratio limit on bomb.txt, got %v", g.problems)
	}
	if want := []string{"x.zip!a.env", "x.zip!z.env"}; !reflect.DeepEqual(keys(g.entries), want) {
		t.Errorf("x.zip: entries %v, want %v", keys(g.entries), want)
	}

	g = walk(t, "x.tar.bz2", bzip2Of(t, tarOf(t, file{"a.env", secret}, file{"bomb.txt", bomb})), Limits{})
	if hit := limitHits(g.problems)[LimitRatio]; hit == nil || hit.Archive != "x.tar.bz2" {
		t.Errorf("x.tar.bz2: want the ratio limit on the stream, got %v", g.problems)
	}
	if want := []string{"x.tar.bz2!a.env"}; !reflect.DeepEqual(keys(g.entries), want) {
		t.Errorf("x.tar.bz2: entries %v, want %v", keys(g.entries), want)
	}

	// The stream is judged whole from its symbols before any block is
	// unsorted: a first block whose stored checksum is wrong, which
	// unsorting it would find, is skipped as breaking the ratio.
	damaged := bytes.Clone(packed)
	damaged[10] ^= 1 // the first block's stored CRC, after "BZh9" and the block magic
	g = walk(t, "damaged.txt.bz2", damaged, Limits{})
	if hit := limitHits(g.problems)[LimitRatio]; hit == nil || hit.Entry != "damaged.txt.bz2!damaged.txt" || len(g.problems) != 1 {
		t.Errorf("damaged.txt.bz2: want only the ratio limit on its content, got %v", g.problems)
	}
	if len(g.entries) != 0 {
		t.Errorf("damaged.txt.bz2: handed over %v", keys(g.entries))
	}
	// Under the limit, the same damage is found and reported.
	small := bzip2Of(t, bomb[:1<<20])
	small[10] ^= 1
	g = walk(t, "small.txt.bz2", small, Limits{})
	if len(g.problems) != 1 || !strings.Contains(g.problems[0].Error(), "checksum mismatch") || len(g.entries) != 0 {
		t.Errorf("small.txt.bz2: problems %v, entries %v: want the checksum mismatch alone", g.problems, keys(g.entries))
	}

	// Only a stream whose first block expands past a quarter of the limit
	// is judged whole before reading: the bomb, not text.
	suspect := func(packed []byte) (bzip2First, bool) {
		w := &walker{ctx: context.Background(), lim: Limits{}.withDefaults(), hits: map[[2]string]*LimitError{}}
		c := &counter{r: bytes.NewReader(packed)}
		var f bzip2First
		if _, err := io.ReadFull(w.bunzip(c, &f), make([]byte, HeadSize)); err != nil {
			t.Fatal(err)
		}
		return f, w.bzip2Suspect(f)
	}
	if f, ok := suspect(packed); !f.read || f.least < 600<<10 || !ok {
		t.Errorf("bomb: first block %+v, want it suspect", f)
	}
	// Hex lines: about 2 to 1, far under the limit.
	var text bytes.Buffer
	r := rand.New(rand.NewSource(5))
	for text.Len() < 9<<19 {
		fmt.Fprintf(&text, "%016x%016x\n", r.Uint64(), r.Uint64())
	}
	hexPacked := bzip2Of(t, text.Bytes())
	if f, ok := suspect(hexPacked); !f.read || f.least < 600<<10 || ok {
		t.Errorf("hex lines: first block %+v, want it not suspect", f)
	}
	g = walk(t, "hex.txt.bz2", hexPacked, Limits{})
	if len(g.problems) != 0 || g.entries["hex.txt.bz2!hex.txt"] != text.String() {
		t.Errorf("hex.txt.bz2: problems %v, %d entries: want its content whole", g.problems, len(g.entries))
	}
}
