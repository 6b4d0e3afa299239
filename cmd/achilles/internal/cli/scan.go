package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"

	"github.com/achilles-sec/achilles/detectors"
	"github.com/achilles-sec/achilles/rules"
	"github.com/achilles-sec/achilles/scanner"
	"github.com/achilles-sec/achilles/scanner/archive"
	"github.com/achilles-sec/achilles/scanner/finding"
	"github.com/achilles-sec/achilles/scanner/pipeline"
	"github.com/achilles-sec/achilles/scanner/plan"
	"github.com/achilles-sec/achilles/scanner/report"
	"github.com/achilles-sec/achilles/scanner/sweep/htmlreport"
	"github.com/achilles-sec/achilles/scanner/triage"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"
)

// scanOptions are the flags every scan command shares.
type scanOptions struct {
	IO            *IO
	ConfigPath    string
	Format        string
	Output        string
	Redact        bool
	NoRedact      bool
	NoColor       bool
	Jobs          int
	NoProgress    bool
	ExitCode      int
	MinConfidence string
	Baseline      string
	searchFlags
	// TrustRepoVerify lets repository configuration say where secrets are
	// sent ([verify] endpoints, declared verifiers, rules' verifiers).
	TrustRepoVerify bool
	verifyOptions
	// repository is the scanned git repository, for reports that record it.
	repository *report.Repository
}

func addScanFlags(cmd *cobra.Command, o *scanOptions) {
	f := cmd.Flags()
	f.StringVarP(&o.ConfigPath, "config", "c", "", "rules file (TOML; default: $ACHILLES_CONFIG, then the built-in rules plus the target's own .achilles.toml or .gitleaks.toml)")
	f.StringVarP(&o.Format, "format", "f", "text", "report format: "+strings.Join(report.Formats, ", ")+" (template=FILE: a Go text/template)")
	f.StringVarP(&o.Output, "output", "o", "", "write the report to this file (default: stdout)")
	f.BoolVar(&o.Redact, "redact", false, "hide secrets in every output (sarif, junit and csv always do, unless --no-redact)")
	f.BoolVar(&o.NoRedact, "no-redact", false, "show secrets in sarif, junit and csv reports too (they are redacted by default)")
	f.BoolVar(&o.NoColor, "no-color", false, "no colour in the text report (also when NO_COLOR is set)")
	f.IntVarP(&o.Jobs, "jobs", "j", runtime.NumCPU(), "number of scanning workers")
	f.BoolVar(&o.NoProgress, "no-progress", false, "do not show a progress bar")
	f.IntVar(&o.ExitCode, "exit-code", ExitFindings, "exit status when findings are reported")
	f.StringVar(&o.MinConfidence, "min-confidence", "low", "report only findings of at least this confidence: low, medium or high")
	f.StringVar(&o.Baseline, "baseline", "", "report only findings not in this earlier JSON report (achilles or gitleaks)")
	o.searchFlags.add(f)
	f.BoolVar(&o.TrustRepoVerify, "trust-repo-verify", false, "let the scanned target's .achilles.toml/.gitleaks.toml set [verify] endpoints and verifiers (ignored by default: a repository must not choose where its secrets are sent)")
	addVerifyFlags(cmd, &o.verifyOptions)
}

func (o *scanOptions) validate() error {
	if _, err := report.New(o.Format, report.Options{}); err != nil {
		return usageError{err}
	}
	if o.ExitCode < 0 || o.ExitCode > 255 {
		return usageError{fmt.Errorf("--exit-code %d: want 0 to 255 (an exit status is one byte)", o.ExitCode)}
	}
	if o.Redact && o.NoRedact {
		return usageError{errors.New("--redact and --no-redact contradict each other")}
	}
	if _, ok := rules.ParseConfidence(o.MinConfidence); !ok {
		return usageError{fmt.Errorf("--min-confidence %q: want low, medium or high", o.MinConfidence)}
	}
	if o.Jobs < 1 {
		return usageError{fmt.Errorf("--jobs %d: want at least 1", o.Jobs)}
	}
	if err := o.searchFlags.validate(); err != nil {
		return err
	}
	return o.verifyOptions.validate()
}

// searchFlags shape how content is searched; the scan commands and sweep
// share them, and the scanner's options are made from them in one place.
type searchFlags struct {
	MaxFileSize  int64
	DecodeDepth  int
	ArchiveDepth int
}

