package rules

import (
	"regexp"
	"testing"
)

// TestContextForms runs one context rule's expanded regex over the forms a
// key is written in next to its provider's name, and over near misses that
// must stay unfound.
func TestContextForms(t *testing.T) {
	re := regexp.MustCompile(contextRegex([]string{"linode"}, `[a-f0-9]{32}`))
	const key = "9c1f0e4b7a2d58c3e6f1a0b4d7c2e5f8"
	found := map[string]string{
		"env":                 "LINODE_TOKEN=" + key,
		"prose name and dash": "linode token - '" + key + "'",
		"log line below":      "[INFO] sending request to the linode API\n[DEBUG] Using Key=" + key + "\n",
		"log line with time":  "2026-11-30 08:12:01,331 [INFO] polling linode\n2026-11-30 08:12:01,402 [DEBUG] Using Key=" + key + "\n",
		"log line, spaced":    "\t[INFO] calling linode\n\t[DEBUG] using api key = " + key + "\n",
		"comment below":       "func callLinode() {\n\t// API KEY = " + key + "\n",
		"xml element below":   "<linode>\n  <apiToken>" + key + "</apiToken>\n</linode>",
		"table below":         "Variables for linode\nVariable name | Initial Value\napiKey |" + key + "\n",
		"url host and query":  `url := "https://api.linode.com/v4/profile?token=` + key + `"`,
		"url later param":     "https://linode.example.com:8443/a/b?page=2&api_key=" + key,
	}
	for name, text := range found {
		m := re.FindStringSubmatch(text)
		if m == nil || m[1] != key {
			t.Errorf("%s: key not found in %q (got %q)", name, text, m)
		}
	}
	missed := map[string]string{
		"four lines below":    "linode:\n a: 1\n b: 2\n c: 3\n d: 4\n key: " + key,
		"url of another host": "https://api.example.com/linodes?token=" + key,
		"url, key in path":    "https://api.linode.com/v4/" + key,
		"log line, no name":   "[INFO] sending request\n[DEBUG] Using Key=" + key,
		"longer token":        "LINODE_TOKEN=" + key + "abc",
	}
	for name, text := range missed {
		if m := re.FindStringSubmatch(text); m != nil {
			t.Errorf("%s: found %q in %q", name, m[1], text)
		}
	}
}
