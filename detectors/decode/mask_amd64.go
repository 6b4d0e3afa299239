package decode

// maskBlocks sets out[i] to the alphabet mask of the 64 bytes at
// data[64*i:]; len(data) is 64*len(out). It is SSE2 (mask_amd64.s): the
// masks are most of what finding runs costs, and a table lookup a byte
// takes several times as long.
func maskBlocks(data []byte, out []uint64) {
	if len(out) > 0 {
		maskBlocksSSE2(&data[0], len(out), &out[0])
	}
}

//go:noescape
func maskBlocksSSE2(p *byte, n int, out *uint64)
