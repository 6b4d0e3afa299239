package scanner

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/achilles-sec/achilles/detectors"
)

// historyRepo makes a repository whose files change a little in every
// commit, so that packing stores most versions as deltas: a growing file, a
// file edited in the middle, a secret added and removed, a binary file, a
// file larger than the test's size limit, and a branch. git fast-import
// writes it in one process; its pack is then unpacked, so the repository
// starts with loose objects only.
func historyRepo(t *testing.T) *repo {
	t.Helper()
	r := newRepo(t)
	var st strings.Builder
	file := func(path, content string) {
		fmt.Fprintf(&st, "M 100644 inline %s\ndata %d\n%s\n", path, len(content), content)
	}
	commit := func(branch, msg string, i int, from string) {
		fmt.Fprintf(&st, "commit refs/heads/%s\nmark :%d\ncommitter Ada Author <ada@example.com> %d +0000\ndata %d\n%s\n", branch, i+1, 1704103200+3600*i, len(msg), msg)
		if from != "" {
			fmt.Fprintf(&st, "from %s\n", from)
		}
	}
	var log strings.Builder
	big := strings.Repeat("filler line for a large file, long enough to need several deflate blocks\n", 2000)
	const n = 40
	for i := 0; i < n; i++ {
		commit("main", fmt.Sprintf("change %d", i), i, "")
		fmt.Fprintf(&log, "entry %d: something happened\n", i)
		file("CHANGELOG.md", log.String())
		mid := fmt.Sprintf("package main\n\n%s// edit %d\n%s", strings.Repeat("// head\n", 50), i, strings.Repeat("// tail\n", 50))
		if i%7 == 3 {
			mid += "const key = \"" + tokA + "\"\n"
		}
		file("src/main.go", mid)
		file("big.txt", big+fmt.Sprintf("version %d\n", i))
		if i%10 == 0 {
			file(fmt.Sprintf("bin/data%d.bin", i), string([]byte{0, 1, 2, 3, byte(i), 0, 0xff}))
		}
		if i == 20 {
			file("config/.env", "TOKEN="+tokB+"\n")
		}
		if i == 25 {
			st.WriteString("D config/.env\n")
		}
		st.WriteString("\n")
	}
	commit("side", "side", n, fmt.Sprintf(":%d", n))
	file("side.txt", "side branch "+tokC+"\n")
	st.WriteString("\n")
	cmd := exec.Command("git", "fast-import", "--quiet")
	cmd.Dir = r.dir
	cmd.Stdin = strings.NewReader(st.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git fast-import: %v %s", err, out)
	}
	packs, _ := filepath.Glob(filepath.Join(r.dir, ".git", "objects", "pack", "*.pack"))
	for _, p := range packs {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		base := strings.TrimSuffix(p, ".pack")
		for _, ext := range []string{".pack", ".idx", ".rev"} {
			os.Remove(base + ext)
		}
		un := exec.Command("git", "unpack-objects", "-q")
		un.Dir = r.dir
		un.Stdin = bytes.NewReader(data)
		if out, err := un.CombinedOutput(); err != nil {
			t.Fatalf("git unpack-objects: %v %s", err, out)
		}
	}
	r.git("checkout", "-q", "-f", "main")
	return r
}

// catFileBlobs returns every blob git cat-file --batch-all-objects shows.
func catFileBlobs(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	cmd := exec.Command("git", "cat-file", "--batch-all-objects", "--batch")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git cat-file: %v", err)
	}
	blobs := map[string][]byte{}
	br := bufio.NewReader(bytes.NewReader(out))
	for {
		line, err := br.ReadString('\n')
		if err == io.EOF {
			return blobs
		}
		if err != nil {
			t.Fatal(err)
		}
		f := strings.Fields(line)
		if len(f) != 3 {
			t.Fatalf("cat-file header %q", line)
		}
		n, _ := strconv.Atoi(f[2])
		data := make([]byte, n+1)
		if _, err := io.ReadFull(br, data); err != nil {
			t.Fatal(err)
		}
		if f[1] == "blob" {
			blobs[f[0]] = data[:n]
		}
	}
}

