package scanner

import "github.com/achilles-sec/achilles/detectors"

// bufScanner is what a source runs over each buffer it reads: the engine
// itself, or the engine looking through encodings too.
type bufScanner interface {
	Scan(data []byte) []detectors.Match
	// ScanFrom is Scan for a buffer built from another one whose hits are
	// known (detectors.Engine.ScanFrom).
	ScanFrom(data []byte, base *detectors.Hits, copies []detectors.Copy, keep bool) ([]detectors.Match, *detectors.Hits)
}

// decodingScanner scans a buffer and the encoded segments inside it, to
// DecodeDepth layers.
type decodingScanner struct {
	e     *detectors.Engine
	depth int
}

func (d decodingScanner) Scan(data []byte) []detectors.Match {
	return d.e.ScanDecoded(data, d.depth)
}

func (d decodingScanner) ScanFrom(data []byte, base *detectors.Hits, copies []detectors.Copy, keep bool) ([]detectors.Match, *detectors.Hits) {
	return d.e.ScanDecodedFrom(data, d.depth, base, copies, keep)
}

// bufScanner picks plain or decoding scans from the options.
func (o *Options) bufScanner() bufScanner {
	if o.DecodeDepth > 0 {
		return decodingScanner{o.Engine, o.DecodeDepth}
	}
	return o.Engine
}
