package decode

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"math/rand"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestFind(t *testing.T) {
	const secret = "aws_access_key_id = AKIAZ3MSJV4WQPTHKR7N"
	b64 := base64.StdEncoding.EncodeToString([]byte(secret))
	tests := []struct {
		name     string
		in       string
		encoding string
		start    int // of the segment, in in
		want     string
	}{
		{"base64 padded", "x: " + b64 + "\n", Base64, 3, secret},
		{"base64 raw", "x: " + strings.TrimRight(b64, "=") + "\n", Base64, 3, secret},
		{"base64url raw", "t=" + base64.RawURLEncoding.EncodeToString([]byte("key ~~~>>>??? AKIAZ3MSJV4WQPTHKR7N")), Base64URL, 2, "key ~~~>>>??? AKIAZ3MSJV4WQPTHKR7N"},
		{"hex", "k = " + hex.EncodeToString([]byte(secret)), Hex, 4, secret},
		{"hex 0x", "k = 0x" + hex.EncodeToString([]byte(secret)), Hex, 6, secret},
		{"percent", "u?a=" + url.QueryEscape(secret) + "&b", Percent, 0, "u?a=aws_access_key_id+=+AKIAZ3MSJV4WQPTHKR7N&b"},
		{"json unicode", `{"k": "\u0041KIAZ3MSJV4WQPTHKR7N"}`, Escape, 7, "AKIAZ3MSJV4WQPTHKR7N"},
		{"x escapes", `s = "\x41\x4b\x49\x41Z3MSJV4WQPTHKR7N";`, Escape, 5, "AKIAZ3MSJV4WQPTHKR7N"},
		{"octal", `s = "\101\113\111\101Z3MSJV4WQPTHKR7N";`, Escape, 5, "AKIAZ3MSJV4WQPTHKR7N"},
		{"surrogate pair", `"\ud83d\ude00 AKIA"`, Escape, 1, "\U0001F600"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []Segment
			for _, s := range Find([]byte(tt.in)) {
				if s.Encoding == tt.encoding {
					got = append(got, s)
				}
			}
			if len(got) != 1 {
				t.Fatalf("want one %s segment in %q, got %+v", tt.encoding, tt.in, Find([]byte(tt.in)))
			}
			if got[0].Start != tt.start {
				t.Errorf("start %d, want %d", got[0].Start, tt.start)
			}
			if !strings.HasPrefix(string(got[0].Data), tt.want) {
				t.Errorf("decoded %q, want %q", got[0].Data, tt.want)
			}
		})
	}
}

// The base64 inside a percent-encoded string is left to the percent decoder,
// so that the chain says what really happened.
func TestBase64InsidePercentIsLeftToPercent(t *testing.T) {
	in := "https://h/?t=" + url.QueryEscape(base64.StdEncoding.EncodeToString([]byte("AKIAZ3MSJV4WQPTHKR7N~")))
	for _, s := range Find([]byte(in)) {
		if s.Encoding != Percent {
			t.Errorf("unexpected %s segment %q", s.Encoding, in[s.Start:s.End])
		}
	}
}

func TestFindIgnoresNonText(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	random := make([]byte, 3000)
	rng.Read(random)
	png := append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), random...)
	sum := make([]byte, 32)
	rng.Read(sum)
	tests := map[string]string{
		"data URI image":      `<img src="data:image/png;base64,` + base64.StdEncoding.EncodeToString(png) + `">`,
		"wrapped base64 data": wrap(base64.StdEncoding.EncodeToString(random), 76),
		"sha256":              "sha256:" + hex.EncodeToString(sum) + "\n",
		"format verbs":        `fmt.Sprintf("%02x%02X:%d%%", a, b, c)`,
		"binary escapes":      `"\x00\x01\x02\xff\xfe secret"`,
		"identifiers":         "func TestScanDecodedNestedPercentBase(t *testing.T) { someVeryLongIdentifierName := x }",
		"paths":               "import \"github.com/achilles-sec/achilles/detectors/decode_test\"",
		"plain escapes":       `"line one\nline two\t\"quoted\""`,
	}
	for name, in := range tests {
		if segs := Find([]byte(in)); len(segs) > 0 {
			t.Errorf("%s: found %d segments, first %s %q", name, len(segs), segs[0].Encoding, segs[0].Data)
		}
	}
}

func wrap(s string, n int) string {
	var b strings.Builder
	for len(s) > n {
		b.WriteString(s[:n] + "\n")
		s = s[n:]
	}
	b.WriteString(s)
	return b.String()
}

// Every run of at least MinBase64 alphabet bytes is looked at, wherever
// it starts relative to the 16-byte stride.
func TestFindEveryAlignment(t *testing.T) {
	enc := base64.StdEncoding.EncodeToString([]byte("AKIAZ3MSJV4WQPTHKR7N"))
	for pad := 0; pad < 40; pad++ {
		in := strings.Repeat(" ", pad) + enc + " tail"
		segs := Find([]byte(in))
		if len(segs) != 1 || segs[0].Start != pad || string(segs[0].Data) != "AKIAZ3MSJV4WQPTHKR7N" {
			t.Fatalf("pad %d: %+v", pad, segs)
		}
	}
}

func TestText(t *testing.T) {
	for in, want := range map[string]bool{
		"":                               false,
		"hello world":                    true,
		"grüße, 世界":                      true,
		"\x00\x01\x02abcdef":             false,
		"\xff\xfe\xfdabcdef":             false,
		"abcdefghijklmnopqrstuvwxyz\x01": true,
	} {
		if got := Text([]byte(in)); got != want {
			t.Errorf("Text(%q) = %v, want %v", in, got, want)
		}
	}
}

// BenchmarkFindSource measures the segment finder over real Go source (the
// standard library's net/http, crypto and encoding packages, with their
// test vectors), the common case where it must find little.
func BenchmarkFindSource(b *testing.B) {
	data := srcData(b)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Find(data)
	}
}

func srcData(tb testing.TB) []byte {
	var buf bytes.Buffer
	var files []string
	for _, dir := range []string{"net/http", "crypto/sha256", "crypto/internal/fips140/aes", "encoding/base64", "encoding/json"} {
		fs, _ := filepath.Glob(filepath.Join(runtime.GOROOT(), "src", dir, "*.go"))
		files = append(files, fs...)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err == nil {
			buf.Write(data)
		}
	}
	if buf.Len() == 0 {
		tb.Skip("no Go sources")
	}
	return buf.Bytes()
}
