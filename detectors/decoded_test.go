package detectors

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"math/rand"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/achilles-sec/achilles/rules"
)

func defaultEngine(t testing.TB) *Engine {
	t.Helper()
	cfg, err := rules.Default()
	if err != nil {
		t.Fatal(err)
	}
	return New(cfg)
}

const (
	awsKey   = "AKIAZ3MSJV4WQPTHKR7N"
	ghpToken = "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"
)

func b64(s string) string    { return base64.StdEncoding.EncodeToString([]byte(s)) }
func b64url(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func TestScanDecoded(t *testing.T) {
	e := defaultEngine(t)
	urlSafe := b64url("id?>>" + awsKey + "?>")
	if !strings.ContainsAny(urlSafe, "-_") || strings.Contains(urlSafe, "=") {
		t.Fatalf("fixture %q should use the URL alphabet without padding", urlSafe)
	}
	tests := []struct {
		name   string
		in     string
		depth  int
		rule   string
		secret string
		chain  []string
		line   int
		column int
	}{
		{"base64", "config:\n  blob: " + b64("aws_access_key_id = "+awsKey) + "\n", 2, "aws-access-key-id", awsKey, []string{"base64"}, 2, 9},
		{"base64 no padding", "x " + strings.TrimRight(b64("key="+awsKey+"."), "="), 2, "aws-access-key-id", awsKey, []string{"base64"}, 1, 3},
		{"url-safe base64 without padding", "\n\n   token=" + urlSafe + "&x=1", 2, "aws-access-key-id", awsKey, []string{"base64url"}, 3, 10},
		{"percent then base64", "GET /cb?state=" + url.QueryEscape(b64("k:"+awsKey+"??")) + " HTTP/1.1", 2, "aws-access-key-id", awsKey, []string{"percent", "base64"}, 1, 5},
		{"json unicode escape", "{\n  \"k\": \"\\u0041KIAZ3MSJV4WQPTHKR7N\"\n}", 2, "aws-access-key-id", awsKey, []string{"escape"}, 2, 9},
		{"x escapes", `char *k = "\x41\x4b\x49\x41Z3MSJV4WQPTHKR7N";`, 2, "aws-access-key-id", awsKey, []string{"escape"}, 1, 12},
		{"octal escapes", `k = "\101\113\111\101Z3MSJV4WQPTHKR7N"`, 2, "aws-access-key-id", awsKey, []string{"escape"}, 1, 6},
		{"hex", "seed: " + hex.EncodeToString([]byte(ghpToken)), 2, "github-pat-classic", ghpToken, []string{"hex"}, 1, 7},
		{"base64 of base64", "a\nb\n  v = \"" + b64(b64("token: "+ghpToken)) + "\"", 2, "github-pat-classic", ghpToken, []string{"base64", "base64"}, 3, 8},
		{"base64 of base64 beyond depth 1", "v = " + b64(b64("token: "+ghpToken)), 1, "", "", nil, 0, 0},
		{"decoding off", "v = " + b64("token: "+ghpToken), 0, "", "", nil, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms := e.ScanDecoded([]byte(tt.in), tt.depth)
			var got []Match
			for _, m := range ms {
				if m.Decoded != nil {
					got = append(got, m)
				}
			}
			if tt.rule == "" {
				if len(got) > 0 {
					t.Fatalf("want no decoded matches, got %s %q %v", got[0].Rule.ID, got[0].Secret, got[0].Decoded)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("want one decoded match in %q, got %d: %+v", tt.in, len(got), ms)
			}
			m := got[0]
			if m.Rule.ID != tt.rule || m.Secret != tt.secret || !reflect.DeepEqual(m.Decoded, tt.chain) {
				t.Errorf("got %s %q %v, want %s %q %v", m.Rule.ID, m.Secret, m.Decoded, tt.rule, tt.secret, tt.chain)
			}
			if m.Line != tt.line || m.Column != tt.column {
				t.Errorf("at %d:%d, want %d:%d", m.Line, m.Column, tt.line, tt.column)
			}
			if m.Start != m.SecretStart || m.End != m.SecretEnd || m.Start >= m.End {
				t.Errorf("span %d-%d secret %d-%d", m.Start, m.End, m.SecretStart, m.SecretEnd)
			}
		})
	}
}

// A secret plain scanning finds is not reported again through a decoder
// whose segment covers it, in encoded or plain form.
func TestScanDecodedNoDuplicates(t *testing.T) {
	e := defaultEngine(t)
	for _, in := range []string{
		"k=" + awsKey + "%20%20",
		`"` + awsKey + `\u0020"`,
		"https://user:pa%2Fss%40w0rd99@db.example.org/x",
	} {
		plain := e.Scan([]byte(in))
		got := e.ScanDecoded([]byte(in), 2)
		if len(got) != len(plain) {
			t.Errorf("%q: plain %d matches, decoded %d: %+v", in, len(plain), len(got), got)
		}
	}
	// The same secret encoded somewhere else is another finding.
	in := awsKey + "\n" + b64("id "+awsKey+" ") + "\n"
	got := e.ScanDecoded([]byte(in), 2)
	if len(got) != 2 || got[0].Decoded != nil || got[1].Line != 2 || got[1].Decoded[0] != "base64" {
		t.Errorf("want a plain and a base64 match, got %+v", got)
	}
}

func TestScanDecodedIgnoresData(t *testing.T) {
	e := defaultEngine(t)
	rng := rand.New(rand.NewSource(7))
	img := make([]byte, 20000)
	rng.Read(img)
	copy(img, "\x89PNG\r\n\x1a\n")
	in := `<img alt="logo" src="data:image/png;base64,` + base64.StdEncoding.EncodeToString(img) + `">` + "\n" +
		"sha512: " + hex.EncodeToString(img[:64]) + "\n"
	if ms := e.ScanDecoded([]byte(in), 2); len(ms) != 0 {
		t.Errorf("want nothing in image data, got %s %q", ms[0].Rule.ID, ms[0].Secret)
	}
}

// goSources is about 4 MB of the Go tree's own source (net/http, crypto,
// encoding), with a few encoded secrets mixed in.
func goSources(b *testing.B) []byte {
	var buf bytes.Buffer
	for _, dir := range []string{"net/http", "crypto/tls", "encoding/json", "encoding/base64", "net/url"} {
		files, _ := filepath.Glob(filepath.Join(runtime.GOROOT(), "src", dir, "*.go"))
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err == nil {
				buf.Write(data)
			}
		}
		buf.WriteString("\nx := \"" + b64("key "+awsKey) + "\"\n")
	}
	if buf.Len() == 0 {
		b.Skip("no Go sources")
	}
	return buf.Bytes()
}

// BenchmarkScanPlain and BenchmarkScanDecoded compare a plain scan with a
// decoding scan (depth 2) over the same mixed buffer.
func BenchmarkScanPlain(b *testing.B) {
	e, data := defaultEngine(b), goSources(b)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e.Scan(data)
	}
}

func BenchmarkScanDecoded(b *testing.B) {
	e, data := defaultEngine(b), goSources(b)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e.ScanDecoded(data, DefaultDecodeDepth)
	}
}
