package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/achilles-sec/achilles/detectors"
	"github.com/achilles-sec/achilles/scanner"
	"github.com/achilles-sec/achilles/scanner/hosted"
	"github.com/achilles-sec/achilles/scanner/hosted/github"
	"github.com/achilles-sec/achilles/scanner/hosted/gitlab"
	"github.com/achilles-sec/achilles/scanner/pipeline"
	"github.com/achilles-sec/achilles/scanner/report"
	"github.com/achilles-sec/achilles/scanner/sweep"
	"github.com/achilles-sec/achilles/scanner/sweep/store"
	"github.com/achilles-sec/achilles/scanner/sweep/targets"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
)

type sweepOptions struct {
	IO              *IO
	ConfigPath      string
	DB              string
	Cache           string
	Parallel        int
	Repos           string
	GitHubOrg       string
	GitHubUser      string
	GitLabGroup     string
	GitHubAPI       string
	GitLabURL       string
	Include         string
	IncludeForks    bool
	IncludeArchived bool
	Shard           string
	Verify          bool
	Analyze         bool
	Reverify        bool
	VerifyTimeout   time.Duration
	NoProgress      bool
	searchFlags
	GitBackend string
	ExitCode   int
	FailOn     string
}

// newSweepCmd builds `achilles sweep`.
func newSweepCmd(io *IO, runF func(*sweepOptions) error) *cobra.Command {
	o := &sweepOptions{IO: io}
	cmd := &cobra.Command{
		Use:   "sweep",
		Short: "Scan the full history of many repositories (a list, a GitHub org or user, a GitLab group) into a results database",
		Long: `Clone every target bare into a cache (fetched, not re-cloned, on later
runs), scan each one's full history, and store findings, repository state and
verification results in a SQLite database (--db). Re-running resumes:
repositories whose refs did not change are skipped; failed or interrupted
ones are scanned again. --reverify re-checks the known secrets without
scanning and records status changes. --shard K/N sweeps one slice of the
targets; 'achilles merge' joins the shards' databases; 'achilles report'
writes HTML, JSON, CSV or SARIF from a database.

Tokens come from the environment: GITHUB_TOKEN or GH_TOKEN for GitHub,
GITLAB_TOKEN for GitLab; each is sent only to its own host: the API, and
clone URLs on the API's clone host. A next-page link to another host (or from
https to http) stops the listing; a clone URL an API gives on another host,
a local path or file:// URL, or http from an https API, is not fetched (the
repository is recorded as failed). Local paths and file:// URLs are taken
from --repos only. A user:password in a --repos URL is used to fetch and
never stored: the database, reports and the clone keep the URL without it.
The database and the clone cache are private (0600 files, 0700 folders).

--include adds each listed repository's hosted items (HOST/OWNER/NAME#items;
an interrupted one keeps what it finished) and, with wikis or all, its wiki
(HOST/OWNER/NAME.wiki, cloned from the repository's own clone URL; a wiki
the server says does not exist is recorded as missing, not failed).

The summary counts what the database holds, not only what this run found
(a rerun over unchanged repositories finds nothing new), and the exit
status follows it as the scan commands' does: --exit-code (default 1) when
the database holds any finding, or with --fail-on live only when it holds a
live secret; 0 otherwise. --exit-code 0 always exits 0 after a sweep that
ran. Usage errors exit 2, an interrupted sweep 130.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(o)
			}
			return runSweep(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.ConfigPath, "config", "c", "", "rules file (TOML; default: $ACHILLES_CONFIG, then the built-in rules)")
	f.StringVar(&o.DB, "db", "sweep.db", "results database (SQLite; created mode 0600)")
	f.StringVar(&o.Cache, "cache", "", "folder for the bare clones (default: the user cache folder, achilles/sweep)")
	f.IntVar(&o.Parallel, "parallel", max(2, runtime.NumCPU()), "repositories cloned and scanned at once")
	f.StringVar(&o.Repos, "repos", "", "file of clone URLs or local paths, one a line (# starts a comment)")
	f.StringVar(&o.GitHubOrg, "github-org", "", "sweep every repository of this GitHub organisation")
	f.StringVar(&o.GitHubUser, "github-user", "", "sweep every repository this GitHub user owns")
	f.StringVar(&o.GitLabGroup, "gitlab-group", "", "sweep every project of this GitLab group and its subgroups (id or full path)")
	f.StringVar(&o.GitHubAPI, "github-api-url", targets.GitHubAPI, "GitHub REST API base URL (GitHub Enterprise: https://HOST/api/v3)")
	f.StringVar(&o.GitLabURL, "gitlab-url", "https://gitlab.com", "GitLab base URL (self-managed instances)")
	f.StringVar(&o.Include, "include", "", "also sweep each listed repository's hosted items: GitHub "+strings.Join(github.Kinds, ", ")+" (gists: the --github-user's); GitLab "+strings.Join(gitlab.Kinds, ", ")+"; both: "+kindWikis+" (its wiki's history) (comma-separated; all for every kind)")
	f.BoolVar(&o.IncludeForks, "include-forks", false, "also sweep forks")
	f.BoolVar(&o.IncludeArchived, "include-archived", false, "also sweep archived repositories")
	f.StringVar(&o.Shard, "shard", "", "sweep only slice K of N of the targets (K/N, e.g. 2/8), chosen by a hash of each repository's URL")
	f.BoolVar(&o.Verify, "verify", false, "ask each provider whether the secrets found still work (each unique secret once)")
	f.BoolVar(&o.Analyze, "analyze", false, "map what each secret found live can reach (read-only calls; implies --verify); the database keeps it for 'achilles report'")
	f.BoolVar(&o.Reverify, "reverify", false, "re-check every secret in the database without scanning, and record status changes")
	f.DurationVar(&o.VerifyTimeout, "verify-timeout", 10*time.Second, "time limit for verifying one secret")
	f.BoolVar(&o.NoProgress, "no-progress", false, "do not show a progress bar")
	o.searchFlags.add(f)
	f.StringVar(&o.GitBackend, "git-backend", "auto", "how history is read: auto, git or go-git")
	f.IntVar(&o.ExitCode, "exit-code", ExitFindings, "exit status when the database holds findings after the sweep")
	f.StringVar(&o.FailOn, "fail-on", "any", "exit with --exit-code when the database holds: any finding, or a live secret (live; implies --verify)")
	return cmd
}

func runSweep(ctx context.Context, o *sweepOptions) error {
	hugeHeap()
	if o.Parallel < 1 {
		return usageError{fmt.Errorf("--parallel %d: want at least 1", o.Parallel)}
	}
	if err := o.searchFlags.validate(); err != nil {
		return err
	}
	if o.ExitCode < 0 || o.ExitCode > 255 {
		return usageError{fmt.Errorf("--exit-code %d: want 0 to 255 (an exit status is one byte)", o.ExitCode)}
	}
	switch o.FailOn {
	case "any":
	case "live":
		if !o.Reverify {
			o.Verify = true
		}
	default:
		return usageError{fmt.Errorf("--fail-on %q: want any or live", o.FailOn)}
	}
	so := &scanOptions{IO: o.IO, ConfigPath: o.ConfigPath}
	// A sweep's clones are other people's repositories: their own
	// configuration is never read.
	cfg, err := so.loadRules(target{}, nil)
	if err != nil {
		return usageError{err}
	}
	st, err := store.Open(o.DB)
	if err != nil {
		return err
	}
	defer st.Close()
	errOut := o.IO.ErrOut
	if o.Analyze && !o.Reverify {
		o.Verify = true
	}
	var verifier sweep.Verifier
	var analysis *pipeline.Analysis
	if o.Verify || o.Reverify {
		v, err := newVerification(cfg, &verifyOptions{Timeout: o.VerifyTimeout})
		if err != nil {
			return err
		}
		verifier = v
		if o.Analyze {
			as, err := analyzerSet()
			if err != nil {
				return err
			}
			analysis = &pipeline.Analysis{Client: v.Client, Analyzers: as}
		}
	}
	if o.Reverify {
		sum, err := sweep.Reverify(ctx, st, verifier, analysis, time.Now)
		if err != nil {
			return err
		}
		fmt.Fprintf(errOut, "achilles: re-verified %d secrets (%d answered); %d live\n", sum.Secrets, sum.Answered, sum.Live)
		return o.exit(ctx, st, nil)
	}
	ts, err := o.targets(ctx)
	if err != nil {
		return err
	}
	cache := o.Cache
	if cache == "" {
		dir, err := os.UserCacheDir()
		if err != nil {
			return usageError{fmt.Errorf("no user cache folder (%v): give --cache", err)}
		}
		cache = filepath.Join(dir, "achilles", "sweep")
	}
	if err := sweep.PrepareCache(cache); err != nil {
		return err
	}
	opts := sweep.Options{
		Scan:     o.scannerOptions(detectors.New(cfg), max(1, runtime.NumCPU()/o.Parallel), newWarner(errOut)),
		Git:      scanner.GitOptions{Backend: o.GitBackend},
		CacheDir: cache,
		Parallel: o.Parallel,
		Verifier: verifier,
		Analysis: analysis,
	}
	var bar *sweepBar
	if !o.NoProgress && isTerminal(errOut) {
		bar = &sweepBar{out: errOut}
		opts.Progress = bar
	}
	sum, err := sweep.Run(ctx, st, ts, opts)
	if bar != nil {
		bar.finish()
	}
	repos, rerr := st.Repos(context.WithoutCancel(ctx))
	if rerr == nil {
		for _, r := range repos {
			if r.Status == store.StatusFailed && inTargets(ts, r.Key) {
				fmt.Fprintf(errOut, "achilles: %s failed (will be retried): %s\n", report.Escape(r.Key), report.Escape(r.Error))
			}
		}
	}
	missing := ""
	if sum.Missing > 0 {
		missing = fmt.Sprintf(", %s without a wiki", scanner.Plural(int64(sum.Missing), "repository", "repositories"))
	}
	fmt.Fprintf(errOut, "achilles: swept %s in %s: %d scanned, %d unchanged, %d failed, %d interrupted%s; this run found %s in %s\n",
		scanner.Plural(int64(sum.Repos), "repository", "repositories"), sum.Duration.Round(time.Millisecond), sum.Scanned, sum.Skipped,
		sum.Failed, sum.Interrupted, missing, scanner.Plural(int64(sum.Findings), "finding", "findings"), scanner.HumanBytes(sum.Bytes))
	return o.exit(ctx, st, err)
}

// exit prints what the database holds and turns it into the exit status,
// as the scan commands do with their findings: --exit-code when it holds
// any finding (--fail-on live: any live secret). A sweep that failed or was
// interrupted keeps its own error.
func (o *sweepOptions) exit(ctx context.Context, st *store.Store, err error) error {
	held, herr := holdings(context.WithoutCancel(ctx), st)
	if herr != nil {
		if err == nil {
			err = herr
		}
		return err
	}
	fmt.Fprintf(o.IO.ErrOut, "achilles: %s holds %s\n", report.Escape(o.DB), held)
	if err != nil {
		return err
	}
	if code := (pipeline.Exit{Code: o.ExitCode, FailOnLive: o.FailOn == "live"}).Status(held.findings, held.live); code != 0 {
		return exitError{code}
	}
	return nil
}

type held struct{ findings, secrets, repos, live int }

func (h held) String() string {
	return fmt.Sprintf("%s of %s in %s; %d live", scanner.Plural(int64(h.findings), "finding", "findings"),
		scanner.Plural(int64(h.secrets), "secret", "secrets"), scanner.Plural(int64(h.repos), "repository", "repositories"), h.live)
}

// holdings counts the database's findings, their unique secrets (the
// fingerprint's secret hash), their repositories, and its live secrets.
func holdings(ctx context.Context, st *store.Store) (held, error) {
	keys, err := st.FindingKeys(ctx)
	if err != nil {
		return held{}, fmt.Errorf("counting the database's findings: %w", err)
	}
	secrets, repos := map[string]bool{}, map[string]bool{}
	for _, k := range keys {
		repos[k.Repo] = true
		if _, rest, ok := strings.Cut(k.Fingerprint, ":"); ok {
			hash, _, _ := strings.Cut(rest, ":")
			secrets[hash] = true
		}
	}
	live, err := st.CountLive(ctx)
	if err != nil {
		return held{}, fmt.Errorf("counting live secrets: %w", err)
	}
	return held{findings: len(keys), secrets: len(secrets), repos: len(repos), live: live}, nil
}

func inTargets(ts []targets.Target, key string) bool {
	i := sort.Search(len(ts), func(i int) bool { return ts[i].Key >= key })
	return i < len(ts) && ts[i].Key == key
}

// targets gathers, filters, deduplicates and shards the targets.
func (o *sweepOptions) targets(ctx context.Context) ([]targets.Target, error) {
	var shard targets.Shard
	if o.Shard != "" {
		s, err := targets.ParseShard(o.Shard)
		if err != nil {
			return nil, usageError{err}
		}
		shard = s
	}
	ghToken := os.Getenv("GITHUB_TOKEN")
	if ghToken == "" {
		ghToken = os.Getenv("GH_TOKEN")
	}
	glToken := os.Getenv("GITLAB_TOKEN")
	lister := &targets.Lister{Notify: func(msg string) { fmt.Fprintf(o.IO.ErrOut, "achilles: %s\n", msg) }}
	var ts []targets.Target
	if o.Repos != "" {
		list, err := targets.ReadFile(o.Repos)
		if err != nil {
			return nil, usageError{err}
		}
		creds := targets.Credentials{GitHubHost: targets.CloneHost(o.GitHubAPI, "github.com"), GitHubToken: ghToken,
			GitLabHost: targets.CloneHost(o.GitLabURL, "gitlab.com"), GitLabToken: glToken}
		for i := range list {
			if list[i].Auth == nil { // a credential written in the list wins
				list[i].Auth = creds.AuthFor(list[i].URL)
			}
		}
		ts = append(ts, list...)
	}
	for kind, name := range map[string]string{"org": o.GitHubOrg, "user": o.GitHubUser} {
		if name == "" {
			continue
		}
		list, err := lister.GitHub(ctx, o.GitHubAPI, ghToken, kind, name)
		if err != nil {
			return nil, err
		}
		ts = append(ts, list...)
	}
	if o.GitLabGroup != "" {
		list, err := lister.GitLab(ctx, o.GitLabURL, glToken, o.GitLabGroup)
		if err != nil {
			return nil, err
		}
		ts = append(ts, list...)
	}
	if o.Repos == "" && o.GitHubOrg == "" && o.GitHubUser == "" && o.GitLabGroup == "" {
		return nil, usageError{targets.ErrNoTargets}
	}
	ts = targets.Dedupe(targets.Filter(ts, o.IncludeForks, o.IncludeArchived))
	if o.Include != "" {
		kinds, wikis, _ := splitWikis(strings.Split(o.Include, ","))
		var more []targets.Target
		if len(kinds) > 0 {
			items, err := o.itemTargets(ts, kinds, ghToken, glToken)
			if err != nil {
				return nil, err
			}
			more = append(more, items...)
		}
		if wikis {
			more = append(more, wikiTargets(ts)...)
		}
		ts = targets.Dedupe(append(ts, more...))
	}
	if shard.N > 0 {
		ts = shard.Take(ts)
	}
	return ts, nil
}

// itemTargets adds, for each repository a GitHub or GitLab listing
// gave, a target of its hosted items (--include): key
// "HOST/OWNER/NAME#items", read through the API the listing used, with
// the same token. Each service reads the kinds of the list it knows.
func (o *sweepOptions) itemTargets(ts []targets.Target, kinds []string, ghToken, glToken string) ([]targets.Target, error) {
	var ghKinds, glKinds []string
	for _, k := range kinds {
		inGH, inGL := k == "all" || slices.Contains(github.Kinds, k), k == "all" || slices.Contains(gitlab.Kinds, k)
		if !inGH && !inGL {
			return nil, usageError{fmt.Errorf("--include: unknown kind %q (GitHub: %s; GitLab: %s; both: %s; or all)", k,
				strings.Join(github.Kinds, ", "), strings.Join(gitlab.Kinds, ", "), kindWikis)}
		}
		if inGH {
			ghKinds = append(ghKinds, k)
		}
		if inGL {
			glKinds = append(glKinds, k)
		}
	}
	ghInclude, err := github.ParseInclude(strings.Join(ghKinds, ","))
	if err != nil {
		return nil, usageError{err}
	}
	// A gist belongs to a user, not to a repository: the user a sweep
	// lists (--github-user) gets a target of their gists; an
	// organisation has none.
	gists := ghInclude["gists"]
	if gists && o.GitHubUser == "" && slices.Contains(ghKinds, "gists") {
		fmt.Fprintln(o.IO.ErrOut, "achilles: --include gists: gists belong to users: they are swept with --github-user (or read by `achilles github USER --include gists`)")
	}
	delete(ghInclude, "gists")
	glInclude := map[string]bool{}
	if len(glKinds) > 0 {
		if glInclude, err = gitlab.ParseInclude(glKinds); err != nil {
			return nil, usageError{err}
		}
	}
	ghBase, err := apiBase("--github-api-url", o.GitHubAPI)
	if err != nil {
		return nil, err
	}
	glBase, err := apiBase("--gitlab-url", o.GitLabURL)
	if err != nil {
		return nil, err
	}
	notify := func(msg string) { fmt.Fprintf(o.IO.ErrOut, "achilles: %s\n", report.Escape(msg)) }
	var out []targets.Target
	for _, t := range ts {
		if t.Refused != "" || t.Name == "" {
			continue
		}
		var items func(*hosted.State) scanner.BlobSource
		switch {
		case t.Source == "github" && len(ghInclude) > 0:
			owner, name, ok := strings.Cut(t.Name, "/")
			if !ok {
				continue
			}
			items = func(st *hosted.State) scanner.BlobSource {
				api := github.NewAPI(ghBase, ghToken)
				api.State, api.Notify = st, notify
				return hosted.Source((&github.Source{API: api, Include: ghInclude}).Repo(owner, name))
			}
		case t.Source == "gitlab" && len(glInclude) > 0:
			path := t.Name
			items = func(st *hosted.State) scanner.BlobSource {
				api := gitlab.NewAPI(glBase+"/api/v4", glToken)
				api.State, api.Notify = st, notify
				return hosted.Source((&gitlab.Source{API: api, Include: glInclude}).Project(path))
			}
		default:
			continue
		}
		out = append(out, targets.Target{Key: t.Key + "#items", URL: t.URL, Source: t.Source + "-items", Name: t.Name, Items: items})
	}
	if gists && o.GitHubUser != "" {
		user := o.GitHubUser
		host := targets.CloneHost(o.GitHubAPI, "github.com")
		src := func(st *hosted.State) *github.Source {
			api := github.NewAPI(ghBase, ghToken)
			api.State, api.Notify = st, notify
			return &github.Source{API: api, Include: map[string]bool{"gists": true}}
		}
		out = append(out, targets.Target{Key: host + "/" + user + "#gists", URL: src(nil).GistsURL(user), Source: "github-gists", Name: user,
			Items: func(st *hosted.State) scanner.BlobSource { return hosted.Source(src(st).Gists(user)) }})
	}
	return out, nil
}

// sweepBar is the one progress bar of a sweep: repositories done of all,
// bytes scanned and live keys so far.
type sweepBar struct {
	out   interface{ Write([]byte) (int, error) }
	mu    sync.Mutex
	bar   *progressbar.ProgressBar
	bytes atomic.Int64
	live  atomic.Int64
	last  atomic.Int64 // unix nanos of the last description update
}

func (b *sweepBar) Start(n int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.bar = progressbar.NewOptions(n,
		progressbar.OptionSetWriter(b.out),
		progressbar.OptionShowCount(),
		progressbar.OptionSetItsString("repos"),
		progressbar.OptionSetDescription("sweeping"),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionThrottle(100*time.Millisecond),
	)
}

func (b *sweepBar) describe() {
	b.bar.Describe(fmt.Sprintf("%s scanned, %d live keys", scanner.HumanBytes(b.bytes.Load()), b.live.Load()))
}

func (b *sweepBar) Bytes(n int64) {
	b.bytes.Add(n)
	now := time.Now().UnixNano()
	if now-b.last.Load() < int64(200*time.Millisecond) {
		return
	}
	b.last.Store(now)
	b.mu.Lock()
	b.describe()
	b.mu.Unlock()
}

func (b *sweepBar) RepoDone(_ sweep.Outcome, live int) {
	b.live.Store(int64(live))
	b.mu.Lock()
	defer b.mu.Unlock()
	b.describe()
	_ = b.bar.Add(1)
}

func (b *sweepBar) finish() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.bar != nil {
		_ = b.bar.Finish()
	}
}
