package decode

import (
	"bytes"
	"testing"
)

// FuzzFind checks the segment finder on any input: segments lie inside
// the buffer, decode to text, and are what their decoder makes of their
// source text.
func FuzzFind(f *testing.F) {
	f.Add([]byte("x: QUtJQVozTVNKVjRXUVBUSEtSN04=\n"))
	f.Add([]byte(`{"k": "\u0041KIA\ud83d\ude00\x41\101"}`))
	f.Add([]byte("GET /?t=QUtJQVozTVNKVjRXUVBUSEtSN04%3D&u=%2F%02x HTTP/1.1"))
	f.Add([]byte("seed: 61776b3a414b49415a334d534a563457515054484b52374e 0x4142434445464748494a4b4c4d4e4f50"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, s := range Find(data) {
			if s.Start < 0 || s.End > len(data) || s.Start >= s.End {
				t.Fatalf("%s segment %d-%d outside %d bytes", s.Encoding, s.Start, s.End, len(data))
			}
			if !Text(s.Data) {
				t.Fatalf("%s segment %q decodes to non-text %q", s.Encoding, data[s.Start:s.End], s.Data)
			}
			again, ok := Bytes(s.Encoding, data[s.Start:s.End])
			if !ok || !bytes.Equal(again, s.Data) {
				t.Fatalf("%s segment %q: Find gave %q, Bytes %q %v", s.Encoding, data[s.Start:s.End], s.Data, again, ok)
			}
		}
	})
}
