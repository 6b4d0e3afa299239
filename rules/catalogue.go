package rules

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"sync"
)

// Provider is one catalogue entry: what achilles knows of a provider whose
// keys its rules find.
type Provider struct {
	ID       string
	Name     string
	Category string
	// Docs is the provider's documentation of its key format or API
	// authentication; Revoke where a key is revoked or rotated.
	Docs   string
	Revoke string
	// Identity, Scopes and Expiry name what a verifier's answer for a live
	// key tells (the account, the permissions, when it stops working).
	Identity    []string
	Scopes      []string
	Expiry      string
	Description string
	// Source is the file the entry came from; Rules the rules naming it.
	Source string
	Rules  []*Rule
}

// Provider returns the catalogue entry with the id, or nil.
func (c *Config) Provider(id string) *Provider {
	c.providerOnce.Do(func() {
		if c.providerBy != nil {
			return
		}
		c.providerBy = make(map[string]*Provider, len(c.Providers))
		for _, p := range c.Providers {
			c.providerBy[p.ID] = p
		}
	})
	return c.providerBy[id]
}

// providerID is compiled on first use, not at every start.
var providerID = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9][a-z0-9.\-]*$`) })

// checkProvider reports what is wrong with a catalogue entry: its id, a
// missing name, a docs or revoke link that is not an https URL.
func checkProvider(p rawProvider) error {
	if !providerID().MatchString(p.ID) {
		return fmt.Errorf("provider id %q: want lower-case letters, digits, '.' and '-'", p.ID)
	}
	if p.Name == "" {
		return fmt.Errorf("provider %q: name is required", p.ID)
	}
	for field, u := range map[string]string{"docs": p.Docs, "revoke": p.Revoke} {
		if u == "" {
			continue
		}
		if pu, err := url.Parse(u); err != nil || pu.Scheme != "https" || pu.Host == "" {
			return fmt.Errorf("provider %q: %s %q is not an https URL", p.ID, field, u)
		}
	}
	return nil
}

func newProvider(p rawProvider) Provider {
	return Provider{
		ID: p.ID, Name: p.Name, Category: p.Category, Docs: p.Docs, Revoke: p.Revoke,
		Identity: p.Identity, Scopes: p.Scopes, Expiry: p.Expiry, Description: p.Description,
	}
}

// A context rule finds a key that has no prefix of its own by the name it is
// assigned to: `near` lists words of that name (the provider's name, its
// domain, its SDK's or environment variable's), `secret` the key's shape. The
// loader turns the two into one regex, so that every such rule accepts the
// same contexts:
//
//	LINODE_TOKEN=…            export LINODE_TOKEN="…"     linode_token: …
//	{"linodeToken": "…"}      linode.token = '…'          $linode_key = "…";
//	os.Setenv("LINODE_TOKEN", "…")  --linode-token …      ENV LINODE_TOKEN …
//	?linode_key=…             X-Linode-Key: Bearer …      LinodeToken => "…"
//	LINODE_TOKEN ?= …         $linodeKey .= "…";          linode_token ::= "…"
//	linode token - '…'
//	<linodeToken>…</linodeToken>, or with the value on the next line
//
// or in a URL that names the provider before a path and holds the key in its
// query (https://api.linode.com/v4/profile?token=…), or in a block that names the
// provider within the three lines above the key, as YAML, TOML sections, JSON
// objects, Terraform providers, XML, variable tables and logs do:
//
//	linode:                   [linode]             provider "linode" {
//	  api_token: …            api_key = "…"          token = "…"
//	<linode>                  linode variables     [INFO] calling linode
//	  <apiToken>…</apiToken>  apiKey |…            [DEBUG] Using Key=…
//
// The name may run on for up to 32 name characters after the word
// (LINODE_CLI_API_TOKEN), and then up to three more words after a space
// ("Linode API token = …", as prose, INI files and docs write it); the key
// must end where a token character cannot follow it, so a longer token of
// the same alphabet is not cut to size. Runs of spaces and tabs are bounded
// too (16, or 64 for a block's indentation), so that every such rule has a
// longest match and its windows reach forward from the word by that much,
// not over whole lines, which in minified files are tens of kilobytes.
const (
	contextBlock = `[^\n]{0,40}\n(?:[^\n]{0,100}\n){0,3}?[ \t]{0,64}` + contextLead + `(?:["']?` + contextKeyName + `["']?[ \t]{0,4}(?:=>|:=|=|:|\|)|<` + contextKeyName + `>)[ \t]{0,4}["'\x60]?`
	// contextLead is what may come before the key's name on its line in a
	// block: a comment marker, a log line's time stamp and level, and up to
	// two words ("2026-11-30T08:12:01Z [DEBUG] Using Key=…", "// API KEY = …").
	contextLead    = `(?:(?://|#|--|;)[ \t]{0,16})?(?:[0-9][0-9:.,TZ/+\-]{5,29}[ \t]{1,16}){0,2}(?:\[[A-Za-z]{3,8}\][ \t]{0,16})?(?:[A-Za-z]{2,12}[ \t]{1,16}){0,2}`
	contextKeyName = `[\w.\-]{0,24}(?i:key|token|secret|password|passwd|pwd|auth|credential)[\w.\-]{0,24}`
	// contextURL is a URL that names the provider before a path (in its
	// host, or a path segment) and carries the key in its query
	// (https://api.linode.com/v4/profile?token=…).
	contextURL    = `[\w.\-]{0,40}(?::[0-9]{1,5})?/[^\s"'<>?#]{0,100}\?(?:[^\s"'<>#]{0,100}&)?[\w.\-]{0,16}(?i:key|token|secret|auth|access)[\w.\-]{0,16}=`
	contextName   = `[\w.\-]{0,32}(?: [\w.\-]{1,20}){0,3}`
	contextAssign = `["'\x60\]]?[ \t]{0,4}(?:=>|:{1,3}=|[?.+]=|==|=|:|,|\(|>[ \t]{0,16}\r?\n?[ \t]{0,16}|-[ \t]|[ \t])[ \t]{0,4}(?:[@$]?["'\x60]|\(["'\x60]?|\[["'\x60]?)?[ \t]{0,2}`
	contextScheme = `(?:(?i:bearer|token|basic|apikey|key)[ \t]{1,16})?`
	contextEnd    = `(?:[^A-Za-z0-9_\-+/]|$)`
)

// contextRegex builds the regex of a context rule; the key is group 1.
func contextRegex(near []string, secret string) string {
	return nearStart(near) + `(?:` + contextName + contextAssign + `|` + contextURL + `|` + contextBlock + `)` + contextScheme + `(` + secret + `)` + contextEnd
}

// nearStart matches one of the near words where a name can start: at the
// start of the text or after a byte that is not a lower-case letter or a
// digit (LINODE_TOKEN, my_linode_key, "linode": …), or, after one that is,
// at a capital letter (myLinodeToken) — so that "atera" is not found
// inside "collateral", nor "ozon" inside "ozone" (which the name run
// after the word would otherwise allow).
func nearStart(near []string) string {
	words := make([]string, len(near))
	var camel []string
	for i, w := range near {
		words[i] = regexp.QuoteMeta(w)
		if c := w[0]; c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
			up := strings.ToUpper(w[:1])
			camel = append(camel, up+`(?i:`+regexp.QuoteMeta(w[1:])+`)`)
		}
	}
	out := `(?:(?:^|[^a-z0-9])(?i:` + strings.Join(words, "|") + `)`
	if len(camel) > 0 {
		out += `|[a-z0-9](?:` + strings.Join(camel, "|") + `)`
	}
	return out + `)`
}

// expandContextRule fills regex, secretGroup, keywords and a default entropy
// floor of a context rule.
func expandContextRule(r *rawRule) error {
	if r.Secret == "" || len(r.Near) == 0 {
		return errors.New("a context rule needs both near and secret")
	}
	if r.Regex != "" {
		return errors.New("a context rule has near and secret, not regex")
	}
	if _, err := regexp.Compile(r.Secret); err != nil {
		return fmt.Errorf("secret does not compile: %w", err)
	}
	if strings.Contains(r.Secret, "(?i") {
		return errors.New("secret: the key's shape is case-sensitive; spell out both cases in the character class")
	}
	for _, w := range r.Near {
		if len(w) < 3 {
			return fmt.Errorf("near %q: a word of at least 3 characters is needed, or every short name matches", w)
		}
	}
	r.Regex = contextRegex(r.Near, r.Secret)
	r.SecretGroup = 1
	if len(r.Keywords) == 0 {
		r.Keywords = r.Near
	}
	if r.Entropy == 0 {
		r.Entropy = 3
	}
	return nil
}
