package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"

	"github.com/achilles-sec/achilles/scanner/finding"
)

type jsonWriter struct{}

// Write writes the findings as one indented JSON array, the bytes
// json.Encoder with SetIndent("", "  ") gives for the whole slice, but
// encoded one finding at a time: the whole document of a million findings
// is never held in memory (nor indented in a second buffer).
func (jsonWriter) write(w io.Writer, l *finding.List) error {
	if l.Len() == 0 {
		_, err := io.WriteString(w, "[]\n")
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	jc := &jsonControls{w: bw}
	var one bytes.Buffer
	enc := json.NewEncoder(&one)
	// Elements of a top-level array sit one level in: their lines after
	// the first carry two spaces more.
	enc.SetIndent("  ", "  ")
	enc.SetEscapeHTML(false)
	sep := "[\n  "
	err := l.Each(func(_ int, f *finding.Finding) error {
		one.Reset()
		if err := enc.Encode(f); err != nil {
			return err
		}
		if _, err := io.WriteString(jc, sep); err != nil {
			return err
		}
		// Encode ends each value with a newline; the array puts a comma
		// or its closing bracket there.
		if _, err := jc.Write(bytes.TrimSuffix(one.Bytes(), []byte{'\n'})); err != nil {
			return err
		}
		sep = ",\n  "
		return nil
	})
	if err != nil {
		return err
	}
	if _, err := io.WriteString(jc, "\n]\n"); err != nil {
		return err
	}
	if err := jc.Flush(); err != nil {
		return err
	}
	return bw.Flush()
}

type jsonlWriter struct{}

func (jsonlWriter) write(w io.Writer, l *finding.List) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	jc := &jsonControls{w: bw}
	enc := json.NewEncoder(jc)
	enc.SetEscapeHTML(false)
	if err := l.Each(func(_ int, f *finding.Finding) error { return enc.Encode(f) }); err != nil {
		return err
	}
	if err := jc.Flush(); err != nil {
		return err
	}
	return bw.Flush()
}
