//go:build !amd64

package decode

// maskBlocks sets out[i] to the alphabet mask of the 64 bytes at
// data[64*i:]; len(data) is 64*len(out).
func maskBlocks(data []byte, out []uint64) {
	for i := range out {
		out[i] = maskTable((*[64]byte)(data[64*i : 64*i+64]))
	}
}