// readWithPacks lists the history's blobs as gitCLI does and reads them
// with the pack reader: the blobs handed on (each must come once), the
// store, and the warnings.
func readWithPacks(t *testing.T, dir string, maxSize int64) (map[string][]byte, *packStore, *reachable, string) {
	t.Helper()
	ctx := context.Background()
	var w warnings
	var c counters
	g := newGitCLI(dir, Options{Warn: w.add}, &c)
	rs, err := g.list(ctx, func(string) bool { return false })
	if err != nil {
		t.Fatal(err)
	}
	obj, err := repoObjectDir(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	s, err := openPackStore(obj)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.close)
	if err := s.plan(s.locate(rs)); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	got := map[string][]byte{}
	add := func(b blob, data []byte) {
		mu.Lock()
		defer mu.Unlock()
		if _, dup := got[b.hash]; dup {
			t.Errorf("blob %s handed on twice", b.hash)
		}
		if b.size != int64(len(data)) {
			t.Errorf("blob %s: size %d, %d bytes", b.hash, b.size, len(data))
		}
		if want := rs.paths[rs.blobs[[20]byte(must(hex.DecodeString(b.hash)))]]; b.path != want {
			t.Errorf("blob %s at %q, listed at %q", b.hash, b.path, want)
		}
		got[b.hash] = data
	}
	err = s.read(ctx, dir, rs, maxSize, w.add, blobSink{fn: func(b blob) error {
		if b.size > maxSize {
			t.Errorf("blob %s of %d bytes not handed to large", b.hash, b.size)
		}
		add(b, b.data)
		return nil
	}, large: func(b blob, r io.Reader) error {
		if b.size <= maxSize {
			t.Errorf("blob %s of %d bytes handed to large", b.hash, b.size)
		}
		data, err := io.ReadAll(r)
		add(b, data)
		return err
	}})
	if err != nil {
		t.Fatal(err)
	}
	return got, s, rs, w.joined()
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func gitBlobHash(data []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(data))
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil))
}

// assertSameBlobs checks that the pack reader gave exactly the listed blobs,
// each with git's content, and that git lists what cat-file has.
func assertSameBlobs(t *testing.T, dir string, maxSize int64) *packStore {
	t.Helper()
	got, s, rs, warned := readWithPacks(t, dir, maxSize)
	if warned != "" {
		t.Errorf("warnings: %s", warned)
	}
	all := catFileBlobs(t, dir)
	if len(rs.blobs) == 0 || len(got) != len(rs.blobs) {
		t.Fatalf("pack reader gave %d blobs, %d listed", len(got), len(rs.blobs))
	}
	for h := range rs.blobs {
		name := hex.EncodeToString(h[:])
		data, ok := got[name]
		if !ok {
			t.Errorf("listed blob %s not read", name)
			continue
		}
		if !bytes.Equal(data, all[name]) {
			t.Errorf("blob %s: %d bytes, git cat-file gives %d", name, len(data), len(all[name]))
		}
		if gitBlobHash(data) != name {
			t.Errorf("blob %s: content hashes to %s", name, gitBlobHash(data))
		}
	}
	return s
}

// countTypes counts the parsed objects of each pack type.
func countTypes(s *packStore) map[uint8]int {
	n := map[uint8]int{}
	for _, node := range s.nodes {
		if node.pack >= 0 && node.hdr != 0 {
			n[node.typ]++
		}
	}
	return n
}

func setBaseBudget(t *testing.T, baseBudget int) {
	old := packBaseBudget
	packBaseBudget = baseBudget
	t.Cleanup(func() { packBaseBudget = old })
}

