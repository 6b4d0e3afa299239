package cli

import (
	"fmt"
	"path/filepath"

	"github.com/achilles-sec/achilles/scanner/sweep/store"
	"github.com/spf13/cobra"
)

// newMergeCmd builds `achilles merge`: join the databases of sharded sweeps.
func newMergeCmd(io *IO) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "merge A.db B.db ... -o all.db",
		Short: "Join sweep databases (e.g. the shards of one sweep) into one",
		Long: `Join sweep results databases into -o (created, or added to). A repository
in two databases keeps the newer scan with its findings; each secret keeps
its most recent verification, and status histories are joined.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usageError{fmt.Errorf("give the merged database with -o")}
			}
			abs, _ := filepath.Abs(out)
			for _, a := range args {
				if p, _ := filepath.Abs(a); p == abs {
					return usageError{fmt.Errorf("%s is both an input and the output", a)}
				}
			}
			dst, err := store.Open(out)
			if err != nil {
				return err
			}
			defer dst.Close()
			for _, a := range args {
				st, err := dst.Merge(cmd.Context(), a)
				if err != nil {
					return err
				}
				fmt.Fprintf(io.ErrOut, "achilles: merged %s: %d repositories taken, %d newer ones kept\n", a, st.Repos, st.Kept)
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "merged database (required)")
	return cmd
}