func (s *searchFlags) add(f *pflag.FlagSet) {
	f.Int64Var(&s.MaxFileSize, "max-file-size", scanner.DefaultMaxFileSize, "files and blobs larger than this many bytes are streamed in chunks")
	f.IntVar(&s.DecodeDepth, "decode-depth", detectors.DefaultDecodeDepth, "look through this many layers of base64, percent, hex and escape encoding for hidden secrets (0: off)")
	f.IntVar(&s.ArchiveDepth, "archive-depth", archive.DefaultMaxDepth, "open archives (zip, jar, tar, gz, bz2, xz, zst) nested this deep (0: leave archives closed)")
}

func (s *searchFlags) validate() error {
	if s.MaxFileSize < 0 {
		return usageError{fmt.Errorf("--max-file-size %d: want a size in bytes (0: the default)", s.MaxFileSize)}
	}
	if s.DecodeDepth < 0 || s.DecodeDepth > 8 {
		return usageError{fmt.Errorf("--decode-depth %d: want 0 to 8", s.DecodeDepth)}
	}
	if s.ArchiveDepth < 0 || s.ArchiveDepth > 16 {
		return usageError{fmt.Errorf("--archive-depth %d: want 0 to 16", s.ArchiveDepth)}
	}
	return nil
}

// scannerOptions are the scanner's options for these flags.
func (s *searchFlags) scannerOptions(engine *detectors.Engine, jobs int, warn func(error)) scanner.Options {
	depth := s.ArchiveDepth
	if depth == 0 {
		depth = -1 // --archive-depth 0 leaves archives closed; the scanner takes 0 as its default
	}
	return scanner.Options{
		Engine:        engine,
		Jobs:          jobs,
		MaxFileSize:   s.MaxFileSize,
		DecodeDepth:   s.DecodeDepth,
		ArchiveLimits: archive.Limits{MaxDepth: depth},
		Warn:          warn,
	}
}

// newWarner prints warnings that did not stop the work, one at a time and
// with control characters escaped: they quote paths and answers taken from
// scanned content.
func newWarner(errOut io.Writer) func(error) {
	var mu sync.Mutex
	return func(err error) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(errOut, "achilles: warning: %s\n", report.Escape(err.Error()))
	}
}

// target is what a scan reads besides its content: the configuration and
// ignore files the scanned folder or repository carries, and findings about
// the target itself (a range that edits those files).
type target struct {
	// read returns one of those files (an error wrapping fs.ErrNotExist when
	// absent); nil when the target carries none (stdin).
	read func(name string) ([]byte, error)
	// where says where the files were read, for messages.
	where string
	// policy lists findings about the target, added after triage: ignore
	// files cannot remove them.
	policy func(ctx context.Context) ([]finding.Finding, error)
}

// folderTarget reads a folder's files from disk (none when root is not a
// folder).
func folderTarget(root string) target {
	if st, err := os.Stat(root); root == "" || err != nil || !st.IsDir() {
		return target{}
	}
	return target{
		read:  func(name string) ([]byte, error) { return scanner.ReadTargetFile(root, name) },
		where: root,
	}
}

// revisionTarget reads a repository's files as they are at commit base (no
// files when base is "").
func revisionTarget(ctx context.Context, dir, base string) target {
	if base == "" {
		return target{where: "the range (it has no base commit)"}
	}
	return target{
		read:  func(name string) ([]byte, error) { return scanner.ReadRevisionFile(ctx, dir, base, name) },
		where: "base commit " + base[:12],
	}
}

// file reads one file of the target; absent (or refused, with a warning)
// is (nil, false).
func (t target) file(name string, warn func(error)) ([]byte, bool) {
	if t.read == nil {
		return nil, false
	}
	data, err := t.read(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false
	}
	if err != nil {
		warn(fmt.Errorf("%s: %w", t.where, err))
		return nil, false
	}
	return data, true
}

// loadRules picks the rules: --config, then $ACHILLES_CONFIG (both trusted),
// then the target's own .achilles.toml or .gitleaks.toml (repository
// configuration, layered over the built-in rules: see rules.LoadRepository),
// then the built-in rules.
func (o *scanOptions) loadRules(t target, warn func(error)) (*rules.Config, error) {
	cfg, err := o.loadRuleFiles(t, warn)
	if err != nil {
		return nil, err
	}
	if err := checkNames(cfg); err != nil {
		return nil, err
	}
	return cfg, nil
}