func TestPackReaderGivesGitsBlobs(t *testing.T) {
	r := historyRepo(t)
	loose := func(t *testing.T) {
		s := assertSameBlobs(t, r.dir, DefaultMaxFileSize)
		if len(s.packs) != 0 || len(s.loose) == 0 {
			t.Errorf("%d packs, %d loose objects: want loose objects only", len(s.packs), len(s.loose))
		}
	}
	t.Run("loose", loose)
	r.git("gc", "-q", "--aggressive")
	t.Run("gc-aggressive", func(t *testing.T) {
		s := assertSameBlobs(t, r.dir, DefaultMaxFileSize)
		if n := countTypes(s); n[objOfsDelta] == 0 {
			t.Errorf("no OFS_DELTA read: %v", n)
		}
	})
	r.git("repack", "-q", "-adf", "--depth=50")
	for _, c := range []struct {
		name    string
		budget  int
		maxSize int64
	}{
		{"default", 24 << 20, DefaultMaxFileSize},
		// No base kept: each is rebuilt from its own base when needed.
		{"no-base-budget", 0, DefaultMaxFileSize},
		// Most blobs over the size limit: streamed or handed on whole.
		{"large", 24 << 20, 2000},
		{"large-no-base-budget", 0, 2000},
	} {
		t.Run("depth50-"+c.name, func(t *testing.T) {
			setBaseBudget(t, c.budget)
			assertSameBlobs(t, r.dir, c.maxSize)
		})
	}
	r.git("-c", "repack.useDeltaBaseOffset=false", "repack", "-q", "-adf")
	t.Run("ref-delta", func(t *testing.T) {
		s := assertSameBlobs(t, r.dir, DefaultMaxFileSize)
		if n := countTypes(s); n[objRefDelta] == 0 || n[objOfsDelta] != 0 {
			t.Errorf("want REF_DELTA only: %v", n)
		}
	})
	// More commits in a second pack and as loose objects.
	for i := 0; i < 5; i++ {
		r.write("CHANGELOG.md", fmt.Sprintf("rewritten %d\n", i))
		r.commit(fmt.Sprintf("more %d", i))
		if i == 2 {
			r.git("repack", "-q", "-d")
		}
	}
	t.Run("packs-and-loose", func(t *testing.T) {
		s := assertSameBlobs(t, r.dir, DefaultMaxFileSize)
		if len(s.packs) < 2 || len(s.loose) == 0 {
			t.Errorf("%d packs, %d loose: want several packs and loose objects", len(s.packs), len(s.loose))
		}
	})
}

// A pack whose deltas name bases in another pack (a thin pack completed by
// index-pack --fix-thin keeps its REF_DELTAs and adds the bases).
func TestPackReaderThinPackFixed(t *testing.T) {
	r := historyRepo(t)
	r.git("repack", "-q", "-adf")
	old := r.git("rev-parse", "HEAD")
	for i := 0; i < 3; i++ {
		r.write("CHANGELOG.md", strings.Repeat("line\n", 100)+fmt.Sprintf("tail %d\n", i))
		r.commit(fmt.Sprintf("thin %d", i))
	}
	cmd := exec.Command("git", "pack-objects", "--thin", "--stdout", "--revs")
	cmd.Dir = r.dir
	cmd.Stdin = strings.NewReader("HEAD\n^" + old + "\n")
	thin, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	// Remove the loose copies so the fixed pack is where the new objects are.
	r.git("prune-packed")
	fix := exec.Command("git", "index-pack", "--stdin", "--fix-thin")
	fix.Dir = r.dir
	fix.Stdin = bytes.NewReader(thin)
	if out, err := fix.CombinedOutput(); err != nil {
		t.Fatalf("index-pack: %v %s", err, out)
	}
	r.git("prune-packed")
	s := assertSameBlobs(t, r.dir, DefaultMaxFileSize)
	if n := countTypes(s); n[objRefDelta] == 0 || len(s.packs) < 2 {
		t.Errorf("%d packs, types %v: want a fixed thin pack with REF_DELTAs", len(s.packs), n)
	}
}

// scanWith scans the history with one reader forced.
func scanWith(t *testing.T, dir, reader string) ([]summary, string) {
	t.Helper()
	t.Setenv(GitReaderEnv, reader)
	var w warnings
	res, err := ScanGit(context.Background(), testOptions(t, &w), GitOptions{Backend: "git"}, dir)
	if err != nil {
		t.Fatalf("%s: %v", reader, err)
	}
	return summarize(res.Findings), w.joined()
}

func TestPackReaderSameFindings(t *testing.T) {
	r := historyRepo(t)
	check := func(t *testing.T) {
		want, wantWarn := scanWith(t, r.dir, "cat-file")
		got, gotWarn := scanWith(t, r.dir, "pack")
		if len(want) < 3 {
			t.Fatalf("only %d findings: the fixture should have three secrets", len(want))
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("pack reader findings differ\n got %+v\nwant %+v", got, want)
		}
		if gotWarn != wantWarn {
			t.Errorf("warnings differ\n got %q\nwant %q", gotWarn, wantWarn)
		}
	}
	t.Run("loose", check)
	r.git("gc", "-q", "--aggressive")
	t.Run("packed", check)
}

