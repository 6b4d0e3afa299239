// Package cli is the achilles command line. Run is the whole program, so
// every command can be tested in-process.
package cli

import (
	"context"
	"errors"
	"fmt"
	"github.com/achilles-sec/achilles/scanner/finding"
	"github.com/achilles-sec/achilles/scanner/report"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/spf13/cobra"
)

// Exit statuses. Findings use --exit-code (default ExitFindings).
const (
	ExitOK          = 0
	ExitFindings    = 1
	ExitUsage       = 2
	ExitInterrupted = 130
)

// MemoryBudget is the floor of achilles' soft memory limit: while the live
// heap is small the Go runtime collects garbage sooner and returns freed
// memory to the system, so the garbage of a large history does not pile up.
// What a scan keeps live is bounded on its own (files over --max-file-size
// are streamed in windows, archives stop at their size, ratio and entry
// limits, DFA caches are capped), except its findings: when they grow the
// live heap past half the budget, the limit follows it (memoryLimit), so the
// collector is not made to run without pause.
// GOMEMLIMIT in the environment overrides it.
const MemoryBudget = 192 << 20

// interruptGrace is how long a scan has to wind down after SIGINT or
// SIGTERM before the process exits regardless.
const interruptGrace = 900 * time.Millisecond

// Version and Commit are stamped at release time with -ldflags.
var (
	Version = "dev"
	Commit  = "none"
)

// buildVersion is the version and commit stamped at release, or else what
// the Go toolchain recorded: the module version of `go install
// …@v1.2.3`, and the VCS revision of a build from a checkout.
func buildVersion() (version, commit string) {
	version, commit = Version, Commit
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return version, commit
	}
	if version == "dev" && info.Main.Version != "" && info.Main.Version != "(devel)" {
		version = info.Main.Version
	}
	if commit == "none" {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && s.Value != "" {
				commit = s.Value
			}
		}
	}
	return version, commit
}

// exitError carries an exit status up to Run without printing anything more.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// usageError is a bad flag or argument: exit 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// IO is what commands read and write.
type IO struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
}

// Run runs achilles with args (without the program name) and returns the
// exit status.
func Run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if os.Getenv("GOMEMLIMIT") == "" {
		followLiveHeap()
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The scan stops at the signal and writes what it has; if something is
	// stuck (a read from a pipe that never ends), exit anyway after a grace
	// period. The watchdog starts only when a signal arrives, so Run can be
	// called from a program that goes on after it returns.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-sigs:
		case <-done:
			return
		}
		cancel()
		select {
		case <-time.After(interruptGrace):
		case <-done:
			return
		}
		fmt.Fprintln(stderr, "achilles: interrupted")
		finding.RemoveSpools() // spilled findings hold raw secrets
		os.Exit(ExitInterrupted)
	}()
	// Whatever a command left open, no spool of findings outlives it.
	defer finding.RemoveSpools()
	return run(ctx, args, &IO{In: stdin, Out: stdout, ErrOut: stderr})
}

func run(ctx context.Context, args []string, io *IO) int {
	// ACHILLES_CPUPROFILE=FILE writes a CPU profile, for performance work.
	if path := os.Getenv("ACHILLES_CPUPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil {
			defer f.Close()
			if pprof.StartCPUProfile(f) == nil {
				defer pprof.StopCPUProfile()
			}
		}
	}
	// ACHILLES_MEMPROFILE=FILE writes, on exit, a profile of every
	// allocation the run made (go tool pprof -sample_index=alloc_space).
	if path := os.Getenv("ACHILLES_MEMPROFILE"); path != "" {
		defer func() {
			if f, err := os.Create(path); err == nil {
				_ = pprof.Lookup("allocs").WriteTo(f, 0)
				f.Close()
			}
		}()
	}
	// ACHILLES_RUSAGE=1 prints achilles' own peak RSS on exit (children such
	// as git cat-file, which maps pack files, are not counted), for benchmarks.
	if os.Getenv("ACHILLES_RUSAGE") != "" {
		defer func() {
			if kb := peakRSSKB(); kb > 0 {
				fmt.Fprintf(io.ErrOut, "achilles: peak RSS %d KB\n", kb)
			}
		}()
	}
	root := newRootCmd(io)
	root.SetArgs(args)
	root.SetIn(io.In)
	root.SetOut(io.Out)
	root.SetErr(io.ErrOut)
	err := root.ExecuteContext(ctx)
	return exitCode(ctx, err, io)
}

func exitCode(ctx context.Context, err error, io *IO) int {
	if err == nil {
		return ExitOK
	}
	var ee exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	if ctx.Err() != nil || errors.Is(err, context.Canceled) {
		fmt.Fprintln(io.ErrOut, "achilles: interrupted")
		return ExitInterrupted
	}
	if errors.Is(err, syscall.EPIPE) {
		return ExitOK
	}
	fmt.Fprintf(io.ErrOut, "achilles: %s\n", report.Escape(err.Error()))
	return ExitUsage
}

func newRootCmd(io *IO) *cobra.Command {
	root := &cobra.Command{
		Use:           "achilles",
		Short:         "Find leaked secrets in git history, folders and streams, and tell which still work",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageError{fmt.Errorf("%w\nRun '%s --help' for usage.", err, c.CommandPath())}
	})
	root.AddCommand(
		newGitCmd(io, nil),
		newDirCmd(io, nil),
		newImageCmd(io, nil),
		newGitHubCmd(io, nil),
		newGitLabCmd(io, nil),
		newStdinCmd(io, nil),
		newRulesCmd(io),
		newProvidersCmd(io),
		newVerifyCmd(io),
		newAnalyzeCmd(io),
		newRevokeCmd(io),
		newHookCmd(io),
		newIgnoreCmd(io),
		newPrecommitCmd(io),
		newVersionCmd(io),
		newSweepCmd(io, nil),
		newMergeCmd(io),
		newReportCmd(io),
	)
	return root
}

func newVersionCmd(io *IO) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			v, c := buildVersion()
			fmt.Fprintf(io.Out, "achilles %s (commit %s)\n", v, c)
			return nil
		},
	}
}

func reportVersion() string {
	v, _ := buildVersion()
	return v
}
