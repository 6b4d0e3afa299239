package detectors

import (
	"bytes"
	"testing"
)

// FuzzScanDecoded checks that decoding only adds: every plain match is
// still reported, and every match lies in the buffer at the line and
// column its start gives.
func FuzzScanDecoded(f *testing.F) {
	f.Add([]byte("a\n  blob: " + b64("aws_access_key_id = "+awsKey) + "\n" + awsKey + "\n"))
	f.Add([]byte("GET /cb?state=UUtKSVFWb3pUVk5LVmpSWFVWQlVTRXRTTjA0JTNE%3D&x=\\u0041KIAZ3MSJV4WQPTHKR7N"))
	f.Add([]byte("seed: 6768705f4475544e443257583"))
	e := defaultEngine(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		plain := e.Scan(data)
		all := e.ScanDecoded(data, DefaultDecodeDepth)
		type key struct {
			rule          string
			start, end    int
			secret        string
			decoded, line int
		}
		have := map[key]bool{}
		for _, m := range all {
			have[key{m.Rule.ID, m.Start, m.End, m.Secret, len(m.Decoded), m.Line}] = true
			if m.Start < 0 || m.End > len(data) || m.Start >= m.End {
				t.Fatalf("%s match %d-%d outside %d bytes", m.Rule.ID, m.Start, m.End, len(data))
			}
			line := 1 + bytes.Count(data[:m.Start], []byte{'\n'})
			col := m.Start - (bytes.LastIndexByte(data[:m.Start], '\n') + 1) + 1
			if m.Line != line || m.Column != col {
				t.Fatalf("%s match at %d: line %d col %d, want %d %d", m.Rule.ID, m.Start, m.Line, m.Column, line, col)
			}
		}
		for _, m := range plain {
			if !have[key{m.Rule.ID, m.Start, m.End, m.Secret, 0, m.Line}] {
				t.Fatalf("plain match %s %q at %d lost", m.Rule.ID, m.Secret, m.Start)
			}
		}
	})
}
