package cli

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/achilles-sec/achilles/scanner"
	"github.com/achilles-sec/achilles/scanner/hosted"
	"github.com/achilles-sec/achilles/scanner/hosted/github"
	"github.com/achilles-sec/achilles/scanner/report"
	"github.com/spf13/cobra"
)

// githubOptions are the flags of `achilles github`.
type githubOptions struct {
	scanOptions
	Target   string
	APIURL   string
	TokenEnv string
	Include  string
}

// newGitHubCmd builds `achilles github`.
func newGitHubCmd(io *IO, runF func(*githubOptions) error) *cobra.Command {
	o := &githubOptions{scanOptions: scanOptions{IO: io}}
	cmd := &cobra.Command{
		Use:   "github OWNER/REPO|URL",
		Short: "Scan a GitHub repository's issues, pull requests, comments, reviews, releases and Actions logs",
		Long: `Scan what a GitHub repository holds outside its git history: issue and
pull request bodies, their comments, review comments and reviews, release
notes, and (with --include actions) the log archives of finished GitHub
Actions runs. The target is OWNER/REPO, the repository's URL, or the URL of
one issue or pull request (that item and its comments only).

--include picks the kinds: ` + strings.Join(github.Kinds, ", ") + `, or all
(default: ` + strings.Join(github.Default, ",") + `). A finding's location is
the item: its type, web URL, author and date. Pagination and rate limits are
followed (a wait longer than an hour is an error). A problem with one item (a
comment list that fails, an expired log) is a warning and the rest is
scanned; a repository that cannot be read at all exits 2.

The token is read from the environment variable --token-env (default
GITHUB_TOKEN, then GH_TOKEN) and sent only to the API at --api-url; a log
archive's download follows GitHub's redirect to its storage without it.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Target = args[0]
			if runF != nil {
				return runF(o)
			}
			return runGitHub(cmd.Context(), o)
		},
	}
	addScanFlags(cmd, &o.scanOptions)
	f := cmd.Flags()
	f.StringVar(&o.APIURL, "api-url", github.PublicAPI, "GitHub REST API base URL (GitHub Enterprise: https://HOST/api/v3)")
	f.StringVar(&o.TokenEnv, "token-env", "GITHUB_TOKEN", "environment variable holding the token (GH_TOKEN is tried after GITHUB_TOKEN)")
	f.StringVar(&o.Include, "include", strings.Join(github.Default, ","), "kinds of items to read (comma-separated; all for every kind)")
	return cmd
}

// apiBase checks a hosted service's API base URL: https, or http to a
// loopback host only (a test server), so a token never crosses the
// network in clear.
func apiBase(flag, raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil {
		return "", usageError{fmt.Errorf("%s: %q is not an https URL", flag, raw)}
	}
	switch {
	case strings.EqualFold(u.Scheme, "https"):
	case strings.EqualFold(u.Scheme, "http") && loopback(u.Hostname()):
	default:
		return "", usageError{fmt.Errorf("%s: %q: only https (or http to a loopback test server)", flag, raw)}
	}
	return strings.TrimRight(raw, "/"), nil
}

func runGitHub(ctx context.Context, o *githubOptions) error {
	t, err := github.ParseTarget(o.Target)
	if err != nil {
		return usageError{err}
	}
	include, err := github.ParseInclude(o.Include)
	if err != nil {
		return usageError{err}
	}
	base, err := apiBase("--api-url", o.APIURL)
	if err != nil {
		return err
	}
	token := os.Getenv(o.TokenEnv)
	if token == "" && o.TokenEnv == "GITHUB_TOKEN" {
		token = os.Getenv("GH_TOKEN")
	}
	api := github.NewAPI(base, token)
	api.Notify = func(msg string) { fmt.Fprintf(o.IO.ErrOut, "achilles: %s\n", report.Escape(msg)) }
	src := &github.Source{API: api, Include: include}
	what := "GitHub " + t.Owner + "/" + t.Repo
	if t.Number > 0 {
		what += fmt.Sprintf("#%d", t.Number)
	}
	return runScan(ctx, &o.scanOptions, "", func(ctx context.Context, opts scanner.Options) (*scanner.Result, error) {
		return scanner.ScanBlobs(ctx, opts, what, hosted.Source(src.Target(t)))
	})
}