func (o *scanOptions) loadRuleFiles(t target, warn func(error)) (*rules.Config, error) {
	path := o.ConfigPath
	if path == "" {
		path = os.Getenv("ACHILLES_CONFIG")
	}
	if path != "" {
		return rules.LoadFile(path)
	}
	for _, name := range rules.RepositoryFiles {
		data, ok := t.file(name, warn)
		if !ok {
			continue
		}
		cfg, err := rules.LoadRepository(name, data, rules.RepositoryOptions{AllowVerify: o.TrustRepoVerify})
		if err != nil {
			return nil, fmt.Errorf("repository configuration in %s: %w", t.where, err)
		}
		for _, n := range cfg.RepositoryNotes {
			warn(fmt.Errorf("%s (%s): %s", name, t.where, n))
		}
		return cfg, nil
	}
	return rules.Default()
}

// rulesSummary names the rules a scan used, for the summary line: every
// file, the built-in set, and what repository configuration suppressed.
func rulesSummary(cfg *rules.Config, t target) string {
	var parts []string
	own := false
	for _, src := range cfg.Sources {
		switch {
		case strings.HasPrefix(src, "rules/default/"):
			if len(parts) == 0 || parts[0] != "built-in" {
				parts = append([]string{"built-in"}, parts...)
			}
		case src == cfg.Repository:
			parts = append(parts, "repository configuration "+src+" from "+t.where)
		default:
			parts = append(parts, src)
			own = true
		}
	}
	line := fmt.Sprintf("rules: %s (%d rules)", strings.Join(parts, " + "), len(cfg.Rules))
	switch {
	case cfg.Repository != "":
		n := cfg.RepositorySuppressed()
		line += "; repository allowlists suppressed " + scanner.Plural(n, "match", "matches")
	case !own && t.where != "":
		line += "; no repository configuration in " + t.where
	}
	return line
}

// scanFunc runs one source.
type scanFunc func(ctx context.Context, opts scanner.Options) (*scanner.Result, error)

// runScan is the part every scan command shares: rules, engine, progress,
// the scan, the report, the summary and the exit status.
func runScan(ctx context.Context, o *scanOptions, root string, scan scanFunc) error {
	return runScanTarget(ctx, o, folderTarget(root), scan)
}

