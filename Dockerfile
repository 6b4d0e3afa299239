# The release image: the achilles binary goreleaser built, with git (the
# fast history backend) on a small base. Runs as an unprivileged user.
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
# achilles passes ACHILLES_SAFE_DIRECTORY to each git command it runs as
# `-c safe.directory=VALUE` (nothing else reads it). Running the container
# as the repository's owner (`--user "$(id -u):$(id -g)"`) needs neither.
FROM alpine:3.20
RUN apk add --no-cache git ca-certificates && adduser -D -u 10001 achilles
COPY achilles /usr/local/bin/achilles
USER achilles
WORKDIR /repo
ENTRYPOINT ["/usr/local/bin/achilles"]
CMD ["git", "."]
