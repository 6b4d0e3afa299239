package report

import (
	"encoding/json"
	"io"

	"github.com/achilles-sec/achilles/scanner/finding"
)

type jsonWriter struct{}

func (jsonWriter) Write(w io.Writer, fs []finding.Finding) error {
	if fs == nil {
		fs = []finding.Finding{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(fs)
}

type jsonlWriter struct{}

func (jsonlWriter) Write(w io.Writer, fs []finding.Finding) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for i := range fs {
		if err := enc.Encode(&fs[i]); err != nil {
			return err
		}
	}
	return nil
}
