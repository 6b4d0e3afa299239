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
		Use:   "github OWNER/REPO|OWNER|URL",
		Short: "Scan a GitHub repository's or owner's issues, pull requests, comments, reviews, releases, Actions logs, discussions and gists",
		Long: `Scan what GitHub holds outside git history: issue and pull request
bodies, their comments, review comments and reviews, release notes and
release assets, and (with --include) the log archives and artifacts of
finished GitHub Actions runs, discussions with their comments and replies,
and gists at every revision with their comments.

The target is OWNER/REPO or the repository's URL; the URL of one issue or
pull request (that item and its comments only); an organisation or user,
OWNER or https://github.com/OWNER (each of its repositories, and a user's
public gists with --include gists); or a gist's URL,
https://gist.github.com/USER/ID (every revision of that gist and its
comments, whatever --include says).

--include picks the kinds: ` + strings.Join(github.Kinds, ", ") + `, or all
(default: ` + strings.Join(github.Default, ",") + `). A finding's location is
the item: its type, web URL, author and date. Archives (a log archive, an
artifact, a release asset such as a .zip or .tar.gz) are opened. Pagination
and rate limits are followed (a wait longer than an hour is an error). A
problem with one item (a comment list that fails, an expired log, a download
over the limit) is a warning and the rest is scanned; a target that cannot be
read at all exits 2.

The token is read from the environment variable --token-env (default
GITHUB_TOKEN, then GH_TOKEN) and sent only to the API at --api-url (REST and
GraphQL, on the same host); downloads follow GitHub's redirect to its storage
without it, and a gist's truncated file is fetched from its raw host without
it.`,
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
	f.StringVar(&o.Include, "include", strings.Join(github.Default, ","), "kinds of items to read (comma-separated; all for every kind), and "+kindWikis+" for the wiki's history")
	return cmd
}

// apiBase checks a hosted service's API base URL: https, or http to a
// loopback host only (a test server), so a token never crosses the
// network in clear; a credential written in the URL is refused, and never
// printed.
func apiBase(flag, raw string) (string, error) {
	shown := hosted.RedactURL(raw)
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Host == "":
		return "", usageError{fmt.Errorf("%s: %q is not an https URL", flag, shown)}
	case u.User != nil:
		return "", usageError{fmt.Errorf("%s: %q: give the token with --token-env, not in the URL", flag, shown)}
	case strings.EqualFold(u.Scheme, "https"):
	case strings.EqualFold(u.Scheme, "http") && loopback(u.Hostname()):
	default:
		return "", usageError{fmt.Errorf("%s: %q: only https; plain http only to a loopback test server", flag, shown)}
	}
	return strings.TrimRight(raw, "/"), nil
}

func runGitHub(ctx context.Context, o *githubOptions) error {
	hugeHeap()
	t, err := github.ParseTarget(o.Target)
	if err != nil {
		return usageError{err}
	}
	kinds, wikis, named := splitWikis(strings.Split(o.Include, ","))
	include, err := github.ParseInclude(strings.Join(kinds, ","))
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
	what := "GitHub " + t.String()
	var scan scanFunc = func(ctx context.Context, opts scanner.Options) (*scanner.Result, error) {
		return scanner.ScanBlobs(ctx, opts, what, hosted.Source(src.Target(t)))
	}
	if wikis {
		if scan, err = githubWithWiki(o, t, base, token, named, len(include) > 0, scan); err != nil {
			return err
		}
	}
	return runScan(ctx, &o.scanOptions, "", scan)
}
