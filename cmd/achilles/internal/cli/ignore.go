package cli

import (
	"fmt"

	"github.com/achilles-sec/achilles/scanner/triage"
	"github.com/spf13/cobra"
)

func newIgnoreCmd(io *IO) *cobra.Command {
	cmd := &cobra.Command{Use: "ignore", Short: "Manage .achillesignore"}
	var file string
	add := &cobra.Command{
		Use:   "add FINGERPRINT...",
		Short: "Append fingerprints (the 'id' of a finding) to .achillesignore",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := triage.AppendIgnore(file, args); err != nil {
				return err
			}
			fmt.Fprintf(io.ErrOut, "achilles: %d fingerprints added to %s\n", len(args), file)
			return nil
		},
	}
	add.Flags().StringVar(&file, "file", ".achillesignore", "ignore file to append to")
	cmd.AddCommand(add)
	return cmd
}
