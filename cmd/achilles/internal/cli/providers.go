package cli

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/achilles-sec/achilles/detectors/verify"
	"github.com/achilles-sec/achilles/rules"
	"github.com/achilles-sec/achilles/scanner/report"
	"github.com/spf13/cobra"
)

// providerEntry is one line of `achilles providers`, and its JSON shape.
// Reports says what a live key's verification tells: "identity", "scopes",
// "expiry", "kind" (from the declaration of a declared verifier; from the
// catalogue entry for a verifier written in Go).
type providerEntry struct {
	ID        string   `json:"id"`
	Name      string   `json:"name"`
	Category  string   `json:"category,omitempty"`
	Rules     []string `json:"rules"`
	Verifiers []string `json:"verifiers,omitempty"`
	Reports   []string `json:"reports,omitempty"`
	Identity  []string `json:"identity,omitempty"`
	Scopes    []string `json:"scopes,omitempty"`
	Expiry    string   `json:"expiry,omitempty"`
	Revoke    string   `json:"revoke,omitempty"`
	Docs      string   `json:"docs"`
	Source    string   `json:"source"`
}

func catalogueEntries(cfg *rules.Config, vs map[string]verify.Verifier) []providerEntry {
	var out []providerEntry
	for _, p := range cfg.Providers {
		e := providerEntry{
			ID: p.ID, Name: p.Name, Category: p.Category, Identity: p.Identity, Scopes: p.Scopes,
			Expiry: p.Expiry, Revoke: p.Revoke, Docs: p.Docs, Source: p.Source, Rules: []string{},
		}
		seen := map[string]bool{}
		reports := map[string]bool{}
		for _, r := range p.Rules {
			e.Rules = append(e.Rules, r.ID)
			if r.Verifier == "" || seen[r.Verifier] {
				continue
			}
			seen[r.Verifier] = true
			e.Verifiers = append(e.Verifiers, r.Verifier)
			for _, f := range verifierReports(vs[r.Verifier], p) {
				reports[f] = true
			}
		}
		for _, f := range []string{"identity", "scopes", "expiry", "kind"} {
			if reports[f] {
				e.Reports = append(e.Reports, f)
			}
		}
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// verifierReports is what a verifier's live answer tells.
func verifierReports(v verify.Verifier, p *rules.Provider) []string {
	var out []string
	if d, ok := v.(verify.Declared); ok {
		s := d.Spec()
		kind := s.Kind != ""
		for _, o := range s.Live {
			kind = kind || o.Kind != ""
		}
		for f, on := range map[string]bool{"identity": s.Identity != "", "scopes": s.Scopes != "", "expiry": s.Expires != "", "kind": kind} {
			if on {
				out = append(out, f)
			}
		}
		return out
	}
	if v == nil {
		return nil
	}
	for f, on := range map[string]bool{"identity": len(p.Identity) > 0, "scopes": len(p.Scopes) > 0, "expiry": p.Expiry != ""} {
		if on {
			out = append(out, f)
		}
	}
	return out
}

func newProvidersCmd(io *IO) *cobra.Command {
	var config, format, category string
	cmd := &cobra.Command{
		Use:   "providers",
		Short: "List the provider catalogue: rules, verifier, what a live key tells, where to revoke, docs",
		Long: `List every provider achilles knows: its rules, the verifier that checks its keys,
what a live key's answer tells (identity, scopes, expiry), where a key is revoked,
and the provider's documentation of its key format.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := loadConfigFlag(config)
			if err != nil {
				return err
			}
			_, vs, err := newVerifyClient(cfg, &verifyOptions{})
			if err != nil {
				return err
			}
			entries := catalogueEntries(cfg, vs)
			if category != "" {
				kept := entries[:0]
				for _, e := range entries {
					if e.Category == category {
						kept = append(kept, e)
					}
				}
				entries = kept
			}
			switch format {
			case "json":
				enc := json.NewEncoder(io.Out)
				enc.SetIndent("", "  ")
				return enc.Encode(entries)
			case "text":
			default:
				return usageError{fmt.Errorf("--format %q: want text or json", format)}
			}
			tw := tabwriter.NewWriter(io.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "PROVIDER\tNAME\tCATEGORY\tRULES\tVERIFIER\tIDENTITY\tSCOPES\tEXPIRY\tREVOKE\tDOCS")
			verified, verifierCount := 0, map[string]bool{}
			for _, e := range entries {
				has := func(f string) string {
					if slices.Contains(e.Reports, f) {
						return "yes"
					}
					return "-"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n", e.ID, report.Escape(e.Name), e.Category, len(e.Rules),
					dash(strings.Join(e.Verifiers, ",")), has("identity"), has("scopes"), has("expiry"), dash(e.Revoke), e.Docs)
				if len(e.Verifiers) > 0 {
					verified++
				}
				for _, v := range e.Verifiers {
					verifierCount[v] = true
				}
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			fmt.Fprintf(io.ErrOut, "achilles: %d providers, %d verified by %d verifiers\n", len(entries), verified, len(verifierCount))
			return nil
		},
	}
	cmd.Flags().StringVarP(&config, "config", "c", "", "rules file (default: the built-in rules)")
	cmd.Flags().StringVarP(&format, "format", "f", "text", "output format: text or json")
	cmd.Flags().StringVar(&category, "category", "", "only providers of this category (cloud, devops, ai, payments, ...)")
	return cmd
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
