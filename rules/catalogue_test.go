package rules_test

import (
	"strings"
	"testing"

	"github.com/achilles-sec/achilles/detectors"
	"github.com/achilles-sec/achilles/rules"
)

// inCatalogueDir reports whether a default rule lives in a provider file
// under rules/default/<family>/: those are held to the catalogue's bar.
func inCatalogueDir(r *rules.Rule) bool {
	rest, ok := strings.CutPrefix(r.Source, "rules/default/")
	return ok && strings.Contains(rest, "/")
}

// providerless lists the default rules that belong to no provider: generic
// secrets and passwords, credential files and configuration formats any
// service can use, and key formats that are standards rather than a
// company's (PEM, SSH, PGP-like, JWT, PKCS#12, wallets). Every other default
// rule names its provider.
var providerless = map[string]bool{
	// core.toml
	"age-secret-key": true, "private-key": true, "putty-private-key": true, "jwt": true, "password-in-url": true,
	// generic.toml
	"generic-password-quoted": true, "generic-secret-quoted": true, "generic-password-unquoted": true,
	"generic-secret-unquoted": true, "xml-element-secret": true, "xml-key-value-secret": true,
	"xml-named-property-secret": true, "http-basic-auth-header": true, "http-bearer-auth-header": true,
	"http-api-key-header": true, "url-query-credential": true, "cli-credential-argument": true,
	"cli-password-env": true, "code-credential-call": true, "config-password-directive": true,
	"container-env-password": true, "jdbc-connection-password": true, "connection-string-password": true,
	"libpq-dsn-password": true, "netrc-credentials": true, "pgpass-entry": true, "npmrc-auth-token": true,
	"npmrc-basic-auth": true, "docker-config-auth": true, "htpasswd-hash": true, "shadow-password-hash": true,
	"crypt-password-hash-in-config": true, "s3-compatible-secret-key": true, "rails-secret-key-base": true,
	"django-secret-key": true, "wordpress-auth-salt": true, "kubernetes-secret-manifest": true,
	"kubeconfig-client-key-data": true, "kubeconfig-user-token": true, "filezilla-password": true,
	"winscp-session-password": true, "redis-requirepass": true, "ldap-bind-password": true,
	"gradle-signing-password": true, "ansible-inventory-password": true, "postfix-sasl-password": true,
	"terraform-state-random-password": true,
	// keys.toml
	"ssh2-private-key": true, "wireguard-private-key": true, "openvpn-static-key": true,
	"openvpn-tls-crypt-v2-key": true, "jwk-private-key": true, "minisign-signify-secret-key": true,
	"nostr-private-key": true, "hex-private-key-assignment": true, "bitcoin-wif-private-key": true,
	"bip39-mnemonic-phrase": true, "tendermint-validator-key": true, "xml-rsa-private-key": true,
	"kubernetes-encryption-config-key": true, "pkcs12-base64-bundle": true,
	// registries.toml
	"docker-config-json-base64": true,
}

// TestCatalogue checks the provider catalogue: every provider has a name, a
// documentation link and at least one rule; every default rule names its
// provider unless providerless lists it, and every rule providerless lists
// exists and names none.
func TestCatalogue(t *testing.T) {
	cfg, err := rules.Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range cfg.Providers {
		if p.Docs == "" {
			t.Errorf("%s: provider %q has no docs link", p.Source, p.ID)
		}
		if len(p.Rules) == 0 {
			t.Errorf("%s: provider %q has no rule", p.Source, p.ID)
		}
	}
	seen := map[string]bool{}
	for _, r := range cfg.Rules {
		seen[r.ID] = true
		switch {
		case providerless[r.ID] && r.Provider != "":
			t.Errorf("%s: rule %q names provider %q but is listed as providerless", r.Source, r.ID, r.Provider)
		case !providerless[r.ID] && r.Provider == "":
			t.Errorf("%s: rule %q names no provider (add provider = ..., or list it in providerless if it belongs to none)", r.Source, r.ID)
		}
	}
	for id := range providerless {
		if !seen[id] {
			t.Errorf("providerless lists %q, which is not a default rule", id)
		}
	}
	t.Logf("%d providers, %d rules", len(cfg.Providers), len(cfg.Rules))
}

// TestCatalogueContexts writes the key of each catalogue rule's first
// example as an env file, YAML, JSON, Python, Go, JavaScript, Java, a
// Dockerfile, a CLI flag, a URL and TOML would hold it, and wants the rule
// to find it in each. Rules outside provider files are measured, not held.
func TestCatalogueContexts(t *testing.T) {
	cfg, err := rules.Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range detectors.CheckContexts(cfg, inCatalogueDir) {
		t.Error(f)
	}
	other := detectors.CheckContexts(cfg, func(r *rules.Rule) bool { return !inCatalogueDir(r) })
	failed := map[string]bool{}
	for _, f := range other {
		failed[f.RuleID] = true
	}
	t.Logf("rules outside provider files: %d miss at least one context", len(failed))
}