// runScanTarget is runScan for a target whose files come from elsewhere
// than a folder (a range's base commit).
func runScanTarget(ctx context.Context, o *scanOptions, t target, scan scanFunc) error {
	if err := o.validate(); err != nil {
		return err
	}
	errOut := o.IO.ErrOut
	warn := newWarner(errOut)
	// Loading the catalogue and building its keyword automaton allocate
	// tables that all stay live: a collection in between frees nothing,
	// so none runs until the engine is built (a third of a pre-commit
	// run's start-up otherwise).
	gc := debug.SetGCPercent(-1)
	cfg, err := o.loadRules(t, warn)
	if err != nil {
		debug.SetGCPercent(gc)
		return usageError{err}
	}
	engine := detectors.New(cfg)
	resumeGC(gc)
	opts := o.scannerOptions(engine, o.Jobs, warn)
	var bar *progressbar.ProgressBar
	if !o.NoProgress && isTerminal(errOut) {
		bar = progressbar.NewOptions64(-1,
			progressbar.OptionSetWriter(errOut),
			progressbar.OptionShowBytes(true),
			progressbar.OptionShowCount(),
			progressbar.OptionSetDescription("scanning"),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionThrottle(100_000_000),
		)
		opts.Progress = &barProgress{bar: bar}
	}
	res, err := scan(ctx, opts)
	if bar != nil {
		_ = bar.Finish()
	}
	defer res.Close() // a spilled result's spool
	if err != nil && (res == nil || !res.Incomplete) {
		if errors.Is(err, scanner.ErrTarget) {
			return usageError{err}
		}
		return err
	}
	min, _ := rules.ParseConfidence(o.MinConfidence)
	chain := pipeline.Chain{MinConfidence: min, Policy: t.policy, OnlyLive: o.OnlyVerified}
	// Triage: ignore files in the scanned root, then the baseline.
	filter := triage.NewFilter()
	for _, name := range triage.IgnoreFiles {
		if data, ok := t.file(name, warn); ok {
			if err := filter.Read(bytes.NewReader(data)); err != nil {
				return usageError{fmt.Errorf("%s (%s): %w", name, t.where, err)}
			}
		}
	}
	if o.Baseline != "" {
		if err := filter.LoadBaseline(o.Baseline); err != nil {
			return usageError{err}
		}
	}
	chain.Filter = filter
	if o.Verify {
		if chain.Verify, err = newVerification(cfg, &o.verifyOptions); err != nil {
			return err
		}
	}
	if o.Analyze {
		as, err := analyzerSet()
		if err != nil {
			return err
		}
		chain.Analyze = &pipeline.Analysis{Client: chain.Verify.Client, Analyzers: as}
	}
	out, err := chain.RunList(ctx, res.List())
	if err != nil {
		return err
	}
	fs := out.List
	defer fs.Close()
	if out.Suppressed > 0 {
		fmt.Fprintf(errOut, "achilles: %s suppressed by ignore files or the baseline\n", scanner.Plural(int64(out.Suppressed), "finding", "findings"))
	}
	if out.Requests >= 0 {
		fmt.Fprintf(errOut, "achilles: verification: %d requests\n", out.Requests)
	}
	if chain.Analyze != nil {
		fmt.Fprintf(errOut, "achilles: analysis: %s analyzed\n", scanner.Plural(int64(out.Analyzed), "live key", "live keys"))
	}
	// An interrupt during verification leaves answers missing: the report
	// is as incomplete as one cut short during the scan.
	incomplete := res.Incomplete || ctx.Err() != nil
	var infos []report.RuleInfo
	if o.Format == "sarif" { // the only format that lists the rules
		infos = ruleInfos(cfg)
		if t.policy != nil {
			infos = append(infos, report.RuleInfo{ID: configChangeRule, Description: configChangeDescription, Confidence: "high"})
		}
	}
	var cat plan.Catalogue
	if (o.Format == "text" || o.Format == "html") && fs.Len() > 0 {
		cat = planCatalogue(cfg) // only the formats that print the response plan, and only for a plan
	}
	if err := o.writeReport(fs, incomplete, infos, cat); err != nil {
		return err
	}
	counts, err := countFindings(fs)
	if err != nil {
		return err
	}
	fmt.Fprintln(errOut, "achilles: "+report.Escape(res.Stats.Summary(fs.Len())))
	if fs.Len() > 0 {
		fmt.Fprintln(errOut, "achilles: "+counts.breakdown())
	}
	fmt.Fprintln(errOut, "achilles: "+report.Escape(rulesSummary(cfg, t)))
	if incomplete {
		fmt.Fprintln(errOut, "achilles: interrupted: the report holds what was found before the scan stopped and is marked incomplete")
		return exitError{ExitInterrupted}
	}
	if code := (pipeline.Exit{Code: o.ExitCode, FailOnLive: o.FailOn == "live"}).Status(fs.Len(), counts.byStatus["live"]); code != 0 {
		return exitError{code}
	}
	return nil
}

// findingCounts are what the summary says of the findings, counted in
// one pass over the list.
type findingCounts struct {
	byConf, byStatus map[string]int
	present          int
	verified         bool
}

func countFindings(l *finding.List) (findingCounts, error) {
	c := findingCounts{byConf: map[string]int{}, byStatus: map[string]int{}}
	err := l.Each(func(_ int, f *finding.Finding) error {
		c.byConf[f.Confidence]++
		if f.Verification != nil {
			c.verified = true
			c.byStatus[f.Verification.Status]++
		}
		if p, _ := f.StillPresent(); p {
			c.present++
		}
		return nil
	})
	return c, err
}

