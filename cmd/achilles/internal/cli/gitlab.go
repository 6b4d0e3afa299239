package cli

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/achilles-sec/achilles/scanner"
	"github.com/achilles-sec/achilles/scanner/hosted"
	"github.com/achilles-sec/achilles/scanner/hosted/gitlab"
	"github.com/achilles-sec/achilles/scanner/report"
	"github.com/spf13/cobra"
)

// gitlabOptions are the flags of `achilles gitlab`.
type gitlabOptions struct {
	scanOptions
	Target      string
	URL         string
	APIURL      string
	TokenEnv    string
	Include     []string
	Group       bool
	MaxDownload int64
}

// newGitLabCmd builds `achilles gitlab`.
func newGitLabCmd(io *IO, runF func(*gitlabOptions) error) *cobra.Command {
	o := &gitlabOptions{scanOptions: scanOptions{IO: io}}
	cmd := &cobra.Command{
		Use:   "gitlab TARGET",
		Short: "Scan a GitLab project's issues, merge requests, notes, snippets and CI job logs",
		Long: `Scan what a GitLab project holds besides its code: issues and merge requests
(title and description), their notes (comments; system notes are skipped), the
project's snippets (every file) and, with --include jobs, the logs of its CI jobs.

TARGET is a project path (group/sub/project), a project URL
(https://gitlab.example/group/project), one issue's or merge request's URL
(.../-/issues/5, .../-/merge_requests/5), or with --group a group whose every
project, subgroups included, is scanned.

A finding's location is the item: its type (issue, merge-request, note,
snippet, job-log), web URL, author and date.

The API is <instance>/api/v4: the instance is the target URL's, or --url
(default https://gitlab.com); --api-url replaces the whole base. The token is
read from the environment variable --token-env names (default GITLAB_TOKEN)
and sent as PRIVATE-TOKEN to the API's origin only (a job log redirected to
object storage is fetched without it). Rate limits are waited out. Plain http
is refused except to loopback hosts.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Target = args[0]
			if runF != nil {
				return runF(o)
			}
			return runGitLab(cmd.Context(), o)
		},
	}
	addScanFlags(cmd, &o.scanOptions)
	f := cmd.Flags()
	f.StringVar(&o.URL, "url", "https://gitlab.com", "the GitLab instance (for a TARGET that is a path)")
	f.StringVar(&o.APIURL, "api-url", "", "the API's base URL (default: <instance>/api/v4)")
	f.StringVar(&o.TokenEnv, "token-env", "GITLAB_TOKEN", "the environment variable holding the access token")
	f.StringSliceVar(&o.Include, "include", nil, "what to scan: issues, mrs, notes, snippets, jobs, "+kindWikis+" (the wiki's history) or all (default issues,mrs,notes,snippets)")
	f.BoolVar(&o.Group, "group", false, "TARGET is a group: scan every project of it and its subgroups")
	f.Int64Var(&o.MaxDownload, "max-download", 1<<30, "the most bytes read of one snippet file or job log")
	return cmd
}

// gitlabAPI is the API base for a target (--api-url, else the target's
// instance or --url, with /api/v4), checked as every hosted API's is.
func gitlabAPI(o *gitlabOptions, t gitlab.Target) (string, error) {
	if o.APIURL != "" {
		return apiBase("--api-url", o.APIURL)
	}
	inst := t.Instance
	if inst == "" {
		inst = o.URL
	}
	return apiBase("--url", strings.TrimRight(inst, "/")+"/api/v4")
}

func runGitLab(ctx context.Context, o *gitlabOptions) error {
	hugeHeap()
	t, err := gitlab.ParseTarget(o.Target)
	if err != nil {
		return usageError{err}
	}
	if o.Group {
		if t.Collection != "" {
			return usageError{fmt.Errorf("--group: %s names one item, not a group", o.Target)}
		}
		t.Group = true
	}
	kinds, wikis, named := splitWikis(o.Include)
	include := map[string]bool{}
	if len(kinds) > 0 || !wikis {
		if include, err = gitlab.ParseInclude(kinds); err != nil {
			return usageError{err}
		}
	}
	base, err := gitlabAPI(o, t)
	if err != nil {
		return err
	}
	token := ""
	if o.TokenEnv != "" {
		token = strings.TrimSpace(os.Getenv(o.TokenEnv))
	}
	api := gitlab.NewAPI(base, token)
	api.Notify = func(msg string) { fmt.Fprintln(o.IO.ErrOut, "achilles: "+report.Escape(msg)) }
	src := &gitlab.Source{API: api, Include: include, MaxDownload: o.MaxDownload}
	what := "GitLab " + t.Path
	var scan scanFunc = func(ctx context.Context, opts scanner.Options) (*scanner.Result, error) {
		return scanner.ScanBlobs(ctx, opts, what, hosted.Source(src.Target(t)))
	}
	if wikis {
		if scan, err = gitlabWithWiki(o, t, base, token, named, len(include) > 0, scan); err != nil {
			return err
		}
	}
	return runScan(ctx, &o.scanOptions, "", scan)
}
