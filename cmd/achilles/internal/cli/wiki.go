package cli

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/achilles-sec/achilles/scanner"
	"github.com/achilles-sec/achilles/scanner/hosted/github"
	"github.com/achilles-sec/achilles/scanner/hosted/gitlab"
	"github.com/achilles-sec/achilles/scanner/report"
	"github.com/achilles-sec/achilles/scanner/sweep/targets"
	"github.com/go-git/go-git/v5/plumbing/transport"
)

// kindWikis is the --include kind of a repository's wiki, on GitHub and
// GitLab alike: a git repository of its own beside the repository
// (OWNER/NAME.wiki.git), whose history is scanned as any other's.
const kindWikis = "wikis"

// splitWikis takes the wiki out of an --include list: the other kinds
// (trimmed; empty ones dropped; "all" kept, the services read it),
// whether the wiki is asked for (wikis, or all), and whether by name.
func splitWikis(list []string) (kinds []string, wikis, named bool) {
	for _, k := range list {
		k = strings.ToLower(strings.TrimSpace(k))
		switch k {
		case "":
		case kindWikis:
			wikis, named = true, true
		case "all":
			wikis = true
			kinds = append(kinds, k)
		default:
			kinds = append(kinds, k)
		}
	}
	return kinds, wikis, named
}

// wikiTargets are the wikis of the listed repositories (targets.WikiOf):
// git targets keyed HOST/OWNER/NAME.wiki, cloned from the repository's
// own checked clone URL with its credential.
func wikiTargets(ts []targets.Target) []targets.Target {
	var out []targets.Target
	for _, t := range ts {
		if w, ok := targets.WikiOf(t); ok {
			out = append(out, w)
		}
	}
	return out
}

// githubWiki is the wiki of OWNER/REPO for `achilles github`: on the
// clone host of the API at base (api.github.com clones from github.com,
// GitHub Enterprise from its own host), with the API's scheme (https, or
// http to a loopback test server, as apiBase allows), the token sent as
// x-access-token to that host only. Nothing an API answers goes into it.
func githubWiki(base, owner, repo, token string) (targets.Target, error) {
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		return targets.Target{}, usageError{fmt.Errorf("--include %s: no clone host for %q", kindWikis, base)}
	}
	host := targets.CloneHost(base, "github.com")
	raw := strings.ToLower(u.Scheme) + "://" + host + "/" + url.PathEscape(owner) + "/" + url.PathEscape(repo) + ".wiki.git"
	return wikiTarget(raw, targets.Credentials{GitHubHost: host, GitHubToken: token}), nil
}

// gitlabWiki is the wiki of the project at path for `achilles gitlab`: on
// the instance of the API at base (base without its /api/v4), the token
// sent as oauth2 to that host only.
func gitlabWiki(base, path, token string) (targets.Target, error) {
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		return targets.Target{}, usageError{fmt.Errorf("--include %s: no instance for %q", kindWikis, base)}
	}
	inst := strings.TrimRight(base, "/")
	if !strings.HasSuffix(inst, "/api/v4") {
		inst = strings.ToLower(u.Scheme) + "://" + u.Host // an --api-url of another shape: the host's root
	}
	inst = strings.TrimSuffix(inst, "/api/v4")
	var segs []string
	for _, s := range strings.Split(strings.Trim(path, "/"), "/") {
		segs = append(segs, url.PathEscape(s))
	}
	raw := inst + "/" + strings.Join(segs, "/") + ".wiki.git"
	return wikiTarget(raw, targets.Credentials{GitLabHost: hostOf(raw), GitLabToken: token}), nil
}

func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Host
}

func wikiTarget(raw string, creds targets.Credentials) targets.Target {
	return targets.Target{Key: targets.Normalize(raw), URL: raw, Source: "url", Auth: creds.AuthFor(raw), Wiki: true}
}

