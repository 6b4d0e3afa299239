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
	jc := &jsonControls{w: w}
	enc := json.NewEncoder(jc)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(fs); err != nil {
		return err
	}
	return jc.Flush()
}

type jsonlWriter struct{}

func (jsonlWriter) Write(w io.Writer, fs []finding.Finding) error {
	jc := &jsonControls{w: w}
	enc := json.NewEncoder(jc)
	enc.SetEscapeHTML(false)
	for i := range fs {
		if err := enc.Encode(&fs[i]); err != nil {
			return err
		}
	}
	return jc.Flush()
}
