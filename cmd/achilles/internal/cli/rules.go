package cli

import (
	"fmt"
	"text/tabwriter"

	"github.com/achilles-sec/achilles/detectors"
	"github.com/achilles-sec/achilles/rules"
	"github.com/spf13/cobra"
)

func newRulesCmd(io *IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "List the rules or check their examples",
	}
	var listConfig, checkConfig string
	list := &cobra.Command{
		Use:   "list",
		Short: "List rules: id, provider, confidence, verifiable, description",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := loadConfigFlag(listConfig)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(io.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tPROVIDER\tCONFIDENCE\tVERIFIABLE\tDESCRIPTION")
			for _, r := range cfg.Rules {
				v := "no"
				if r.Verifier != "" {
					v = "yes"
				}
				provider := "-"
				if p := cfg.Provider(r.Provider); p != nil {
					provider = p.Name
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.ID, provider, r.Confidence, v, r.Description)
			}
			return tw.Flush()
		},
	}
	list.Flags().StringVarP(&listConfig, "config", "c", "", "rules file (default: the built-in rules)")
	check := &cobra.Command{
		Use:   "check",
		Short: "Run every rule's examples and report those that fail",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := loadConfigFlag(checkConfig)
			if err != nil {
				return err
			}
			fails := detectors.CheckExamples(cfg, false)
			for _, f := range fails {
				fmt.Fprintln(io.Out, f)
			}
			examples := 0
			for _, r := range cfg.Rules {
				examples += len(r.Examples) + len(r.NegativeExamples)
			}
			fmt.Fprintf(io.ErrOut, "achilles: %d rules, %d examples, %d failed\n", len(cfg.Rules), examples, len(fails))
			if len(fails) > 0 {
				return exitError{ExitFindings}
			}
			return nil
		},
	}
	check.Flags().StringVarP(&checkConfig, "config", "c", "", "rules file (default: the built-in rules)")
	cmd.AddCommand(list, check)
	return cmd
}

func loadConfigFlag(path string) (*rules.Config, error) {
	if path == "" {
		return rules.Default()
	}
	cfg, err := rules.LoadFile(path)
	if err != nil {
		return nil, usageError{err}
	}
	if err := checkNames(cfg); err != nil {
		return nil, err
	}
	return cfg, nil
}
