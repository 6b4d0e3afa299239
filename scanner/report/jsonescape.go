package report

import "io"

// jsonControls wraps the writer a JSON encoder writes to and escapes what
// encoding/json leaves raw: DEL and the C1 controls U+0080-U+009F (an
// 8-bit CSI, U+009B, is a control sequence to terminals that honour C1 in
// UTF-8), as \u007f and \u0080-\u009f. Both occur in JSON text only inside
// strings, where the escapes mean the same characters, so the document
// decodes to the same values. Invalid UTF-8 and C0 controls are already
// escaped by the encoder.
type jsonControls struct {
	w       io.Writer
	pending bool // the last Write ended with 0xc2, the first byte of a C1
}

func (j *jsonControls) Write(p []byte) (int, error) {
	out := make([]byte, 0, len(p)+16)
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case j.pending:
			j.pending = false
			if c >= 0x80 && c <= 0x9f {
				out = append(out, '\\', 'u', '0', '0', hex2(c)[0], hex2(c)[1])
				continue
			}
			out = append(out, 0xc2)
			i-- // c is read again, not after a pending byte
		case c == 0x7f:
			out = append(out, `\u007f`...)
		case c == 0xc2 && i+1 < len(p):
			if n := p[i+1]; n >= 0x80 && n <= 0x9f {
				out = append(out, '\\', 'u', '0', '0', hex2(n)[0], hex2(n)[1])
				i++
				continue
			}
			out = append(out, c)
		case c == 0xc2:
			j.pending = true
		default:
			out = append(out, c)
		}
	}
	if _, err := j.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush writes a 0xc2 held back at the end of the last Write.
func (j *jsonControls) Flush() error {
	if !j.pending {
		return nil
	}
	j.pending = false
	_, err := j.w.Write([]byte{0xc2})
	return err
}
