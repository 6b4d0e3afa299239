# The release image: the achilles binary goreleaser built, with git (the
# fast history backend) on a small base. Runs as an unprivileged user.
FROM alpine:3.20
RUN apk add --no-cache git ca-certificates && adduser -D -u 10001 achilles \
 && printf '[safe]\n\tdirectory = *\n' > /home/achilles/.gitconfig \
 && chown achilles /home/achilles/.gitconfig
# A repository mounted from the host belongs to another user; git refuses
# such a repository unless it is marked safe (the .gitconfig above).
COPY achilles /usr/local/bin/achilles
USER achilles
WORKDIR /repo
ENTRYPOINT ["/usr/local/bin/achilles"]
CMD ["git", "."]
