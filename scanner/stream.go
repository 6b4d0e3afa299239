package scanner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/achilles-sec/achilles/detectors"
)

// Stream chunking: a long input is cut into windows of streamChunk bytes
// that overlap by streamOverlap bytes. A match is kept by the window in whose
// own part (before the overlap) it starts, so a secret that spans a cut is
// found exactly once, provided it is shorter than the overlap.
const (
	streamChunk   = 2 << 20
	streamOverlap = 64 << 10
)

// scanStream reads r in overlapping windows and returns the matches with
// offsets, lines and columns relative to the whole stream.
func scanStream(ctx context.Context, e bufScanner, r io.Reader, onBytes func(int)) ([]detectors.Match, error) {
	return scanStreamSized(ctx, e, r, streamChunk, streamOverlap, onBytes)
}

func scanStreamSized(ctx context.Context, e bufScanner, r io.Reader, chunk, overlap int, onBytes func(int)) ([]detectors.Match, error) {
	var out []detectors.Match
	err := scanStreamWindows(ctx, e, r, chunk, overlap, onBytes, func(ms []detectors.Match, _ int) {
		out = append(out, ms...)
	})
	return out, err
}

// scanStreamWindows is scanStreamSized handing over each window's matches
// as soon as the window is scanned, with how many bytes of the stream the
// windows so far own, instead of keeping every match of the stream: a
// file of a million matches need not hold a million detectors.Match. The
// slice passed to emit is reused by the next window.
func scanStreamWindows(ctx context.Context, e bufScanner, r io.Reader, chunk, overlap int, onBytes func(int), emit func(ms []detectors.Match, done int)) error {
	// The window grows to chunk+overlap only as the stream fills it: a
	// pre-commit hook piping a few bytes must not clear the whole window first.
	window := chunk + overlap
	buf := make([]byte, 0, min(window, 64<<10))
	base := 0     // stream offset of buf[0]
	baseLine := 0 // newlines before buf[0]
	lineStart := 0
	eof := false
	for !eof {
		if err := ctx.Err(); err != nil {
			return err
		}
		for {
			n, err := io.ReadFull(r, buf[len(buf):cap(buf)])
			buf = buf[:len(buf)+n]
			if onBytes != nil && n > 0 {
				onBytes(n)
			}
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				eof = true
				break
			}
			if err != nil {
				return fmt.Errorf("reading: %w", err)
			}
			if cap(buf) >= window {
				break
			}
			grown := make([]byte, len(buf), min(2*cap(buf), window))
			copy(grown, buf)
			buf = grown
		}
		own := len(buf)
		if !eof {
			own = len(buf) - overlap
			// Cut after a newline when there is one near, so that a line's
			// start stays in the window that reports it.
			if i := bytes.LastIndexByte(buf[own-overlap/2:own], '\n'); i >= 0 {
				own = own - overlap/2 + i + 1
			}
		}
		// The engine's matches are rebased in place: a window of many
		// matches is not held twice.
		ms := e.Scan(buf)
		out := ms[:0]
		for _, m := range ms {
			if m.Start >= own {
				continue
			}
			if m.Line == 1 {
				m.Column = base + m.Start - lineStart + 1
			}
			m.Line += baseLine
			m.Start += base
			m.End += base
			m.SecretStart += base
			m.SecretEnd += base
			out = append(out, m)
		}
		if len(out) > 0 {
			emit(out, base+own)
		}
		if eof {
			break
		}
		nl := bytes.Count(buf[:own], []byte{'\n'})
		if nl > 0 {
			lineStart = base + bytes.LastIndexByte(buf[:own], '\n') + 1
		}
		baseLine += nl
		base += own
		rest := copy(buf, buf[own:])
		buf = buf[:rest]
	}
	return nil
}
