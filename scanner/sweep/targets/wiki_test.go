package targets

import "testing"

func TestWikiOf(t *testing.T) {
	yes, no := true, false
	for _, c := range []struct {
		name string
		in   Target
		want string // the wiki's URL; "" for none
	}{
		{"github", Target{URL: "https://github.com/acme/app.git", Name: "acme/app", Source: "github"}, "https://github.com/acme/app.wiki.git"},
		{"has_wiki true", Target{URL: "https://github.com/acme/app.git", Name: "acme/app", Source: "github", HasWiki: &yes}, "https://github.com/acme/app.wiki.git"},
		{"gitlab subgroup", Target{URL: "https://gitlab.example/g/sub/proj.git", Name: "g/sub/proj", Source: "gitlab"}, "https://gitlab.example/g/sub/proj.wiki.git"},
		{"no .git", Target{URL: "https://gitlab.example/g/proj", Name: "g/proj", Source: "gitlab"}, "https://gitlab.example/g/proj.wiki.git"},
		{"has_wiki false", Target{URL: "https://github.com/acme/app.git", Name: "acme/app", Source: "github", HasWiki: &no}, ""},
		{"refused", Target{URL: "https://evil.example/acme/app.git", Name: "acme/app", Source: "github", Refused: "another host"}, ""},
		{"from a file", Target{URL: "https://github.com/acme/app.git", Source: "file"}, ""},
		{"a wiki", Target{URL: "https://github.com/acme/app.wiki.git", Name: "acme/app", Source: "github", Wiki: true}, ""},
	} {
		w, ok := WikiOf(c.in)
		if ok != (c.want != "") || ok && (w.URL != c.want || !w.Wiki || w.Key != Normalize(c.want) || w.Source != c.in.Source+"-wiki") {
			t.Errorf("%s: %+v %v, want %q", c.name, w, ok, c.want)
		}
	}
}
