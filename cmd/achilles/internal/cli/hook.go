package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/achilles-sec/achilles/scanner"
	"github.com/spf13/cobra"
)

// hookMarker identifies a hook achilles wrote, so it may overwrite it.
const hookMarker = "# achilles-hook: written by `achilles hook install`"

func newHookCmd(io *IO) *cobra.Command {
	cmd := &cobra.Command{Use: "hook", Short: "Install achilles as a git hook"}
	var prePush, force bool
	var dir string
	install := &cobra.Command{
		Use:   "install",
		Short: "Add achilles to the pre-commit (or pre-push) hook git runs",
		Long: `Add achilles to the pre-commit (or pre-push) hook git runs: the hooks folder
core.hooksPath names, or .git/hooks. With husky (core.hooksPath .husky/_, or
.husky), the hook is husky's own .husky/pre-commit, never its generated
folder. A hook achilles did not write is kept: with --force, achilles is
added after its commands (so a lint-staged line still runs).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			hooks, err := hooksDir(cmd.Context(), dir)
			if err != nil {
				return usageError{err}
			}
			exe, err := os.Executable()
			if err != nil {
				exe = "achilles"
			}
			name, run := "pre-commit", "git --staged --no-progress"
			if prePush {
				name, run = "pre-push", "git --pre-push --no-progress"
			}
			path := filepath.Join(hooks, name)
			old, err := os.ReadFile(path)
			switch {
			case err != nil || bytes.HasPrefix(old, []byte("#!/bin/sh\n"+hookMarker)):
				// None, or one achilles wrote whole: (re)write it.
				if err := os.MkdirAll(hooks, 0o755); err != nil {
					return err
				}
				if err := os.WriteFile(path, []byte(hookScript(name, exe, run)), 0o755); err != nil {
					return err
				}
				fmt.Fprintf(io.ErrOut, "achilles: installed %s\n", path)
			case bytes.Contains(old, []byte(hookMarker)):
				fmt.Fprintf(io.ErrOut, "achilles: %s already runs achilles\n", path)
			case !force:
				return usageError{fmt.Errorf("%s exists and was not written by achilles; use --force to add achilles after its commands (they are kept)", path)}
			default:
				if err := os.WriteFile(path, chainHook(old, chainedHook(exe, run)), 0o755); err != nil {
					return err
				}
				fmt.Fprintf(io.ErrOut, "achilles: added achilles to %s (its own commands are kept)\n", path)
			}
			return nil
		},
	}
	f := install.Flags()
	f.BoolVar(&prePush, "pre-push", false, "install a pre-push hook instead of pre-commit")
	f.BoolVar(&force, "force", false, "add achilles to a hook achilles did not write, after its commands")
	f.StringVar(&dir, "repo", ".", "repository")
	cmd.AddCommand(install)
	return cmd
}

// hooksDir is the folder git runs the repository's hooks from: the
// core.hooksPath a configuration file sets (relative to the work tree's
// top), else the hooks folder of the common git dir. Git runs with
// scanner.GitCommand's overrides, whose own core.hooksPath (set on the
// command line) is not the one wanted here.
func hooksDir(ctx context.Context, dir string) (string, error) {
	git := func(args ...string) (string, error) {
		out, err := scanner.GitCommand(ctx, dir, args...).Output()
		return strings.TrimSpace(string(out)), err
	}
	common, err := git("rev-parse", "--path-format=absolute", "--git-common-dir")
	if err != nil || common == "" {
		return "", fmt.Errorf("%s is not a git repository", dir)
	}
	hooks := filepath.Join(common, "hooks")
	// --null: "origin NUL value NUL" per value.
	set, _ := git("config", "--get-all", "--show-origin", "--null", "core.hooksPath")
	if p := configuredHooksPath(set); p != "" {
		if !filepath.IsAbs(p) {
			top, err := git("rev-parse", "--show-toplevel")
			if err != nil || top == "" {
				return "", fmt.Errorf("core.hooksPath %q is relative and %s has no work tree", p, dir)
			}
			p = filepath.Join(top, p)
		}
		hooks = p
		// husky: git runs its generated .husky/_ (v9), which runs the
		// project's own .husky/<hook>; earlier versions point git at
		// .husky itself. The project's file is the one to change.
		if filepath.Base(hooks) == "_" && filepath.Base(filepath.Dir(hooks)) == ".husky" {
			hooks = filepath.Dir(hooks)
		}
	}
	return hooks, nil
}

// configuredHooksPath reads `git config --get-all --show-origin --null
// core.hooksPath` and returns the last value a configuration file gave
// (the one git uses), skipping scanner.GitCommand's own override, which
// comes from the command line. A leading "~/" is expanded as git does.
func configuredHooksPath(out string) string {
	f := strings.Split(out, "\x00")
	value := ""
	for i := 0; i+1 < len(f); i += 2 {
		if f[i] == "command line:" {
			continue
		}
		value = f[i+1]
	}
	if rest, ok := strings.CutPrefix(value, "~/"); ok {
		if home, err := os.UserHomeDir(); err == nil {
			value = filepath.Join(home, rest)
		}
	}
	return value
}

// hookScript is the hook git runs: achilles where it was when the hook was
// installed, or the one on PATH when that binary has gone (a `go run`
// build, an upgrade that moved it).
func hookScript(name, exe, run string) string {
	return fmt.Sprintf(`#!/bin/sh
%s
# Blocks the %s when achilles finds a secret.
achilles=%s
[ -x "$achilles" ] || achilles=achilles
exec "$achilles" %s
`, hookMarker, strings.TrimPrefix(name, "pre-"), shellQuote(exe), run)
}

// chainedHook is what is added to a hook achilles did not write: it runs
// after the hook's own commands and fails the hook when achilles does.
func chainedHook(exe, run string) string {
	return fmt.Sprintf(`%s
achilles=%s
[ -x "$achilles" ] || achilles=achilles
"$achilles" %s || exit $?
`, hookMarker, shellQuote(exe), run)
}

// chainHook adds block to a hook's script: at the end, or before a final
// `exit 0` (a hook that ends with one would never reach it).
func chainHook(old []byte, block string) []byte {
	lines := strings.Split(strings.TrimRight(string(old), "\n"), "\n")
	tail := ""
	if last := strings.TrimSpace(lines[len(lines)-1]); len(lines) > 1 && (last == "exit 0" || last == "exit") {
		tail = lines[len(lines)-1] + "\n"
		lines = lines[:len(lines)-1]
	}
	return []byte(strings.Join(lines, "\n") + "\n\n" + block + tail)
}

// shellQuote quotes s as one word for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// newPrecommitCmd builds `achilles precommit [FILE...]`, the entry of the
// pre-commit framework hook. Without files it scans the staged changes.
// With files (the framework passes those its filters select) it scans the
// staged changes of those files, and every given file that has nothing
// staged in full (as with `pre-commit run --all-files`), so it never passes
// without looking and never looks at what the framework's filters left out.
func newPrecommitCmd(io *IO) *cobra.Command {
	o := &scanOptions{IO: io}
	cmd := &cobra.Command{
		Use:   "precommit [FILE...]",
		Short: "Scan staged changes, and given files with nothing staged (for the pre-commit framework)",
		RunE: func(cmd *cobra.Command, args []string) error {
			o.NoProgress = true
			// Read while the rules are built.
			staged := scanner.ListStaged(cmd.Context(), ".")
			defer staged.Wait()
			return runScan(cmd.Context(), o, ".", func(ctx context.Context, opts scanner.Options) (*scanner.Result, error) {
				return scanPrecommit(ctx, opts, staged, args)
			})
		},
	}
	addScanFlags(cmd, o)
	return cmd
}

func scanPrecommit(ctx context.Context, opts scanner.Options, staged *scanner.StagedList, files []string) (*scanner.Result, error) {
	res, err := scanner.ScanStagedList(ctx, opts, ".", staged)
	if err != nil || len(files) == 0 {
		return res, err
	}
	paths, err := staged.Paths()
	if err != nil {
		return nil, err
	}
	isStaged := map[string]bool{}
	for _, p := range paths {
		isStaged[p] = true
	}
	given := map[string]bool{}
	var rest []string
	for _, f := range files {
		p := filepath.ToSlash(filepath.Clean(f))
		given[p] = true
		if !isStaged[p] {
			rest = append(rest, f)
		}
	}
	kept := res.Findings[:0]
	for _, f := range res.Findings {
		outer, _, _ := strings.Cut(f.Path, "!") // an archive's entries go with the archive
		if given[outer] {
			kept = append(kept, f)
		}
	}
	res.Findings = kept
	if len(rest) == 0 {
		return res, nil
	}
	more, err := scanner.ScanPaths(ctx, opts, rest)
	if err != nil {
		return nil, err
	}
	res.Findings = append(res.Findings, more.Findings...)
	res.Stats.Objects += more.Stats.Objects
	res.Stats.Bytes += more.Stats.Bytes
	res.Stats.What = fmt.Sprintf("staged changes and %d files", len(rest))
	return res, nil
}
