package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/achilles-sec/achilles/detectors/verifiers"
	"github.com/achilles-sec/achilles/detectors/verify"
	"github.com/achilles-sec/achilles/rules"
	"github.com/achilles-sec/achilles/scanner/pipeline"
	"github.com/spf13/cobra"
)

// verifyOptions are the verification flags of the scan commands.
type verifyOptions struct {
	Verify            bool
	OnlyVerified      bool
	FailOn            string
	Timeout           time.Duration
	AllowContentHosts bool
	Analyze           bool
}

func addVerifyFlags(cmd *cobra.Command, o *verifyOptions) {
	f := cmd.Flags()
	f.BoolVar(&o.Verify, "verify", false, "ask each provider whether the secrets found still work (read-only requests to official API hosts)")
	f.BoolVar(&o.OnlyVerified, "only-verified", false, "report only secrets verified live (implies --verify)")
	f.StringVar(&o.FailOn, "fail-on", "any", "exit with --exit-code when: any finding is reported, or only when a live one is (live; implies --verify)")
	f.DurationVar(&o.Timeout, "verify-timeout", 10*time.Second, "time limit for verifying one secret")
	f.BoolVar(&o.Analyze, "analyze", false, "map what each live key can reach (read-only calls to its provider; implies --verify): the response plan lists the worst first")
	f.BoolVar(&o.AllowContentHosts, "verify-content-hosts", false, "also send secrets to hosts named in the scanned content (e.g. a connection string's host): off by default")
}

func (o *verifyOptions) validate() error {
	switch o.FailOn {
	case "any":
	case "live":
		o.Verify = true
	default:
		return usageError{fmt.Errorf("--fail-on %q: want any or live", o.FailOn)}
	}
	if o.OnlyVerified || o.Analyze {
		o.Verify = true
	}
	return nil
}

// newVerifyClient builds the client and the verifiers from the built-in
// list plus the rules file's [verify] table.
func newVerifyClient(cfg *rules.Config, o *verifyOptions) (*verify.Client, map[string]verify.Verifier, error) {
	builtin, err := verifiers.Builtin()
	if err != nil {
		return nil, nil, err
	}
	specs, err := verify.ParseHTTPSpecs(cfg.Verify)
	if err != nil {
		return nil, nil, usageError{err}
	}
	all := builtin
	if len(specs) > 0 {
		custom, err := verifiers.With(nil, specs)
		if err != nil {
			return nil, nil, usageError{err}
		}
		for id, v := range custom {
			all[id] = v // a user's declaration replaces a built-in of the same id
		}
	}
	endpoints, err := verify.Endpoints(cfg.Verify)
	if err != nil {
		return nil, nil, usageError{err}
	}
	c := verify.NewClient(verify.Options{Timeout: o.Timeout, Endpoints: endpoints, AllowContentHosts: o.AllowContentHosts})
	return c, all, nil
}

// newVerification is the chain's verification step for the rules: the
// built-in verifiers and the rules file's declarations, through one client.
func newVerification(cfg *rules.Config, o *verifyOptions) (*pipeline.Verification, error) {
	client, vs, err := newVerifyClient(cfg, o)
	if err != nil {
		return nil, err
	}
	return &pipeline.Verification{Config: cfg, Client: client, Verifiers: vs}, nil
}

// newVerifyCmd builds `achilles verify`: check one secret read from stdin,
// for incident response.
func newVerifyCmd(io *IO) *cobra.Command {
	var ruleID, configPath, format string
	var parts []string
	vo := verifyOptions{}
	cmd := &cobra.Command{
		Use:   "verify --rule ID < secret",
		Short: "Check whether one secret (read from stdin) still works",
		Long: `Read one secret from stdin and ask its provider whether it still works.
--rule names the rule whose verifier to use (see 'achilles rules list');
--part rule-id=value gives a companion, e.g. the key id of an AWS secret key.
Exit status: 1 when the secret is live, 0 when it is dead or unknown.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := loadConfigFlag(configPath)
			if err != nil {
				return err
			}
			r := cfg.ByID(ruleID)
			if r == nil {
				return usageError{fmt.Errorf("--rule %q: no such rule", ruleID)}
			}
			if r.Verifier == "" {
				return usageError{fmt.Errorf("rule %s has no verifier", ruleID)}
			}
			client, vs, err := newVerifyClient(cfg, &vo)
			if err != nil {
				return err
			}
			v, ok := vs[r.Verifier]
			if !ok {
				return usageError{fmt.Errorf("verifier %s is not known", r.Verifier)}
			}
			raw, err := readAllLimited(io.In, 1<<20)
			if err != nil {
				return err
			}
			req := verify.Request{RuleID: ruleID, Secret: strings.TrimSpace(string(raw)), Parts: map[string]string{}}
			if req.Secret == "" {
				return usageError{fmt.Errorf("no secret on stdin")}
			}
			for _, p := range parts {
				k, val, ok := strings.Cut(p, "=")
				if !ok {
					return usageError{fmt.Errorf("--part %q: want rule-id=value", p)}
				}
				req.Parts[k] = val
			}
			res := client.Verify(cmd.Context(), v, req)
			ver := pipeline.ToVerification(v.ID(), res)
			if format == "json" {
				enc := json.NewEncoder(io.Out)
				enc.SetIndent("", "  ")
				if err := enc.Encode(ver); err != nil {
					return err
				}
			} else {
				fmt.Fprintf(io.Out, "%s: %s", v.ID(), ver.Status)
				if ver.Identity != "" {
					fmt.Fprintf(io.Out, "  identity: %s", ver.Identity)
				}
				if len(ver.Scopes) > 0 {
					sc := append([]string(nil), ver.Scopes...)
					sort.Strings(sc)
					fmt.Fprintf(io.Out, "  scopes: %s", strings.Join(sc, ","))
				}
				if ver.ExpiresAt != "" {
					fmt.Fprintf(io.Out, "  expires: %s", ver.ExpiresAt)
				}
				if ver.Kind != "" {
					fmt.Fprintf(io.Out, "  kind: %s", ver.Kind)
				}
				if ver.Reason != "" {
					fmt.Fprintf(io.Out, "  (%s)", ver.Reason)
				}
				fmt.Fprintln(io.Out)
			}
			if res.Status == verify.Live {
				return exitError{ExitFindings}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&ruleID, "rule", "", "rule id whose verifier checks the secret (required)")
	f.StringArrayVar(&parts, "part", nil, "companion part as rule-id=value (repeatable)")
	f.StringVarP(&configPath, "config", "c", "", "rules file (for custom rules and [verify] settings)")
	f.StringVarP(&format, "format", "f", "text", "text or json")
	f.DurationVar(&vo.Timeout, "verify-timeout", 10*time.Second, "time limit")
	_ = cmd.MarkFlagRequired("rule")
	return cmd
}

func readAllLimited(r io.Reader, n int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, n))
	if err != nil {
		return nil, fmt.Errorf("reading stdin: %w", err)
	}
	return b, nil
}
