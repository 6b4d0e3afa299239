package cli

import (
	"os"
	"strings"
	"testing"

	"github.com/achilles-sec/achilles/scanner/finding"
	"github.com/achilles-sec/achilles/scanner/hosted/gitlab/gitlabtest"
)

func gitlabEnv(token string) []string {
	env := []string{"NO_COLOR=1", "HOME=" + os.TempDir()}
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PATH=") || strings.HasPrefix(kv, "TMPDIR=") {
			env = append(env, kv)
		}
	}
	if token != "" {
		env = append(env, "ACH_GL_TOKEN="+token)
	}
	return env
}

// TestGitLabCommand: `achilles gitlab` through the built binary reports the
// secrets planted in an issue's description, an MR note, a snippet and a
// CI job's log, each as kind item with its type, URL, author and date; a
// system note's is not read; exit 1 for findings.
func TestGitLabCommand(t *testing.T) {
	fake := gitlabtest.New(t)
	dir := t.TempDir()
	r := execAchilles(t, dir, gitlabEnv(gitlabtest.Token), "", "gitlab", "-f", "json", "--no-progress",
		"--api-url", fake.URL+"/api/v4", "--token-env", "ACH_GL_TOKEN", "--include", "all", gitlabtest.Project)
	if r.code != ExitFindings {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stderr, gitlabtest.Token) {
		t.Errorf("stderr shows the token: %s", r.stderr)
	}
	want := map[string]struct{ typ, url, author, date string }{
		gitlabtest.IssueKey:   {"issue", fake.WebURL("group/proj/-/issues/2"), "alice", "2026-01-02T00:00:00Z"},
		gitlabtest.NoteKey:    {"note", fake.WebURL("group/proj/-/merge_requests/3#note_12"), "bob", "2026-01-04T00:00:00Z"},
		gitlabtest.SnippetKey: {"snippet", fake.WebURL("group/proj/-/snippets/7"), "carol", "2026-01-05T00:00:00Z"},
		gitlabtest.JobKey:     {"job-log", fake.WebURL("group/proj/-/jobs/42"), "dave", "2026-01-06T00:00:00Z"},
	}
	found := map[string]bool{}
	for _, f := range decodeFindings(t, r) {
		if f.Secret == gitlabtest.SystemKey {
			t.Errorf("a system note's secret was reported: %s", f.Path)
		}
		w, ok := want[f.Secret]
		if !ok {
			continue
		}
		found[f.Secret] = true
		if f.Kind != finding.KindItem || f.Item == nil {
			t.Errorf("%s: kind %s item %+v", f.RuleID, f.Kind, f.Item)
			continue
		}
		if f.Item.Type != w.typ || f.Item.URL != w.url || f.Item.Author != w.author || f.Item.Date != w.date {
			t.Errorf("%s: item %+v, want %+v", f.RuleID, *f.Item, w)
		}
	}
	for k, w := range want {
		if !found[k] {
			t.Errorf("the %s's secret was not reported", w.typ)
		}
	}
	if fake.StorageTokens != 0 {
		t.Error("the job log's storage host got PRIVATE-TOKEN")
	}
}

// TestGitLabCommandErrors: a missing project or a refused token is exit 2
// with a message that names it; plain http to a host that is not loopback
// and a bad --include are usage errors.
func TestGitLabCommandErrors(t *testing.T) {
	fake := gitlabtest.New(t)
	dir := t.TempDir()
	api := fake.URL + "/api/v4"
	r := execAchilles(t, dir, gitlabEnv(gitlabtest.Token), "", "gitlab", "--no-progress", "--api-url", api, "--token-env", "ACH_GL_TOKEN", "group/missing")
	if r.code != 2 || !strings.Contains(r.stderr, "404") || !strings.Contains(r.stderr, "group/missing") {
		t.Errorf("missing project: exit %d, stderr %s", r.code, r.stderr)
	}
	r = execAchilles(t, dir, gitlabEnv("wrong"), "", "gitlab", "--no-progress", "--api-url", api, "--token-env", "ACH_GL_TOKEN", gitlabtest.Project)
	if r.code != 2 || !strings.Contains(r.stderr, "401") || strings.Contains(r.stderr, "wrong") {
		t.Errorf("bad token: exit %d, stderr %s", r.code, r.stderr)
	}
	r = execAchilles(t, dir, gitlabEnv(""), "", "gitlab", "--no-progress", "--url", "http://gitlab.example", gitlabtest.Project)
	if r.code != 2 || !strings.Contains(r.stderr, "plain http") {
		t.Errorf("plain http: exit %d, stderr %s", r.code, r.stderr)
	}
	r = execAchilles(t, dir, gitlabEnv(""), "", "gitlab", "--no-progress", "--include", "pages", gitlabtest.Project)
	if r.code != 2 || !strings.Contains(r.stderr, "--include") {
		t.Errorf("bad include: exit %d, stderr %s", r.code, r.stderr)
	}
}

