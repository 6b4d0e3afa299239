package cli

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/achilles-sec/achilles/scanner/finding"
	"github.com/achilles-sec/achilles/scanner/report"
	"github.com/achilles-sec/achilles/scanner/sweep/htmlreport"
	"github.com/achilles-sec/achilles/scanner/sweep/store"
	"github.com/spf13/cobra"
)

// newReportCmd builds `achilles report`: a report from a sweep database.
func newReportCmd(cio *IO) *cobra.Command {
	var db, format, out, config string
	var noRedact bool
	cmd := &cobra.Command{
		Use:   "report --db sweep.db [--format FORMAT] [-o FILE]",
		Short: "Write a report of a sweep database: html (one self-contained file) or any scan format",
		Long: `Write a report of everything a sweep database holds, in any format a scan
writes (` + strings.Join(report.Formats, ", ") + `). Secrets are redacted
unless --no-redact. In every format but html each finding's path is
prefixed with its repository (host/owner/name/path).

html is one self-contained page (no external resources) with one row per
secret, its locations folded beneath it, most urgent first: live keys, then
unverified ones by confidence (high, medium, low), canaries, dead keys;
within each, those still present at HEAD first. Each row names the provider
(from the rule catalogue: --config for a rule file of your own), a short
fingerprint of the secret (the first 8 hex digits of its SHA-256, the same in
every report), the confidence, who committed it and when, the verification
history and where to revoke the key. The page pages, filters and prints
(every row of the current filter).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := report.New(format, report.Options{}); err != nil {
				return usageError{fmt.Errorf("--format: %w", err)}
			}
			if _, err := os.Stat(db); err != nil {
				return usageError{fmt.Errorf("--db: %w", err)}
			}
			st, err := store.Open(db)
			if err != nil {
				return err
			}
			defer st.Close()
			es, err := st.Exposures(cmd.Context())
			if err != nil {
				return err
			}
			so := &scanOptions{IO: cio, ConfigPath: config}
			cfg, err := so.loadRules(target{}, nil)
			if err != nil {
				return usageError{err}
			}
			cat := planCatalogue(cfg)
			write := func(w io.Writer) error {
				if format == "html" {
					return htmlreport.Write(w, es, htmlreport.Options{Redact: !noRedact, Now: time.Now(), Version: Version, Rules: cfg,
						VerifyHint: "achilles sweep --reverify", Revocable: cat.Revocable})
				}
				rw, err := report.New(format, report.Options{Redact: !noRedact, Version: Version, Catalogue: cat})
				if err != nil {
					return err
				}
				return rw.Write(w, exposureFindings(es))
			}
			if out == "" {
				return write(cio.Out)
			}
			return report.WriteFile(out, write)
		},
	}
	f := cmd.Flags()
	f.StringVar(&db, "db", "sweep.db", "sweep results database")
	f.StringVarP(&format, "format", "f", "html", "report format: "+strings.Join(report.Formats, ", "))
	f.StringVarP(&out, "output", "o", "", "write the report to this file (mode 0600; default: stdout)")
	f.BoolVar(&noRedact, "no-redact", false, "show secrets in full")
	f.StringVarP(&config, "config", "c", "", "rules file whose catalogue names the providers in html (default: $ACHILLES_CONFIG, then the built-in rules)")
	return cmd
}

// exposureFindings turns stored findings back into findings for the
// scanner/report writers, the repository prefixed to each path.
func exposureFindings(es []store.Exposure) []finding.Finding {
	out := make([]finding.Finding, 0, len(es))
	for _, e := range es {
		f := e.Finding.Finding
		f.Path = e.Repo + "/" + f.Path
		if v := e.Verification; v.Status != "" {
			f.Verification = &finding.Verification{Status: v.Status, Reason: v.Reason, Identity: v.Identity, Scopes: v.Scopes,
				ExpiresAt: v.ExpiresAt, Kind: v.Kind, Verifier: v.Verifier}
		}
		out = append(out, f)
	}
	return out
}