// A blob missing from the store is warned about on both paths, and the rest
// is scanned the same.
func TestPackReaderMissingObject(t *testing.T) {
	r := historyRepo(t)
	side := r.git("rev-parse", "side:side.txt")
	if err := os.Remove(filepath.Join(r.dir, ".git", "objects", side[:2], side[2:])); err != nil {
		t.Fatal(err)
	}
	want, wantWarn := scanWith(t, r.dir, "cat-file")
	got, gotWarn := scanWith(t, r.dir, "pack")
	if !strings.Contains(gotWarn, side) || gotWarn != wantWarn {
		t.Errorf("warnings: pack %q, cat-file %q; want the missing %s named", gotWarn, wantWarn, side)
	}
	if len(want) == 0 || !reflect.DeepEqual(got, want) {
		t.Errorf("findings differ\n got %+v\nwant %+v", got, want)
	}
}

// A corrupt object found while reading is a warning naming it; the other
// blobs are still read and scanned.
func TestPackReaderCorruptObject(t *testing.T) {
	r := historyRepo(t)
	r.git("repack", "-q", "-adf")
	target := r.git("rev-parse", "side:side.txt")
	obj := filepath.Join(r.dir, ".git", "objects")
	s, err := openPackStore(obj)
	if err != nil {
		t.Fatal(err)
	}
	id := s.lookup(must(hex.DecodeString(target)))
	if id < 0 || s.parseNode(id) != nil {
		t.Fatal("blob not in the pack")
	}
	n := s.nodes[id]
	packPath := filepath.Join(obj, "pack", s.packs[n.pack].name+".pack")
	s.close()
	data, err := os.ReadFile(packPath)
	if err != nil {
		t.Fatal(err)
	}
	mid := (n.off + int64(n.hdr) + n.end) / 2
	data[mid] ^= 0xff
	data[mid+1] ^= 0x55
	os.Chmod(packPath, 0o644)
	if err := os.WriteFile(packPath, data, 0o644); err != nil {
		t.Fatal(err)
	}
	got, _, rs, warned := readWithPacks(t, r.dir, DefaultMaxFileSize)
	if !strings.Contains(warned, "object "+target+" could not be read") {
		t.Errorf("warnings %q do not name the corrupt object %s", warned, target)
	}
	if strings.Contains(warned, tokC) {
		t.Error("a warning holds the blob's content")
	}
	if _, ok := got[target]; ok {
		t.Error("the corrupt blob was handed on")
	}
	if len(got) != len(rs.blobs)-1 {
		t.Errorf("%d of %d blobs read; want all but the corrupt one", len(got), len(rs.blobs))
	}
	// The scan goes on: the other secrets are found.
	fs, _ := scanWith(t, r.dir, "pack")
	if len(fs) < 2 {
		t.Errorf("%d findings after a corrupt object", len(fs))
	}
}

