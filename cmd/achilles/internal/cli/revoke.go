package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/verify"
	"github.com/achilles-sec/achilles/rules"
	"github.com/achilles-sec/achilles/scanner/finding"
	"github.com/achilles-sec/achilles/scanner/pipeline"
	"github.com/achilles-sec/achilles/scanner/report"
	"github.com/achilles-sec/achilles/scanner/sweep/store"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// defaultAuditLog is where revocation attempts are recorded unless --audit
// says otherwise: in the current folder, next to whoever ran the command.
const defaultAuditLog = "achilles-revocations.jsonl"

// revokeOptions are the flags of `achilles revoke`.
type revokeOptions struct {
	Rule         string
	Parts        []string
	DB           string
	Fingerprints []string
	Yes          bool
	DryRun       bool
	Audit        string
	Config       string
	Timeout      time.Duration
}

// openTerminal opens the controlling terminal to ask for confirmation: not
// stdin, which holds the secret. Tests replace it.
var openTerminal = func() (io.ReadCloser, error) {
	name := "/dev/tty"
	if runtime.GOOS == "windows" {
		name = "CONIN$"
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	if !term.IsTerminal(int(f.Fd())) {
		f.Close()
		return nil, errors.New("not a terminal")
	}
	return f, nil
}

func newRevokeCmd(io *IO) *cobra.Command {
	o := &revokeOptions{}
	cmd := &cobra.Command{
		Use:   "revoke (--rule ID < secret | --db SWEEP.db --fingerprint F...)",
		Short: "Revoke leaked credentials at their provider, where its API lets whoever holds a key revoke it",
		Long: `Revoke leaked credentials through the provider's documented revocation API:
GitHub's credential revocation API (any ghp_, github_pat_, gho_, ghu_, ghr_ token,
no account needed), a token revoking itself (GitLab, Slack, Dropbox, Fastly), a
Discord webhook deleted by its own URL.

  achilles revoke --rule ID [--part rule-id=value]... < secret
  achilles revoke --db SWEEP.db --fingerprint F [--fingerprint F2]...

It first prints what will be revoked (provider, rule, fingerprint, the secret
redacted) and asks "Revoke N credentials? [y/N]" on the terminal; without a
terminal it refuses unless --yes. --dry-run prints the plan and sends nothing.
For a provider without a revocation API it prints where to revoke the key by
hand. Canary tokens (planted AWS decoy keys) are never revoked or sent.

Every attempt is recorded, one JSON line each (time, fingerprint, rule,
provider, status, answer; never the secret), in --audit (default
achilles-revocations.jsonl in the current folder, created 0600); with --db
also in the sweep database's revocations table. It is never run by a scan.

Exit status: 0 when every credential listed was revoked or was already
invalid (and for --dry-run); 1 when any was not (refused, a canary, no
revocation API, or declined at the prompt); 2 on a usage error, including no
terminal to confirm on without --yes.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runRevoke(cmd.Context(), io, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.Rule, "rule", "", "rule id of the secret read from stdin")
	f.StringArrayVar(&o.Parts, "part", nil, "companion part as rule-id=value (repeatable)")
	f.StringVar(&o.DB, "db", "", "sweep database whose findings --fingerprint names")
	f.StringArrayVar(&o.Fingerprints, "fingerprint", nil, "fingerprint of a finding in --db to revoke (repeatable)")
	f.BoolVarP(&o.Yes, "yes", "y", false, "revoke without asking")
	f.BoolVar(&o.DryRun, "dry-run", false, "print what would be revoked and send nothing")
	f.StringVar(&o.Audit, "audit", defaultAuditLog, "file the attempts are appended to (JSON lines)")
	f.StringVarP(&o.Config, "config", "c", "", "rules file (for custom rules and [verify.endpoints], e.g. a GitHub Enterprise Server)")
	f.DurationVar(&o.Timeout, "timeout", 30*time.Second, "time limit for one revocation request")
	return cmd
}

// revokeTarget is one unique credential to revoke, with every fingerprint
// it was found under.
type revokeTarget struct {
	fingerprints []string
	rule         *rules.Rule
	ruleID       string
	secretID     string
	req          verify.Request
	// Exactly one of: a revoker, a canary reason, or none (revoke by hand).
	revoker analyze.Revoker
	canary  string
	outcome analyze.Outcome
}

func (t *revokeTarget) provider() string {
	if t.rule != nil {
		return t.rule.Verifier
	}
	return ""
}

func runRevoke(ctx context.Context, io *IO, o *revokeOptions) error {
	switch {
	case o.DB == "" && o.Rule == "":
		return usageError{errors.New("give --rule ID with the secret on stdin, or --db SWEEP.db with --fingerprint")}
	case o.DB != "" && o.Rule != "":
		return usageError{errors.New("--rule and --db go separately: --db takes each finding's own rule")}
	case o.DB != "" && len(o.Fingerprints) == 0:
		return usageError{errors.New("--db needs at least one --fingerprint (see 'achilles report --db' for them)")}
	case o.DB == "" && len(o.Fingerprints) > 0:
		return usageError{errors.New("--fingerprint needs --db")}
	}
	cfg, err := loadConfigFlag(o.Config)
	if err != nil {
		return err
	}
	revokers, err := revokerSet()
	if err != nil {
		return err
	}
	var st *store.Store
	var targets []*revokeTarget
	if o.DB != "" {
		if _, err := os.Stat(o.DB); err != nil {
			return usageError{fmt.Errorf("--db: %w", err)}
		}
		st, err = store.Open(o.DB)
		if err != nil {
			return err
		}
		defer st.Close()
		targets, err = dbTargets(ctx, cfg, st, o.Fingerprints)
		if err != nil {
			return err
		}
	} else {
		r := cfg.ByID(o.Rule)
		if r == nil {
			return usageError{fmt.Errorf("--rule %q: no such rule", o.Rule)}
		}
		req, err := readSecretRequest(io, o.Rule, o.Parts)
		if err != nil {
			return err
		}
		targets = []*revokeTarget{{
			fingerprints: []string{finding.MakeFingerprint(o.Rule, req.Secret, "")},
			rule:         r, ruleID: o.Rule, secretID: store.SecretID(req.Secret), req: req,
		}}
	}
	var auto, manual, canaries []*revokeTarget
	for _, t := range targets {
		if why, ok := canaryReason(t.req); ok && t.canary == "" {
			t.canary = why
		}
		switch {
		case t.canary != "":
			canaries = append(canaries, t)
		case revokers[t.provider()] != nil && t.provider() != "":
			t.revoker = revokers[t.provider()]
			auto = append(auto, t)
		default:
			manual = append(manual, t)
		}
	}
	printPlan(io, cfg, auto, manual, canaries)
	notAll := len(manual) > 0 || len(canaries) > 0
	if len(auto) == 0 {
		fmt.Fprintln(io.ErrOut, "achilles: nothing to revoke through a provider's API")
		return exitError{ExitFindings}
	}
	if o.DryRun {
		fmt.Fprintln(io.ErrOut, "achilles: dry run: nothing sent")
		return nil
	}
	if !o.Yes {
		ok, err := confirm(io, len(auto))
		if err != nil {
			return err
		}
		if !ok {
			fmt.Fprintln(io.ErrOut, "achilles: nothing revoked")
			return exitError{ExitFindings}
		}
	}
	// The log is opened before anything is sent: an attempt that could not
	// be recorded is not made.
	audit, err := analyze.OpenAudit(o.Audit)
	if err != nil {
		return err
	}
	client, _, err := newVerifyClient(cfg, &verifyOptions{Timeout: o.Timeout})
	if err != nil {
		audit.Close()
		return err
	}
	revokeAll(ctx, client, auto, o.Timeout)
	var recErr error
	for _, t := range auto {
		for _, fp := range t.fingerprints {
			e := analyze.AuditEntry{Time: time.Now(), Fingerprint: fp, Rule: t.ruleID, Provider: t.provider(), Status: t.outcome.Status, Answer: t.outcome.Answer}
			if err := audit.Record(e); err != nil && recErr == nil {
				recErr = err
			}
			if st != nil {
				if err := st.RecordRevocation(ctx, store.Revocation{At: e.Time, Fingerprint: fp, SecretID: t.secretID, RuleID: t.ruleID,
					Provider: e.Provider, Status: string(e.Status), Answer: e.Answer}); err != nil && recErr == nil {
					recErr = err
				}
			}
		}
	}
	if err := audit.Close(); err != nil && recErr == nil {
		recErr = err
	}
	printOutcomes(io, auto)
	fmt.Fprintf(io.ErrOut, "achilles: attempts recorded in %s\n", report.Escape(o.Audit))
	if recErr != nil {
		return recErr
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	for _, t := range auto {
		if t.outcome.Status != analyze.Revoked && t.outcome.Status != analyze.AlreadyInvalid {
			notAll = true
		}
	}
	if notAll {
		return exitError{ExitFindings}
	}
	return nil
}

// dbTargets reads the fingerprints' findings from a sweep database, one
// target per unique secret.
func dbTargets(ctx context.Context, cfg *rules.Config, st *store.Store, fps []string) ([]*revokeTarget, error) {
	found, missing, err := st.ByFingerprint(ctx, fps)
	if err != nil {
		return nil, err
	}
	if len(missing) > 0 {
		return nil, usageError{fmt.Errorf("no finding with fingerprint %s in %s", report.Escape(strings.Join(missing, ", ")), st.Path())}
	}
	bySecret := map[string]*revokeTarget{}
	var out []*revokeTarget
	for _, f := range found {
		if f.Secret == "" {
			return nil, usageError{fmt.Errorf("finding %s has no secret to revoke (a path-only rule)", report.Escape(f.Fingerprint))}
		}
		if t, ok := bySecret[f.SecretID]; ok {
			t.fingerprints = append(t.fingerprints, f.Fingerprint)
			continue
		}
		req := pipeline.Candidate{RuleID: f.RuleID, Secret: f.Secret, Related: f.Related, ChecksumFailed: f.ChecksumFailed}.Request()
		t := &revokeTarget{fingerprints: []string{f.Fingerprint}, rule: cfg.ByID(f.RuleID), ruleID: f.RuleID, secretID: f.SecretID, req: req}
		if f.Status == store.Canary {
			t.canary = "canary token (so the sweep's verification found)"
		}
		bySecret[f.SecretID] = t
		out = append(out, t)
	}
	return out, nil
}

// printPlan says what will be revoked, what must be revoked by hand, and
// what never is. Secrets show redacted; everything else read from the
// database or the rules is escaped.
func printPlan(io *IO, cfg *rules.Config, auto, manual, canaries []*revokeTarget) {
	e := report.Escape
	row := func(tw *tabwriter.Writer, t *revokeTarget, extra string) {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", e(providerName(cfg, t.rule)), e(t.ruleID), e(strings.Join(t.fingerprints, ",")), e(finding.Redact(t.req.Secret)), extra)
	}
	tw := tabwriter.NewWriter(io.Out, 0, 4, 2, ' ', 0)
	if len(auto) > 0 {
		fmt.Fprintf(tw, "To revoke through the provider's API (%d):\n", len(auto))
		for _, t := range auto {
			row(tw, t, "via "+e(t.revoker.ID()))
		}
	}
	if len(manual) > 0 {
		fmt.Fprintf(tw, "No revocation API: revoke or rotate by hand (%d):\n", len(manual))
		for _, t := range manual {
			row(tw, t, e(manualSteps(cfg, t.rule)))
		}
	}
	if len(canaries) > 0 {
		fmt.Fprintf(tw, "Never revoked (%d):\n", len(canaries))
		for _, t := range canaries {
			row(tw, t, e(t.canary)+": any use alerts whoever planted it")
		}
	}
	tw.Flush()
}

// manualSteps is the catalogue's advice for a provider without a revoker:
// its console page for keys, or else its documentation.
func manualSteps(cfg *rules.Config, r *rules.Rule) string {
	if r == nil {
		return "unknown rule: revoke it in the provider's console"
	}
	p := cfg.Provider(r.Provider)
	switch {
	case p != nil && p.Revoke != "":
		return "revoke it at " + p.Revoke + ", then replace it where it is used"
	case p != nil && p.Docs != "":
		return "revoke it in " + p.Name + "'s console (see " + p.Docs + "), then replace it where it is used"
	}
	return "revoke it in the provider's console, then replace it where it is used"
}

// confirm asks on the terminal. Without one it refuses, as a usage error.
func confirm(io *IO, n int) (bool, error) {
	tty, err := openTerminal()
	if err != nil {
		return false, usageError{errors.New("no terminal to confirm on: pass --yes to revoke without asking, or --dry-run to only see the plan")}
	}
	defer tty.Close()
	noun := "credentials"
	if n == 1 {
		noun = "credential"
	}
	fmt.Fprintf(io.ErrOut, "Revoke %d %s? [y/N] ", n, noun)
	line, _ := bufio.NewReader(tty).ReadString('\n')
	a := strings.ToLower(strings.TrimSpace(line))
	return a == "y" || a == "yes", nil
}

// revokeAll revokes every target: a batch revoker gets all of its
// provider's targets at once, the others one by one.
func revokeAll(ctx context.Context, c *verify.Client, targets []*revokeTarget, timeout time.Duration) {
	byRevoker := map[string][]*revokeTarget{}
	var order []string
	for _, t := range targets {
		id := t.revoker.ID()
		if _, ok := byRevoker[id]; !ok {
			order = append(order, id)
		}
		byRevoker[id] = append(byRevoker[id], t)
	}
	for _, id := range order {
		ts := byRevoker[id]
		if b, ok := ts[0].revoker.(analyze.BatchRevoker); ok && len(ts) > 1 {
			reqs := make([]verify.Request, len(ts))
			all := verify.Request{Parts: map[string]string{}}
			for i, t := range ts {
				reqs[i] = t.req
				all.Parts[fmt.Sprint(i)] = t.req.Secret
			}
			bctx, cancel := context.WithTimeout(ctx, timeout*time.Duration(1+len(ts)/1000))
			outs, err := b.RevokeBatch(bctx, c, reqs)
			cancel()
			for i, t := range ts {
				switch {
				case err != nil:
					t.outcome = analyze.Outcome{Status: analyze.RevokeFailed, Answer: verify.Scrub("not sent: "+err.Error(), all)}
				case i < len(outs):
					t.outcome = outs[i]
				default:
					t.outcome = analyze.Outcome{Status: analyze.RevokeFailed, Answer: "no answer for this credential"}
				}
			}
			continue
		}
		for _, t := range ts {
			if ctx.Err() != nil {
				t.outcome = analyze.Outcome{Status: analyze.RevokeFailed, Answer: "not sent: interrupted"}
				continue
			}
			rctx, cancel := context.WithTimeout(ctx, timeout)
			out, err := t.revoker.Revoke(rctx, c, t.req)
			cancel()
			if err != nil {
				out = analyze.Outcome{Status: analyze.RevokeFailed, Answer: "not sent: " + err.Error()}
			}
			t.outcome = out
		}
	}
	for _, t := range targets {
		t.outcome.Answer = verify.Scrub(t.outcome.Answer, t.req)
	}
}

func printOutcomes(io *IO, targets []*revokeTarget) {
	e := report.Escape
	tw := tabwriter.NewWriter(io.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\nSTATUS\tPROVIDER\tRULE\tFINGERPRINT\tANSWER")
	for _, t := range targets {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.outcome.Status, e(t.provider()), e(t.ruleID), e(strings.Join(t.fingerprints, ",")), e(t.outcome.Answer))
	}
	tw.Flush()
}
