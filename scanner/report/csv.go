package report

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"

	"github.com/achilles-sec/achilles/scanner/finding"
)

// csvWriter writes one row per finding with a header row.
type csvWriter struct{}

var csvHeader = []string{"rule_id", "description", "confidence", "path", "line", "column", "secret", "match", "entropy", "fingerprint", "commit", "author", "email", "date", "message", "still_present", "verification", "identity", "scopes", "expires_at"}

func (csvWriter) write(w io.Writer, l *finding.List) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	err := l.Each(func(_ int, f *finding.Finding) error {
		present := ""
		if p, known := f.StillPresent(); known {
			present = strconv.FormatBool(p)
		}
		var g finding.GitOrigin
		if f.Git != nil {
			g = *f.Git
		}
		var status, identity, scopes, expires string
		if v := f.Verification; v != nil {
			status, identity, scopes, expires = v.Status, v.Identity, strings.Join(v.Scopes, " "), v.ExpiresAt
		}
		row := []string{csvSafe(f.RuleID), csvSafe(f.Description), csvSafe(f.Confidence), csvSafe(f.Path), strconv.Itoa(f.Line), strconv.Itoa(f.Column),
			csvSafe(f.Secret), csvSafe(f.Match), strconv.FormatFloat(f.Entropy, 'f', 3, 64), csvSafe(f.Fingerprint),
			csvSafe(g.Commit), csvSafe(g.Author), csvSafe(g.Email), csvSafe(g.Date), csvSafe(g.Message), present, csvSafe(status), csvSafe(identity), csvSafe(scopes), csvSafe(expires)}
		return cw.Write(row)
	})
	if err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// csvSafe makes a cell taken from scanned content safe to open: control
// characters (C0, C1, DEL) and invalid UTF-8 are written as escapes (the
// file is also read with cat and less: an ESC from a path must not reach
// the terminal), and a spreadsheet must not read the cell as a formula.
// A multi-line secret (a private key) is one line in its cell, its line
// breaks written as \n.
func csvSafe(s string) string {
	s = Escape(s)
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
