package cli

import (
	"context"

	"github.com/achilles-sec/achilles/scanner"
	"github.com/achilles-sec/achilles/scanner/image"
	"github.com/spf13/cobra"
)

// imageOptions are the flags of `achilles image`.
type imageOptions struct {
	scanOptions
	Refs             []string
	InsecureRegistry bool
}

// newImageCmd builds `achilles image`.
func newImageCmd(io *IO, runF func(*imageOptions) error) *cobra.Command {
	o := &imageOptions{scanOptions: scanOptions{IO: io}}
	cmd := &cobra.Command{
		Use:   "image REF|FILE...",
		Short: "Scan container images: every layer's files and the configuration (env, labels, history)",
		Long: `Scan OCI and Docker container images for secrets.

Each argument is a 'docker save' tarball (a file), an OCI image layout (a
folder), or an image reference in a registry (ghcr.io/org/app:1.2,
alpine@sha256:...); a path that exists is read as a file or a folder. A
multi-platform image is scanned for every platform it holds.

What is scanned: every regular file of every layer, including files a later
layer deletes (reported with "removed": the running image does not have them,
but anyone who pulls the image does), and the image configuration as one text
at the path ` + image.ConfigPath + `: environment variables and labels as KEY=value
lines, the entrypoint and command, and each history entry's created_by (build
arguments and ENV values land there). A finding's location is the image, the
layer's diff ID (the digest of its uncompressed tar, as 'docker inspect' lists
it under RootFS.Layers) and the history command that made the layer. A layer
shared by several images is read once and reported for each image.

Credentials for a registry come from the usual chain: Docker's config.json
($DOCKER_CONFIG or ~/.docker), its credsStore and credHelpers (docker-credential-*
helpers) and the registries' own helpers; they are sent only to the registry
they are for. Registries are reached over https; plain http is used only for
loopback registries (localhost, 127.0.0.1) or with --insecure-registry.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Refs = args
			if runF != nil {
				return runF(o)
			}
			return runImage(cmd.Context(), o)
		},
	}
	addScanFlags(cmd, &o.scanOptions)
	cmd.Flags().BoolVar(&o.InsecureRegistry, "insecure-registry", false, "allow plain http (no TLS) to any registry, not only loopback ones")
	return cmd
}

func runImage(ctx context.Context, o *imageOptions) error {
	hugeHeap()
	return runScan(ctx, &o.scanOptions, "", func(ctx context.Context, opts scanner.Options) (*scanner.Result, error) {
		return image.Scan(ctx, opts, o.Refs, image.Options{Insecure: o.InsecureRegistry})
	})
}
