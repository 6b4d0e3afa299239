package scanner

import (
	"bytes"
	"testing"
)

// FuzzStreamEqualsWhole checks that scanning a stream in small overlapping
// windows finds exactly what scanning the whole buffer finds, at the same
// lines and columns.
func FuzzStreamEqualsWhole(f *testing.F) {
	f.Add([]byte("a\n"+tokA+"\nb "+tokB+"\n"), uint16(64))
	f.Add(bytes.Repeat([]byte("x "+tokC+"\n"), 40), uint16(100))
	f.Add([]byte("password = \"Hx7!pQ2@zL9#\"\n\n"+tokA), uint16(33))
	e := testEngine(f)
	f.Fuzz(func(t *testing.T, data []byte, chunk uint16) {
		const overlap = 128 // longer than any test rule's single-line match
		c := int(chunk)%1024 + 2*overlap + 1
		whole := e.Scan(data)
		got, err := scanStreamSized(t.Context(), e, bytes.NewReader(data), c, overlap, nil)
		if err != nil {
			t.Fatal(err)
		}
		w, g := keys(whole), keys(got)
		if len(w) != len(g) {
			t.Fatalf("chunk %d: whole %v stream %v", c, w, g)
		}
		for i := range w {
			if w[i] != g[i] {
				t.Fatalf("chunk %d: match %d whole %v stream %v", c, i, w[i], g[i])
			}
		}
	})
}

type matchKey struct {
	rule         string
	start, line  int
	column, size int
}

// keys leaves out multi-line matches (private keys), which may be longer
// than the small overlap the fuzz test uses.
func keys(ms []detectorsMatch) []matchKey {
	var out []matchKey
	for _, m := range ms {
		if m.Rule.Multiline {
			continue
		}
		out = append(out, matchKey{m.Rule.ID, m.Start, m.Line, m.Column, m.End - m.Start})
	}
	return out
}