// breakdown says what the findings need: how many are live (or were not
// verified), of which confidence, and still at HEAD.
func (c findingCounts) breakdown() string {
	var parts []string
	if c.verified {
		for _, s := range []string{"live", "canary", "unknown", "dead"} {
			if c.byStatus[s] > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", c.byStatus[s], s))
			}
		}
	} else {
		parts = append(parts, "not verified (--verify asks the providers)")
	}
	var conf []string
	for _, k := range []string{"high", "medium", "low"} {
		if c.byConf[k] > 0 {
			conf = append(conf, fmt.Sprintf("%d %s", c.byConf[k], k))
		}
	}
	msg := "findings: " + strings.Join(parts, ", ") + "; confidence " + strings.Join(conf, ", ")
	if c.present > 0 {
		msg += fmt.Sprintf("; %d still at HEAD", c.present)
	}
	return msg
}

// ruleInfos describes the rule set for formats that list rules.
func ruleInfos(cfg *rules.Config) []report.RuleInfo {
	out := make([]report.RuleInfo, 0, len(cfg.Rules))
	for _, r := range cfg.Rules {
		if r.SkipReport {
			continue
		}
		out = append(out, report.RuleInfo{ID: r.ID, Description: r.Description, Confidence: r.Confidence.String(), Tags: r.Tags, Verifiable: r.Verifier != ""})
	}
	return out
}

// planCatalogue is what the response plan needs: providers and revocation
// pages from the rules' catalogue, and which keys `achilles revoke` can
// revoke.
func planCatalogue(cfg *rules.Config) plan.Catalogue {
	revokers, err := revokerSet()
	return htmlreport.PlanCatalogue(cfg, func(verifier string) bool {
		_, ok := revokers[verifier]
		return err == nil && ok
	})
}

func (o *scanOptions) writeReport(fs *finding.List, incomplete bool, ruleSet []report.RuleInfo, cat plan.Catalogue) error {
	color := o.Output == "" && isTerminal(o.IO.Out) && !o.NoColor && os.Getenv("NO_COLOR") == ""
	w, err := report.New(o.Format, report.Options{Redact: o.redact(), Color: color, Version: reportVersion(), Incomplete: incomplete, Rules: ruleSet,
		Repository: o.repository, Catalogue: cat})
	if err != nil {
		return usageError{err}
	}
	if o.Output == "" {
		return w.WriteList(o.IO.Out, fs)
	}
	return report.WriteFile(o.Output, func(out io.Writer) error { return w.WriteList(out, fs) })
}

