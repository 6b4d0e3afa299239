package decode

import (
	"math/rand/v2"
	"testing"
)

// TestMaskBlocksMatchesTable checks the platform's maskBlocks against the
// table, with every byte value at every offset of a block and on random
// runs of blocks drawn from the bytes around the alphabet's edges.
func TestMaskBlocksMatchesTable(t *testing.T) {
	check := func(data []byte) {
		t.Helper()
		got := make([]uint64, len(data)/64)
		maskBlocks(data, got)
		for i := range got {
			if want := maskTable((*[64]byte)(data[64*i:])); got[i] != want {
				t.Fatalf("block %d %q: maskBlocks %064b, table %064b", i, data[64*i:64*i+64], got[i], want)
			}
		}
	}
	w := make([]byte, 64)
	for c := 0; c < 256; c++ {
		for k := range w {
			for i := range w {
				w[i] = byte(c + 1 + i) // other values around it
			}
			w[k] = byte(c)
			check(w)
		}
	}
	edges := []byte("@AZ[`az{/0189:+,-._^=\x00\x7f\x80\xc1\xda\xe1\xfa\xff \n")
	r := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 2000; n++ {
		data := make([]byte, 64*(1+r.IntN(20)))
		for i := range data {
			if r.IntN(2) == 0 {
				data[i] = edges[r.IntN(len(edges))]
			} else {
				data[i] = byte(r.IntN(256))
			}
		}
		check(data)
	}
	// The table itself is the alphabet.
	for c := 0; c < 256; c++ {
		b := byte(c)
		in := b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '+' || b == '/' || b == '-' || b == '_'
		if (inB64[c] == 1) != in {
			t.Fatalf("inB64[%#x] = %d", c, inB64[c])
		}
	}
}

// TestBlockMasks checks the chunks findRunsIn works through: whole blocks,
// the partial last one and the ones past the end.
func TestBlockMasks(t *testing.T) {
	data := []byte("abc+/DEF-_09" + string(make([]byte, 50)) + "zz")
	for len(data) < 64*3+17 {
		data = append(data, "Qx=.9"...)
	}
	for _, at := range []int{0, 5, 64, 100, len(data) - 3, len(data)} {
		out := make([]uint64, 5)
		blockMasks(data, at, out)
		for i := range out {
			if want := alphabetMask(data, at+64*i); out[i] != want {
				t.Errorf("at %d, block %d: %064b, want %064b", at, i, out[i], want)
			}
		}
	}
}

func BenchmarkMaskBlocks(b *testing.B) {
	data := make([]byte, 1<<16)
	r := rand.New(rand.NewPCG(3, 4))
	for i := range data {
		data[i] = byte(' ' + r.IntN(95))
	}
	out := make([]uint64, len(data)/64)
	b.Run("platform", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			maskBlocks(data, out)
		}
	})
	b.Run("table", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			for i := range out {
				out[i] = maskTable((*[64]byte)(data[64*i:]))
			}
		}
	})
}
