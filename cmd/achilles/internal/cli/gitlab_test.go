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
	r = execAchilles(t, dir, gitlabEnv(""), "", "gitlab", "--no-progress", "--include", "wikis", gitlabtest.Project)
	if r.code != 2 || !strings.Contains(r.stderr, "--include") {
		t.Errorf("bad include: exit %d, stderr %s", r.code, r.stderr)
	}
}
