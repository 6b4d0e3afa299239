// Command achilles finds leaked secrets in git history, folders and streams,
// and tells which of them still work.
package main

import (
	"os"

	"github.com/achilles-sec/achilles/cmd/achilles/internal/cli"
)

func main() {
	os.Exit(cli.Run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
