package report

import (
	"io"
	"time"

	"github.com/achilles-sec/achilles/scanner/finding"
	"github.com/achilles-sec/achilles/scanner/sweep/htmlreport"
)

// htmlWriter writes the same self-contained page as `achilles report` does
// for a sweep, for one scan. It redacts by itself rather than behind
// redacting: the page tells redacted secrets apart by a fingerprint of the
// full secret, and hides every secret in every text it shows.
type htmlWriter struct {
	redact    bool
	version   string
	revocable func(verifier string) bool
	now       time.Time
}

func (h htmlWriter) write(w io.Writer, l *finding.List) error {
	fs, err := l.Slice()
	if err != nil {
		return err
	}
	return htmlreport.WriteFindings(w, fs, htmlreport.Options{Redact: h.redact, Version: h.version, Revocable: h.revocable, Now: h.now})
}
