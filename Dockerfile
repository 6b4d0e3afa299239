# Build achilles from this checkout: `docker build -t achilles .` (or
# `docker buildx build --platform linux/amd64,linux/arm64 .`). The first
# stage compiles a static, pure-Go binary for the target platform; the image
# is the binary with git (the fast history backend) on a small base, run as
# an unprivileged user. Releases use Dockerfile.release, which copies the
# binary goreleaser built instead.
#
# git refuses a repository that another user owns (a folder mounted from
# the host usually is), and achilles then fails with exit 2 rather than
# pass on a scan that read nothing. No repository is marked safe here: a
# global `safe.directory = *` would switch that guard off for every
# repository the container ever meets. To scan one mounted repository,
# name it, and only it, for that run:
#
#   docker run --rm -v "$PWD:/repo" -e ACHILLES_SAFE_DIRECTORY=/repo IMAGE
#
# Running the container as the repository's owner
# (`--user "$(id -u):$(id -g)"`) needs neither.
FROM --platform=$BUILDPLATFORM golang:1.26-alpine AS build
ARG TARGETOS=linux
ARG TARGETARCH
ARG VERSION=dev
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -trimpath \
      -ldflags "-s -w -X github.com/achilles-sec/achilles/cmd/achilles/internal/cli.Version=$VERSION" \
      -o /out/achilles ./cmd/achilles

FROM alpine:3.20
RUN apk add --no-cache git ca-certificates && adduser -D -u 10001 achilles
COPY --from=build /out/achilles /usr/local/bin/achilles
USER achilles
WORKDIR /repo
ENTRYPOINT ["/usr/local/bin/achilles"]
CMD ["git", "."]
