package cli

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/achilles-sec/achilles/scanner"
	"github.com/achilles-sec/achilles/scanner/sweep"
	"github.com/achilles-sec/achilles/scanner/sweep/targets"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
)

// remoteClone is a temporary bare clone of a remote repository, for
// `achilles git URL`.
type remoteClone struct {
	// dir is the bare repository; URL is the remote without credentials.
	dir, url string
	empty    bool
	remove   func()
}

// cloneRemote makes a temporary bare clone of the repository at raw (an
// https, http, ssh or scp-like URL) with the sweep's clone code: in a new
// 0700 folder of the system's temporary folder, removed by remove (and,
// once ctx is cancelled, shortly before the interrupt watchdog ends the
// process). The credential is the one written in the URL, else a token
// from the environment for its host (GITHUB_TOKEN or GH_TOKEN for
// github.com, GITLAB_TOKEN for gitlab.com), else, when the server asks for
// one, what the user's git credential helper gives for that URL; it is sent
// to that host for this clone only and never written to the clone.
func cloneRemote(ctx context.Context, raw string, say func(string)) (*remoteClone, error) {
	t := targets.FromURL(raw)
	u, _ := url.Parse(t.URL)
	plainHTTP := u != nil && strings.EqualFold(u.Scheme, "http") && !loopback(u.Hostname())
	if plainHTTP && t.Auth != nil {
		return nil, usageError{fmt.Errorf("%s: refusing to send the URL's credentials over plain http; use https", targets.StripUserinfo(t.URL))}
	}
	if t.Auth == nil {
		gh := os.Getenv("GITHUB_TOKEN")
		if gh == "" {
			gh = os.Getenv("GH_TOKEN")
		}
		creds := targets.Credentials{GitHubHost: "github.com", GitHubToken: gh, GitLabHost: "gitlab.com", GitLabToken: os.Getenv("GITLAB_TOKEN")}
		t.Auth = creds.AuthFor(t.URL)
	}
	rc, err := cloneTemporary(ctx, t, !plainHTTP, say)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, usageError{fmt.Errorf("%w: cloning %s: %v", scanner.ErrTarget, targets.StripUserinfo(t.URL), err)}
	}
	return rc, nil
}

// cloneTemporary clones t (its URL and Auth already decided) into a new
// 0700 folder of the system's temporary folder, removed by the clone's
// remove (and, once ctx is cancelled, shortly before the interrupt
// watchdog ends the process). With helper, a server that wants
// credentials t has none of gets what the user's git credential helper
// gives. The error is the clone's own (errors.Is sees the transport's).
func cloneTemporary(ctx context.Context, t targets.Target, helper bool, say func(string)) (*remoteClone, error) {
	shown := targets.StripUserinfo(t.URL)
	parent, err := os.MkdirTemp("", "achilles-git-*") // mode 0700
	if err != nil {
		return nil, fmt.Errorf("making a folder for the clone: %w", err)
	}
	var once sync.Once
	remove := func() { once.Do(func() { _ = os.RemoveAll(parent) }) }
	// On an interrupt the scan stops and the deferred remove runs; should
	// the clone or scan not return in time, the watchdog exits the process
	// (interruptGrace): remove the folder before that.
	stopEarly := context.AfterFunc(ctx, func() {
		time.AfterFunc(interruptGrace*2/3, func() { _ = os.RemoveAll(parent) })
	})
	rc := &remoteClone{dir: filepath.Join(parent, "repo.git"), url: shown}
	rc.remove = func() { stopEarly(); remove() }

	say(fmt.Sprintf("cloning %s into a temporary bare clone (removed after the scan)", shown))
	cl, err := sweep.Clone(ctx, rc.dir, t)
	if err != nil && t.Auth == nil && helper && ctx.Err() == nil && authRequired(err) {
		if auth := helperCredential(ctx, parent, t.URL); auth != nil {
			_ = os.RemoveAll(rc.dir)
			t.Auth = auth
			cl, err = sweep.Clone(ctx, rc.dir, t)
		}
	}
	if err != nil {
		rc.remove()
		return nil, err
	}
	rc.empty = cl.Empty
	return rc, nil
}

// isRemoteRepository tells whether `achilles git` was given a remote
// repository to clone: a URL (targets.IsRemote) that is not also the name of
// something local.
func isRemoteRepository(path string) bool {
	if _, err := os.Lstat(path); err == nil {
		return false
	}
	return targets.IsRemote(path)
}

// authRequired tells whether a clone failed because the server wants (other)
// credentials.
func authRequired(err error) bool {
	return errors.Is(err, transport.ErrAuthenticationRequired) || errors.Is(err, transport.ErrAuthorizationFailed) ||
		errors.Is(err, transport.ErrRepositoryNotFound) // what GitHub answers for a private repository without them
}

// helperCredential asks the user's git credential helpers (`git credential
// fill`, the user's and the system's configuration, never a scanned
// repository's) for a user name and password for rawURL, an http(s) URL
// without credentials. Nothing prompts: no terminal, no askpass. nil when
// there is no git, no helper or no answer.
func helperCredential(ctx context.Context, dir, rawURL string) transport.AuthMethod {
	u, err := url.Parse(rawURL)
	if err != nil || !(strings.EqualFold(u.Scheme, "https") || strings.EqualFold(u.Scheme, "http")) {
		return nil
	}
	if _, err := exec.LookPath("git"); err != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", "-c", "core.askPass=", "credential", "fill")
	// dir is the clone's private parent: no repository there or above it
	// (the ceiling) whose configuration git would read.
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0", "GIT_ASKPASS=", "SSH_ASKPASS=", "LC_ALL=C",
		"GIT_CEILING_DIRECTORIES="+filepath.Dir(dir))
	cmd.Stdin = strings.NewReader("url=" + rawURL + "\n\n")
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Run(); err != nil {
		return nil
	}
	var user, pass string
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), "=")
		switch k {
		case "username":
			user = v
		case "password":
			pass = v
		}
	}
	if pass == "" {
		return nil
	}
	return &githttp.BasicAuth{Username: user, Password: pass}
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