// What the reader does not read goes to git cat-file; forced, the scan
// says why.
func TestPackReaderFallsBack(t *testing.T) {
	src := historyRepo(t)
	src.git("gc", "-q")
	cases := []struct {
		name   string
		reason string
		setup  func(t *testing.T) string
	}{
		{"alternates", "alternates", func(t *testing.T) string {
			dir := t.TempDir()
			if out, err := exec.Command("git", "clone", "-q", "--shared", "--mirror", src.dir, dir).CombinedOutput(); err != nil {
				t.Fatalf("%v %s", err, out)
			}
			return dir
		}},
		{"keep", ".keep", func(t *testing.T) string {
			dir := cloneBare(t, src.dir)
			packs, _ := filepath.Glob(filepath.Join(dir, "objects", "pack", "*.pack"))
			os.WriteFile(strings.TrimSuffix(packs[0], ".pack")+".keep", nil, 0o644)
			return dir
		}},
		{"partial-clone", "promisor", func(t *testing.T) string {
			dir := cloneBare(t, src.dir)
			gitIn(t, dir, "config", "remote.origin.promisor", "true")
			return dir
		}},
		{"symlinked-pack", "regular file", func(t *testing.T) string {
			dir := cloneBare(t, src.dir)
			packs, _ := filepath.Glob(filepath.Join(dir, "objects", "pack", "*.pack"))
			moved := filepath.Join(t.TempDir(), "elsewhere.pack")
			if err := os.Rename(packs[0], moved); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(moved, packs[0]); err != nil {
				t.Fatal(err)
			}
			return dir
		}},
		{"idx-v1", "index", func(t *testing.T) string {
			dir := cloneBare(t, src.dir)
			gitIn(t, dir, "-c", "pack.indexVersion=1", "repack", "-q", "-adf")
			return dir
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := c.setup(t)
			t.Setenv(GitReaderEnv, "pack")
			var w warnings
			_, err := ScanGit(context.Background(), testOptions(t, &w), GitOptions{Backend: "git"}, dir)
			var unsup *unsupportedStoreError
			if !errors.As(err, &unsup) || !strings.Contains(err.Error(), c.reason) {
				t.Errorf("forced pack reader: %v; want it refused for %s", err, c.reason)
			}
			want, wantWarn := scanWith(t, dir, "cat-file")
			got, warned := scanWith(t, dir, "auto")
			if warned != wantWarn {
				t.Errorf("fallback warned %q, cat-file %q", warned, wantWarn)
			}
			if len(want) < 3 || !reflect.DeepEqual(got, want) {
				t.Errorf("fallback findings differ\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

func cloneBare(t *testing.T, src string) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("git", "clone", "-q", "--bare", "--no-local", src, dir).CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	return dir
}

func gitIn(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v %s", args, err, out)
	}
}

func TestCheckRepoConfig(t *testing.T) {
	for _, c := range []struct {
		config string
		ok     bool
	}{
		{"[core]\n\trepositoryformatversion = 0\n\tbare = true\n", true},
		{"[core]\n\trepositoryformatversion = 1\n[extensions]\n\tobjectFormat = sha1\n\tworktreeConfig = true\n", true},
		{"[core]\n\trepositoryformatversion = 1\n[extensions]\n\tobjectformat = sha256\n", false},
		{"[extensions]\n\tpartialClone = origin\n", false},
		{"[remote \"origin\"]\n\turl = x\n\tpromisor = true\n", false},
		{"[remote \"origin\"]\n\tpromisor = false\n", true},
		{"[core]\n\trepositoryformatversion = 2\n", false},
		{"[include]\n\tpath = other\n", false},
		{"[core\n", false},
	} {
		path := filepath.Join(t.TempDir(), "config")
		os.WriteFile(path, []byte(c.config), 0o644)
		if err := checkRepoConfig(path); (err == nil) != c.ok {
			t.Errorf("%q: %v, want ok %v", c.config, err, c.ok)
		}
	}
}

func TestApplyDelta(t *testing.T) {
	base := []byte("0123456789abcdefghij")
	// base size 20, result size 9: copy base[10:15], insert "XYZ", copy base[0:1].
	delta := []byte{20, 9, 0x80 | 0x01 | 0x10, 10, 5, 3, 'X', 'Y', 'Z', 0x80 | 0x10, 1}
	got, copies, err := applyDelta(base, delta, nil)
	if err != nil || string(got) != "abcdeXYZ0" {
		t.Fatalf("applyDelta = %q, %v", got, err)
	}
	if want := []detectors.Copy{{Dst: 0, Src: 10, Len: 5}, {Dst: 8, Src: 0, Len: 1}}; !slices.Equal(copies, want) {
		t.Fatalf("copies %v, want %v", copies, want)
	}
	for name, d := range map[string][]byte{
		"wrong base size": {19, 9},
		"copy past base":  {20, 5, 0x80 | 0x01 | 0x10, 18, 5},
		"short result":    {20, 10, 0x80 | 0x10, 5},
		"long insert":     {20, 3, 4, 'a', 'b'},
		"reserved op":     {20, 1, 0},
		"huge result":     {20, 0xff, 0xff, 0xff, 0xff, 0x7f, 1, 'a'},
	} {
		if out, _, err := applyDelta(base, d, nil); err == nil {
			t.Errorf("%s: %q, want an error", name, out)
		}
	}
}

// fuzzStore writes a pack and index into a fresh object folder and reads
// every blob the index names; whatever the bytes, it must not panic.
func fuzzStore(t *testing.T, pack, idx []byte) {
	obj := t.TempDir()
	os.MkdirAll(filepath.Join(obj, "pack"), 0o755)
	os.WriteFile(filepath.Join(obj, "pack", "pack-x.pack"), pack, 0o644)
	os.WriteFile(filepath.Join(obj, "pack", "pack-x.idx"), idx, 0o644)
	s, err := openPackStore(obj)
	if err != nil {
		return
	}
	defer s.close()
	rs := &reachable{blobs: map[[20]byte]int32{}, pathTable: pathTable{paths: []string{"f"}}}
	for id := range s.nodes {
		rs.blobs[[20]byte(s.hash(int32(id)))] = 0
	}
	if err := s.plan(s.locate(rs)); err != nil {
		// Not every object is a blob: read those that are.
		for h := range rs.blobs {
			id := s.lookup(h[:])
			if id < 0 || s.parseNode(id) != nil || s.nodes[id].typ != objBlob {
				delete(rs.blobs, h)
			}
		}
		s.close()
		if s, err = openPackStore(obj); err != nil || s.plan(s.locate(rs)) != nil {
			return
		}
	}
	_ = s.read(context.Background(), obj, rs, 64, func(error) {}, blobSink{fn: func(blob) error { return nil }, large: func(_ blob, r io.Reader) error {
		_, err := io.Copy(io.Discard, r)
		return err
	}})
}

func fuzzSeed(f *testing.F) (pack, idx []byte) {
	if _, err := exec.LookPath("git"); err != nil {
		f.Skip("git binary not found")
	}
	dir := f.TempDir()
	run := func(stdin string, args ...string) []byte {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Stdin = strings.NewReader(stdin)
		cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
		out, err := cmd.Output()
		if err != nil {
			f.Fatalf("git %v: %v", args, err)
		}
		return out
	}
	run("", "init", "-q", "--bare")
	var names []string
	content := strings.Repeat("a line of text that repeats\n", 20)
	for i := 0; i < 6; i++ {
		content += fmt.Sprintf("line %d "+tokA+"\n", i)
		names = append(names, strings.TrimSpace(string(run(content, "hash-object", "-w", "--stdin"))))
	}
	run(strings.Join(names, "\n")+"\n", "pack-objects", "-q", "--window=10", "--depth=5", "objects/pack/pack")
	packs, _ := filepath.Glob(filepath.Join(dir, "objects", "pack", "*.pack"))
	pack = must(os.ReadFile(packs[0]))
	idx = must(os.ReadFile(strings.TrimSuffix(packs[0], ".pack") + ".idx"))
	return pack, idx
}

func FuzzPackFile(f *testing.F) {
	pack, idx := fuzzSeed(f)
	f.Add(pack)
	// The same pack with a byte of the first object's data changed.
	mangled := bytes.Clone(pack)
	mangled[14] ^= 0x40
	f.Add(mangled)
	f.Fuzz(func(t *testing.T, p []byte) {
		// Keep the index's checksum of the pack so the mutated objects are
		// reached.
		if len(p) >= 20 {
			copy(p[len(p)-20:], idx[len(idx)-40:len(idx)-20])
		}
		fuzzStore(t, p, idx)
	})
}

func FuzzPackIndex(f *testing.F) {
	pack, idx := fuzzSeed(f)
	f.Add(idx)
	f.Fuzz(func(t *testing.T, x []byte) {
		fuzzStore(t, pack, x)
	})
}

func FuzzApplyDelta(f *testing.F) {
	f.Add([]byte("0123456789abcdefghij"), []byte{20, 9, 0x91, 10, 5, 3, 'X', 'Y', 'Z', 0x90, 1})
	f.Add([]byte{}, []byte{0, 0})
	f.Fuzz(func(t *testing.T, base, delta []byte) {
		out, _, err := applyDelta(base, delta, nil)
		if err == nil && out == nil {
			t.Fatal("no result and no error")
		}
	})
}
