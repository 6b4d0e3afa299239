package verify

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// TenantBase is the base URL for a provider whose API lives on a host per
// customer: <shop>.myshopify.com, <org>.okta.com, <site>.atlassian.net.
// The host comes from a companion matched in the scanned content, so it is
// used only when it matches the provider's documented domain pattern
// (official must match the whole host name); any other host is used only
// when the user opted in with AllowContentHosts. A base URL configured for
// verifierID in Endpoints wins over both.
func (c *Client) TenantBase(verifierID, hostOrURL string, official *regexp.Regexp) (string, error) {
	if e, ok := c.Endpoints[verifierID]; ok && e != "" {
		return c.BaseURL(verifierID, e)
	}
	host := strings.TrimSpace(hostOrURL)
	if host == "" {
		return "", fmt.Errorf("no %s host found near the secret", verifierID)
	}
	if !strings.Contains(host, "://") {
		host = "https://" + host
	}
	u, err := url.Parse(host)
	if err != nil || u.Host == "" || u.User != nil {
		return "", fmt.Errorf("%s host found near the secret does not parse", verifierID)
	}
	name := strings.ToLower(u.Hostname())
	if u.Port() != "" || !official.MatchString(name) {
		if !c.AllowContentHosts {
			return "", fmt.Errorf("%s is not a documented %s host: not sent (opt in to hosts from scanned content to allow it)", name, verifierID)
		}
		if u.Scheme != "https" {
			return "", fmt.Errorf("%s: only https hosts are sent secrets", name)
		}
		return "https://" + u.Host, nil
	}
	return "https://" + name, nil
}