// sweep --gitlab-group --include all reads each listed project's items
// (and its history and, the listing saying wiki_enabled, its wiki's, from
// git http-backend) into the database with their locations; a rerun
// without changes asks for every item listing only conditionally, and
// each is answered 304.
func TestSweepIncludeGitLabItems(t *testing.T) {
	const historyKey, wikiKey = "AKIAZ3MSJV4WQPTHKR7G", "AKIAZ3MSJV4WQPTHKR7P"
	fake := gitlabtest.New(t)
	root := t.TempDir()
	sweepBareRepo(t, root, gitlabtest.Project, historyKey)
	first := wikiBareRepo(t, root, gitlabtest.Project+".wiki", wikiKey)
	backend := sweepBackend(t, root)
	fake.Configure(func(s *gitlabtest.Server) { s.RateLimitOnce, s.Git, s.WikiEnabled = false, backend, true })
	dir := t.TempDir()
	env := append(os.Environ(), "ACHILLES_CONFIG=", "GITLAB_TOKEN="+gitlabtest.Token, "HOME="+dir)
	db := dir + "/sweep.db"
	args := []string{"sweep", "--gitlab-group", "group", "--gitlab-url", fake.URL, "--include", "all", "--db", db,
		"--cache", dir + "/cache", "--no-progress", "--exit-code", "0"}
	r := execAchilles(t, dir, env, "", args...)
	if r.code != 0 || strings.Contains(r.stderr, "will be retried") {
		t.Fatalf("sweep: exit %d\n%s", r.code, r.stderr)
	}
	if strings.Contains(r.stderr, gitlabtest.Token) {
		t.Fatalf("stderr shows the token:\n%s", r.stderr)
	}
	want := map[string]finding.ItemOrigin{
		gitlabtest.IssueKey:   {Type: "issue", URL: fake.WebURL("group/proj/-/issues/2"), Author: "alice", Date: "2026-01-02T00:00:00Z"},
		gitlabtest.NoteKey:    {Type: "note", URL: fake.WebURL("group/proj/-/merge_requests/3#note_12"), Author: "bob", Date: "2026-01-04T00:00:00Z"},
		gitlabtest.SnippetKey: {Type: "snippet", URL: fake.WebURL("group/proj/-/snippets/7"), Author: "carol", Date: "2026-01-05T00:00:00Z"},
		gitlabtest.JobKey:     {Type: "job-log", URL: fake.WebURL("group/proj/-/jobs/42"), Author: "dave", Date: "2026-01-06T00:00:00Z"},
	}
	stored := func() map[string]finding.Finding {
		rep := execAchilles(t, dir, env, "", "report", "--db", db, "-f", "json", "--no-redact")
		found := map[string]finding.Finding{}
		for _, f := range decodeFindings(t, rep) {
			found[f.Secret] = f
		}
		return found
	}
	check := func(when string) {
		found := stored()
		if len(found) != len(want)+2 {
			t.Errorf("%s: the database holds %d secrets, want %d", when, len(found), len(want)+2)
		}
		for k, origin := range want {
			if f, ok := found[k]; !ok || f.Kind != finding.KindItem || f.Item == nil || *f.Item != origin {
				t.Errorf("%s: %s stored as %+v (%v), want item %+v", when, origin.Type, f.Item, ok, origin)
			}
		}
		if f, ok := found[historyKey]; !ok || f.Kind != finding.KindGit || f.Path != strings.TrimPrefix(fake.URL, "http://")+"/group/proj/app.env" {
			t.Errorf("%s: the history's key stored as %+v (%v)", when, f, ok)
		}
		if f, ok := found[wikiKey]; !ok || f.Kind != finding.KindGit || f.Git == nil || f.Git.Commit != first ||
			f.Path != strings.TrimPrefix(fake.URL, "http://")+"/group/proj.wiki/Home.md" {
			t.Errorf("%s: the wiki's key stored as %+v (%v)", when, f, ok)
		}
		if found[gitlabtest.SystemKey].Secret != "" {
			t.Errorf("%s: a system note's secret was stored", when)
		}
	}
	check("first run")

	fake.Reset()
	r = execAchilles(t, dir, env, "", args...)
	if r.code != 0 {
		t.Fatalf("rerun: exit %d\n%s", r.code, r.stderr)
	}
	requests, unconditional, notModified := fake.Recorded()
	items := 0
	for _, q := range requests {
		if !strings.HasPrefix(q, "/api/v4/groups/") { // the listing itself is not an item
			items++
		}
	}
	var unconditionalItems []string
	for _, p := range unconditional {
		if !strings.HasPrefix(p, "/api/v4/groups/") {
			unconditionalItems = append(unconditionalItems, p)
		}
	}
	if items == 0 || len(unconditionalItems) != 0 || len(notModified) != items {
		t.Fatalf("no-change rerun: %d item requests, unconditional %v, %d answered 304\nall: %v", items, unconditionalItems, len(notModified), requests)
	}
	check("after the rerun")
}
