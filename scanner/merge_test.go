package scanner

import (
	"testing"

	"github.com/achilles-sec/achilles/scanner/finding"
)

func TestMerge(t *testing.T) {
	wiki := &Result{Findings: []finding.Finding{{Path: "Home.md", Kind: finding.KindGit, Git: &finding.GitOrigin{Commit: "c1"}}},
		Stats: Stats{What: "wiki history of W", Objects: 2, Commits: 2, Bytes: 10}}
	items := &Result{Findings: []finding.Finding{{Path: "https://example.test/issues/1", Kind: finding.KindItem}},
		Stats: Stats{What: "GitHub acme/app", Objects: 3, Bytes: 5, Warnings: 1}, Incomplete: true}
	m, err := Merge(wiki, items)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Findings) != 2 || m.Findings[0].Path != "Home.md" || m.Findings[1].Kind != finding.KindItem {
		t.Fatalf("findings %+v", m.Findings)
	}
	if m.Stats.What != "wiki history of W and GitHub acme/app" || m.Stats.Objects != 5 || m.Stats.Commits != 2 || m.Stats.Bytes != 15 ||
		m.Stats.Warnings != 1 || !m.Incomplete {
		t.Fatalf("merged %+v incomplete %v", m.Stats, m.Incomplete)
	}
	if len(wiki.Findings) != 1 {
		t.Fatal("Merge changed its input")
	}
	if a, _ := Merge(nil, items); a != items {
		t.Error("Merge(nil, b) is not b")
	}
	if b, _ := Merge(wiki, nil); b != wiki {
		t.Fatal("a nil side is not the other side")
	}
}