// redact tells whether the report hides secrets: --redact, or a format
// that does by default without --no-redact.
func (o *scanOptions) redact() bool {
	return o.Redact || report.RedactsByDefault(o.Format) && !o.NoRedact
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// barProgress adapts the progress bar to scanner.Progress.
type barProgress struct {
	mu  sync.Mutex
	bar *progressbar.ProgressBar
}

func (p *barProgress) Add(n int64, _ int) {
	p.mu.Lock()
	_ = p.bar.Add64(n)
	p.mu.Unlock()
}

// SetTotal turns the bar's byte count into a percentage with an estimate
// of the time left, once a history has been listed.
func (p *barProgress) SetTotal(n int64) {
	p.mu.Lock()
	p.bar.ChangeMax64(n)
	p.mu.Unlock()
}

// newGitCmd builds `achilles git`.
func newGitCmd(io *IO, runF func(*gitOptions) error) *cobra.Command {
	o := &gitOptions{scanOptions: scanOptions{IO: io}}
	cmd := &cobra.Command{
		Use:   "git [PATH|URL]",
		Short: "Scan the full history of every ref of a git repository, local or remote",
		Long: `Scan every unique blob reachable from any ref of the repository at PATH
(default .) exactly once, and report each secret once per rule, secret and
path, with the commit that first introduced it and whether it is still
present at HEAD. Pull and merge request refs (refs/pull/*,
refs/merge-requests/*) are scanned too; a secret only they hold is reported
with its hidden_ref.

A URL (https://, ssh://, user@host:path) is cloned bare into a private
temporary folder, scanned and removed. Credentials come from the URL, from
GITHUB_TOKEN/GH_TOKEN (github.com) or GITLAB_TOKEN (gitlab.com), or from
your git credential helper, and go only to that host; they are never
written to the clone or printed.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Path = "."
			if len(args) == 1 {
				o.Path = args[0]
			}
			if runF != nil {
				return runF(o)
			}
			return runGit(cmd.Context(), o)
		},
	}
	addScanFlags(cmd, &o.scanOptions)
	f := cmd.Flags()
	f.StringVar(&o.Backend, "git-backend", "auto", "how history is read: auto (git binary if present), git or go-git")
	f.BoolVar(&o.Staged, "staged", false, "scan only what is staged (for a pre-commit hook); never walks history")
	f.BoolVar(&o.PrePush, "pre-push", false, "scan only the commits being pushed, read as git's pre-push lines on stdin")
	f.StringVar(&o.Since, "since", "", "scan only what the commits after REF introduced (REF..HEAD)")
	f.StringVar(&o.Range, "range", "", "scan only what the commits in A..B introduced")
	f.BoolVar(&o.CI, "ci", false, "take the range from the CI environment: a GitHub Actions pull request (GITHUB_BASE_REF) or a GitLab merge request (CI_MERGE_REQUEST_DIFF_BASE_SHA)")
	return cmd
}

// ciRange returns the commit range a CI environment makes unambiguous.
func ciRange(getenv func(string) string) (string, error) {
	if base := getenv("GITHUB_BASE_REF"); base != "" {
		return "origin/" + base + "..HEAD", nil
	}
	if sha := getenv("CI_MERGE_REQUEST_DIFF_BASE_SHA"); sha != "" {
		return sha + "..HEAD", nil
	}
	return "", fmt.Errorf("--ci: no pull or merge request base in the environment (GITHUB_BASE_REF, CI_MERGE_REQUEST_DIFF_BASE_SHA); use --since or --range")
}

type gitOptions struct {
	scanOptions
	Path    string
	Backend string
	Staged  bool
	PrePush bool
	Since   string
	Range   string
	CI      bool
}

func runGit(ctx context.Context, o *gitOptions) error {
	if o.CI {
		if o.Range != "" || o.Since != "" {
			return usageError{fmt.Errorf("--ci chooses the range itself; drop --since/--range")}
		}
		r, err := ciRange(os.Getenv)
		if err != nil {
			return usageError{err}
		}
		o.Range = r
	}
	modes := 0
	for _, on := range []bool{o.Staged, o.PrePush, o.Since != "", o.Range != ""} {
		if on {
			modes++
		}
	}
	if modes > 1 {
		return usageError{fmt.Errorf("--staged, --pre-push, --since and --range do not combine")}
	}
	// A remote repository: scanned in full from a temporary bare clone,
	// which is then a bare repository as any other (its configuration
	// files read from its HEAD). A local path is never cloned.
	var remote *remoteClone
	if isRemoteRepository(o.Path) {
		if modes > 0 || o.CI {
			return usageError{fmt.Errorf("a URL is scanned in full: --staged, --pre-push, --since, --range and --ci need a local repository")}
		}
		rc, err := cloneRemote(ctx, o.Path, func(msg string) { fmt.Fprintf(o.IO.ErrOut, "achilles: %s\n", report.Escape(msg)) })
		if err != nil {
			return err
		}
		defer rc.remove()
		remote, o.Path = rc, rc.dir
	}
	// A subfolder or a linked work tree scans its whole repository, with
	// the configuration and ignore files of the work tree's root, as git
	// finds it; a bare repository reads them from HEAD.
	headOfBare := ""
	if top, bare := scanner.WorkTreeTop(ctx, o.Path); top != "" {
		o.Path = top
	} else if bare {
		headOfBare = scanner.ResolveCommit(ctx, o.Path, "HEAD")
	}
	if o.Format == "sarif" {
		if info := scanner.RepositoryInfo(ctx, o.Path); info.URI != "" {
			o.repository = &report.Repository{URI: info.URI, Revision: info.Revision, Branch: info.Branch}
		}
	}
	gopts := scanner.GitOptions{Backend: o.Backend}
	switch {
	case o.Since != "":
		gopts.Revisions = []string{o.Since + "..HEAD"}
	case o.Range != "":
		if !strings.Contains(o.Range, "..") {
			return usageError{fmt.Errorf("--range %q: want A..B", o.Range)}
		}
		gopts.Revisions = []string{o.Range}
	case o.PrePush:
		revs, err := scanner.PrePushRevisions(ctx, o.Path, o.IO.In)
		if err != nil {
			return usageError{err}
		}
		if len(revs) == 0 {
			return runScan(ctx, &o.scanOptions, "", func(context.Context, scanner.Options) (*scanner.Result, error) {
				return &scanner.Result{Stats: scanner.Stats{What: "nothing to push"}}, nil
			})
		}
		gopts.Revisions = revs
	}
	t := folderTarget(o.Path)
	if headOfBare != "" {
		t = revisionTarget(ctx, o.Path, headOfBare)
	}
	if remote != nil && headOfBare == "" {
		t = target{where: remote.url + " (it has no commits)"}
	}
	if len(gopts.Revisions) > 0 {
		// A range cannot weaken its own scan: the files that decide what is
		// reported are read as they were before it, and a change to them
		// inside it is itself a finding.
		base, err := scanner.RangeBase(ctx, o.Path, gopts.Revisions)
		if err != nil {
			return usageError{err}
		}
		t = revisionTarget(ctx, o.Path, base)
		revs := gopts.Revisions
		t.policy = func(ctx context.Context) ([]finding.Finding, error) {
			return scanner.ChangedFiles(ctx, o.Path, revs, append(append([]string{}, rules.RepositoryFiles...), triage.IgnoreFiles...),
				configChangeRule, configChangeDescription)
		}
	}
	if !o.Staged && !o.PrePush {
		hugeHeap() // hooks stay instant; histories and ranges read much
	}
	var staged *scanner.StagedList
	if o.Staged {
		// Read while the rules are built.
		staged = scanner.ListStaged(ctx, o.Path)
		defer staged.Wait()
	}
	return runScanTarget(ctx, &o.scanOptions, t, func(ctx context.Context, opts scanner.Options) (*scanner.Result, error) {
		if o.Staged {
			return scanner.ScanStagedList(ctx, opts, o.Path, staged)
		}
		res, err := scanner.ScanGit(ctx, opts, gopts, o.Path)
		if res != nil && remote != nil {
			res.Stats.What = "git history of " + remote.url
		}
		return res, err
	})
}

// configChangeRule is the finding a range scan reports for each change it
// holds to the files that decide what achilles reports (rules and ignore
// files): they apply from the base of the range, and a change to them needs
// a reviewer's eye, not a silent pass.
const (
	configChangeRule        = "achilles-config-change"
	configChangeDescription = "The range changes a file that decides what achilles reports (rules or ignore file); the change does not apply to this range's scan and needs review"
)

type dirOptions struct {
	scanOptions
	Paths []string
}

// newDirCmd builds `achilles dir`.
func newDirCmd(io *IO, runF func(*dirOptions) error) *cobra.Command {
	o := &dirOptions{scanOptions: scanOptions{IO: io}}
	cmd := &cobra.Command{
		Use:   "dir [PATH...]",
		Short: "Scan files and folders (default .); .git folders are skipped",
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Paths = args
			if len(o.Paths) == 0 {
				o.Paths = []string{"."}
			}
			if runF != nil {
				return runF(o)
			}
			return runDir(cmd.Context(), o)
		},
	}
	addScanFlags(cmd, &o.scanOptions)
	return cmd
}

func runDir(ctx context.Context, o *dirOptions) error {
	hugeHeap()
	return runScan(ctx, &o.scanOptions, o.Paths[0], func(ctx context.Context, opts scanner.Options) (*scanner.Result, error) {
		return scanner.ScanPaths(ctx, opts, o.Paths)
	})
}

type stdinOptions struct {
	scanOptions
	Name string
}

// newStdinCmd builds `achilles stdin`.
func newStdinCmd(io *IO, runF func(*stdinOptions) error) *cobra.Command {
	o := &stdinOptions{scanOptions: scanOptions{IO: io}}
	cmd := &cobra.Command{
		Use:   "stdin",
		Short: "Scan whatever is piped in",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(o)
			}
			if f, ok := o.IO.In.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
				fmt.Fprintln(o.IO.ErrOut, "achilles: reading what you type (standard input is a terminal); end with Ctrl-D, or pipe content in: cat FILE | achilles stdin")
			}
			return runScan(cmd.Context(), &o.scanOptions, "", func(ctx context.Context, opts scanner.Options) (*scanner.Result, error) {
				return scanner.ScanReader(ctx, opts, o.IO.In, o.Name)
			})
		},
	}
	addScanFlags(cmd, &o.scanOptions)
	cmd.Flags().StringVar(&o.Name, "name", "stdin", "path to report for the piped content (path rules apply to it)")
	return cmd
}
