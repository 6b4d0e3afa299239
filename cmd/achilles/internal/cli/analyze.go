package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/analyzers"
	"github.com/achilles-sec/achilles/detectors/aws"
	"github.com/achilles-sec/achilles/detectors/verify"
	"github.com/achilles-sec/achilles/rules"
	"github.com/achilles-sec/achilles/scanner/report"
	"github.com/spf13/cobra"
)

// analyzerSet and revokerSet are the built-in analyzers and revokers; the
// command tests replace them.
var (
	analyzerSet = analyzers.Analyzers
	revokerSet  = analyzers.Revokers
)

// analyzeOptions are the flags of `achilles analyze`.
type analyzeOptions struct {
	Rule    string
	Parts   []string
	Format  string
	Config  string
	Timeout time.Duration
}

func newAnalyzeCmd(io *IO) *cobra.Command {
	o := &analyzeOptions{}
	cmd := &cobra.Command{
		Use:   "analyze --rule ID < secret",
		Short: "Map what one live secret (read from stdin) can reach: its blast radius",
		Long: `Read one secret from stdin and ask its provider, with read-only calls to its
official API (or the base URL [verify.endpoints] names), who the key belongs to,
what it reaches and with which permissions, and the worst thing it can do.
--rule names the rule whose provider to ask (see 'achilles rules list');
--part rule-id=value gives a companion, e.g. the key id of an AWS secret key.
A canary token (a planted AWS decoy key, recognised offline) is never sent.

Exit status: 0 when the key was analyzed; 1 when it is not live, is a canary,
or could not be analyzed; 2 on a usage error (no such rule, or no analyzer
for the rule's provider).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runAnalyze(cmd.Context(), io, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.Rule, "rule", "", "rule id whose provider analyzes the secret (required)")
	f.StringArrayVar(&o.Parts, "part", nil, "companion part as rule-id=value (repeatable)")
	f.StringVarP(&o.Format, "format", "f", "text", "text or json")
	f.StringVarP(&o.Config, "config", "c", "", "rules file (for custom rules and [verify] settings)")
	f.DurationVar(&o.Timeout, "timeout", 2*time.Minute, "time limit for the whole analysis")
	_ = cmd.MarkFlagRequired("rule")
	return cmd
}

func runAnalyze(ctx context.Context, io *IO, o *analyzeOptions) error {
	if o.Format != "text" && o.Format != "json" {
		return usageError{fmt.Errorf("--format %q: want text or json", o.Format)}
	}
	cfg, err := loadConfigFlag(o.Config)
	if err != nil {
		return err
	}
	r := cfg.ByID(o.Rule)
	if r == nil {
		return usageError{fmt.Errorf("--rule %q: no such rule", o.Rule)}
	}
	all, err := analyzerSet()
	if err != nil {
		return err
	}
	a, ok := all[r.Verifier]
	if r.Verifier == "" || !ok {
		return usageError{fmt.Errorf("rule %s has no analyzer (its provider's verifier is %q); analyzers exist for: %s",
			o.Rule, r.Verifier, idList(all))}
	}
	req, err := readSecretRequest(io, o.Rule, o.Parts)
	if err != nil {
		return err
	}
	if why, canary := canaryReason(req); canary {
		fmt.Fprintf(io.ErrOut, "achilles: %s: not analyzed, nothing sent\n", why)
		return exitError{ExitFindings}
	}
	client, _, err := newVerifyClient(cfg, &verifyOptions{Timeout: 10 * time.Second})
	if err != nil {
		return err
	}
	actx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	rep, err := a.Analyze(actx, client, req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		fmt.Fprintf(io.ErrOut, "achilles: %s: not analyzed: %s\n", a.ID(), report.Escape(verify.Scrub(err.Error(), req)))
		return exitError{ExitFindings}
	}
	if rep == nil {
		fmt.Fprintf(io.ErrOut, "achilles: %s: not analyzed: no report\n", a.ID())
		return exitError{ExitFindings}
	}
	if rep.Analyzer == "" {
		rep.Analyzer = a.ID()
	}
	scrubReport(rep, req)
	rep.Sort()
	if o.Format == "json" {
		enc := json.NewEncoder(io.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	return writeReportText(io, rep)
}

// readSecretRequest reads the secret from stdin and the --part flags.
func readSecretRequest(io *IO, rule string, parts []string) (verify.Request, error) {
	req := verify.Request{RuleID: rule, Parts: map[string]string{}}
	for _, p := range parts {
		k, val, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			return req, usageError{fmt.Errorf("--part %q: want rule-id=value", p)}
		}
		req.Parts[k] = val
	}
	raw, err := readAllLimited(io.In, 1<<20)
	if err != nil {
		return req, err
	}
	req.Secret = strings.TrimSpace(string(raw))
	if req.Secret == "" {
		return req, usageError{fmt.Errorf("no secret on stdin")}
	}
	return req, nil
}

// canaryReason tells whether the secret or a part is an AWS key id of an
// account known to issue canary tokens: any use of it alerts whoever
// planted it, so it is never sent, analyzed or revoked.
func canaryReason(req verify.Request) (string, bool) {
	values := []string{req.Secret}
	keys := make([]string, 0, len(req.Parts))
	for k := range req.Parts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		values = append(values, req.Parts[k])
	}
	for _, v := range values {
		if account, vendor, ok := aws.Canary(strings.TrimSpace(v)); ok {
			return fmt.Sprintf("canary token: the key id belongs to AWS account %s (%s)", account, vendor), true
		}
	}
	return "", false
}

// scrubReport takes the secret and its parts out of everything a report
// says: an analyzer should have, but the report is printed.
func scrubReport(rep *analyze.Report, req verify.Request) {
	s := func(x string) string { return verify.Scrub(x, req) }
	rep.Identity, rep.Kind, rep.Worst = s(rep.Identity), s(rep.Kind), s(rep.Worst)
	for i := range rep.Resources {
		res := &rep.Resources[i]
		res.Kind, res.Name = s(res.Kind), s(res.Name)
		for j := range res.Permissions {
			res.Permissions[j] = s(res.Permissions[j])
		}
	}
	for i := range rep.Partial {
		rep.Partial[i] = s(rep.Partial[i])
	}
}

// writeReportText writes the Worst line first, then who, then the
// resources with their permissions, then what could not be read. Every
// field comes from the provider's answer and is escaped.
func writeReportText(io *IO, rep *analyze.Report) error {
	e := report.Escape
	fmt.Fprintf(io.Out, "%s\n", e(rep.Worst))
	fmt.Fprintf(io.Out, "  analyzer: %s\n", e(rep.Analyzer))
	if rep.Identity != "" {
		fmt.Fprintf(io.Out, "  identity: %s\n", e(rep.Identity))
	}
	if rep.Kind != "" {
		fmt.Fprintf(io.Out, "  kind:     %s\n", e(rep.Kind))
	}
	fmt.Fprintf(io.Out, "  severity: %s\n", rep.Severity)
	if len(rep.Resources) > 0 {
		fmt.Fprintln(io.Out)
		tw := tabwriter.NewWriter(io.Out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "KIND\tNAME\tPERMISSIONS")
		for _, res := range rep.Resources {
			perms := make([]string, len(res.Permissions))
			for i, p := range res.Permissions {
				perms[i] = e(p)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\n", e(res.Kind), e(res.Name), strings.Join(perms, ", "))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(rep.Partial) > 0 {
		fmt.Fprintln(io.Out)
		fmt.Fprintln(io.Out, "partial (not everything could be read):")
		for _, p := range rep.Partial {
			fmt.Fprintf(io.Out, "  - %s\n", e(p))
		}
	}
	return nil
}

// idList names the ids of a map, sorted, or says there are none.
func idList[T any](m map[string]T) string {
	if len(m) == 0 {
		return "none yet"
	}
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return strings.Join(ids, ", ")
}

// providerName is the catalogue's display name of a rule's provider.
func providerName(cfg *rules.Config, r *rules.Rule) string {
	if r == nil {
		return ""
	}
	if p := cfg.Provider(r.Provider); p != nil {
		return p.Name
	}
	return r.Provider
}