// notRepository is what --include wikis says of a target that is not one
// repository: asked for by name, a usage error; through all, a note, and
// the rest is scanned.
func notRepository(o *scanOptions, named bool, what, give string) error {
	if named {
		return usageError{fmt.Errorf("--include %s: %s is not a repository; give %s", kindWikis, what, give)}
	}
	o.say(fmt.Sprintf("--include all: %s is not a repository, so no wiki is read (give %s for its wiki)", what, give))
	return nil
}

// githubWithWiki is `achilles github --include wikis`: scan (the items;
// left out when no other kind is asked for) with the wiki of a
// repository target. A target that is not a repository gets scan alone
// (or a usage error, see notRepository).
func githubWithWiki(o *githubOptions, t github.Target, base, token string, named, items bool, scan scanFunc) (scanFunc, error) {
	if t.Number > 0 || t.Repo == "" || t.Gist != "" {
		if err := notRepository(&o.scanOptions, named, "the target "+t.String(), "OWNER/REPO"); err != nil {
			return nil, err
		}
		return scan, nil
	}
	w, err := githubWiki(base, t.Owner, t.Repo, token)
	if err != nil {
		return nil, err
	}
	if !items {
		scan = nil
	}
	return withWiki(w, scan, o.say), nil
}

// gitlabWithWiki is `achilles gitlab --include wikis` for a project
// target.
func gitlabWithWiki(o *gitlabOptions, t gitlab.Target, base, token string, named, items bool, scan scanFunc) (scanFunc, error) {
	if t.Group || t.Collection != "" {
		if err := notRepository(&o.scanOptions, named, "the target "+t.Path, "a project (a group's wikis: achilles sweep --gitlab-group G --include "+kindWikis+")"); err != nil {
			return nil, err
		}
		return scan, nil
	}
	w, err := gitlabWiki(base, t.Path, token)
	if err != nil {
		return nil, err
	}
	if !items {
		scan = nil
	}
	return withWiki(w, scan, o.say), nil
}

// withWiki is a hosted-service command's scan with the wiki's history
// added: the wiki cloned into a temporary bare clone (as `achilles git
// URL` does, removed after), its history scanned and its findings marked
// with the wiki's URL (GitOrigin.Repository), then items (nil: the wiki
// only), the two results merged into one report. A wiki the server says
// does not exist is told on stderr and is no error; any other failure to
// clone it is (exit 2).
func withWiki(w targets.Target, items scanFunc, say func(string)) scanFunc {
	return func(ctx context.Context, opts scanner.Options) (*scanner.Result, error) {
		res, err := scanWiki(ctx, opts, w, say)
		if err != nil || items == nil {
			return res, err
		}
		more, err := items(ctx, opts)
		merged, merr := scanner.Merge(res, more)
		if merr != nil {
			return nil, merr
		}
		return merged, err
	}
}

func scanWiki(ctx context.Context, opts scanner.Options, w targets.Target, say func(string)) (*scanner.Result, error) {
	shown := targets.StripUserinfo(w.URL)
	rc, err := cloneTemporary(ctx, w, false, say)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if errors.Is(err, transport.ErrRepositoryNotFound) {
			say(fmt.Sprintf("no wiki: the server has no repository at %s (a wiki is created with its first page)", shown))
			return &scanner.Result{Stats: scanner.Stats{What: "no wiki at " + shown}}, nil
		}
		return nil, fmt.Errorf("%w: cloning the wiki %s: %v", scanner.ErrTarget, shown, err)
	}
	defer rc.remove()
	if rc.empty {
		say(fmt.Sprintf("the wiki %s has no commits", shown))
		return &scanner.Result{Stats: scanner.Stats{What: "wiki " + shown}}, nil
	}
	res, err := scanner.ScanGit(ctx, opts, scanner.GitOptions{}, rc.dir)
	if res != nil {
		res.Stats.What = "wiki history of " + shown
		for i := range res.Findings {
			f := &res.Findings[i]
			if f.Git == nil {
				continue
			}
			f.Git.Repository = shown
		}
	}
	return res, err
}

// say tells the user on stderr, escaped.
func (o *scanOptions) say(msg string) { fmt.Fprintf(o.IO.ErrOut, "achilles: %s\n", report.Escape(msg)) }
