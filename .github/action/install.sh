#!/usr/bin/env bash
# Installs achilles for the GitHub Action (action.yml runs it; the tests in
# cmd/achilles/internal/cli/action_test.go run it the same way).
#
# 1. The release binary of the action's own ref (or of the `version` input)
#    for RUNNER_OS/RUNNER_ARCH, downloaded from the GitHub release and
#    checked against the release's checksums.txt. A checksum that does not
#    match is refused: the step fails, nothing is installed.
# 2. Otherwise (a branch or commit ref, no release for this runner, no
#    network) the action's own source (ACTION_PATH) is built with the Go
#    already on the runner. Nothing global changes: PATH is not touched,
#    and the build ignores the caller's GOFLAGS, GOOS, GOARCH and go.work.
#
# Writes `path=<binary>` and `version=<version>` to $GITHUB_OUTPUT.
#
# Environment:
#   INPUT_VERSION      the `version` input: a release tag (v1.2.3 or 1.2.3),
#                      `latest`, or empty for the action's own ref
#   ACTION_REF         the action's ref (github.action_ref; GITHUB_ACTION_REF)
#   ACTION_PATH        the action's checkout (github.action_path)
#   ACTION_REPOSITORY  owner/name of the action (default achilles-sec/achilles)
#   ACHILLES_RELEASES_URL  where releases are (default
#                      https://github.com/$ACTION_REPOSITORY/releases): files
#                      are read from $URL/download/<tag>/<file>, or
#                      $URL/latest/download/<file>
#   ACHILLES_GIT_URL   git URL the action's tags are listed from, to find
#                      the release a moving tag (v1, v1.2) points at
set -euo pipefail

say() { printf 'achilles: %s\n' "$*" >&2; }
fail() { printf '::error title=achilles install::%s\n' "$*" >&2; exit 1; }

repo=${ACTION_REPOSITORY:-${GITHUB_ACTION_REPOSITORY:-}}
[ -n "$repo" ] || repo=achilles-sec/achilles
releases=${ACHILLES_RELEASES_URL:-https://github.com/$repo/releases}
releases=${releases%/}
giturl=${ACHILLES_GIT_URL:-https://github.com/$repo}
ref=${ACTION_REF:-${GITHUB_ACTION_REF:-}}
src=${ACTION_PATH:-${GITHUB_ACTION_PATH:-}}
want=${INPUT_VERSION:-}
tmp=$(mktemp -d "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/achilles-install.XXXXXX")

output() {
	if [ -n "${GITHUB_OUTPUT:-}" ]; then
		printf '%s=%s\n' "$1" "$2" >>"$GITHUB_OUTPUT"
	fi
}

semver='^v[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.+-]*)?$'

# github.action_ref can be empty in a composite action's steps; the runner
# checks an action out at .../_actions/<owner>/<name>/<ref>.
if [ -z "$ref" ] && [ -n "$src" ]; then
	case ${src##*[/\\]} in
	v[0-9]*) ref=${src##*[/\\]} ;;
	esac
fi

# tag_for_ref prints the full release tag (v1.2.3) a moving tag (v1, v1.2)
# points at, read from the action repository's tags with git ls-remote.
tag_for_ref() {
	local refs
	refs=$(GIT_TERMINAL_PROMPT=0 git ls-remote --tags "$giturl" 2>/dev/null) || return 1
	# name -> commit; an annotated tag's peeled line (^{}) names the commit.
	printf '%s\n' "$refs" | awk -v want="$1" '
		{ name = $2; sub(/^refs\/tags\//, "", name)
		  if (name ~ /\^\{\}$/) { sub(/\^\{\}$/, "", name); peeled[name] = $1 } else if (!(name in peeled)) { commit[name] = $1 } }
		END {
		  for (n in peeled) commit[n] = peeled[n]
		  if (!(want in commit)) exit
		  for (n in commit) if (n != want && commit[n] == commit[want]) print n
		}' | grep -E '^v[0-9]+\.[0-9]+\.[0-9]+$' | sed 's/^v//' | sort -t. -k1,1n -k2,2n -k3,3n | tail -n 1 | sed 's/^./v&/'
}

sha256() {
	if command -v sha256sum >/dev/null 2>&1; then
		sha256sum "$1" | awk '{print $1}'
	elif command -v shasum >/dev/null 2>&1; then
		shasum -a 256 "$1" | awk '{print $1}'
	else
		openssl dgst -sha256 -r "$1" | awk '{print $1}'
	fi
}

fetch() { # URL FILE
	curl -fsSL --retry 2 --connect-timeout 10 --max-time 120 --proto-redir '=https' -o "$2" "$1"
}

# The release tag to download, if any.
tag=
case $want in
latest) tag=latest ;;
"") if [[ $ref =~ $semver ]]; then
		tag=$ref
	elif [[ $ref =~ ^v[0-9]+(\.[0-9]+)?$ ]]; then
		tag=$(tag_for_ref "$ref" || true)
		[ -n "$tag" ] || say "no release found for moving tag $ref"
	fi ;;
v*) tag=$want ;;
*) tag=v$want ;;
esac

case ${RUNNER_OS:-} in
Linux) os=linux ;;
macOS) os=darwin ;;
Windows) os=windows ;;
*) os= ;;
esac
case ${RUNNER_ARCH:-} in
X64) arch=amd64 ;;
ARM64) arch=arm64 ;;
*) arch= ;;
esac
exe=achilles
[ "$os" = windows ] && exe=achilles.exe

download() {
	local base sums line name sum got
	if [ "$tag" = latest ]; then
		base=$releases/latest/download
	else
		base=$releases/download/$tag
	fi
	sums=$tmp/checksums.txt
	if ! fetch "$base/checksums.txt" "$sums" 2>"$tmp/curl.err"; then
		say "no release checksums at $base/checksums.txt ($(tr '\n' ' ' <"$tmp/curl.err"))"
		return 1
	fi
	# "<sha256>  achilles_<version>_<os>_<arch>.<tar.gz|zip>"
	line=$(grep -E "^[0-9a-f]{64}  achilles_[^ /]+_${os}_${arch}\.(tar\.gz|zip)\$" "$sums" | head -n 1 || true)
	if [ -z "$line" ]; then
		say "release $tag has no archive for ${os}_${arch}"
		return 1
	fi
	sum=${line%% *}
	name=${line##* }
	if ! fetch "$base/$name" "$tmp/$name" 2>"$tmp/curl.err"; then
		say "could not download $base/$name ($(tr '\n' ' ' <"$tmp/curl.err"))"
		return 1
	fi
	got=$(sha256 "$tmp/$name")
	if [ "$got" != "$sum" ]; then
		fail "refusing $name: its sha256 is $got, the release's checksums.txt says $sum"
	fi
	mkdir "$tmp/x"
	case $name in
	*.zip) (cd "$tmp/x" && { unzip -q "../$name" 2>/dev/null || tar -xf "../$name"; }) ;;
	*) tar -xzf "$tmp/$name" -C "$tmp/x" ;;
	esac
	[ -f "$tmp/x/$exe" ] || fail "$name holds no $exe"
	chmod +x "$tmp/x/$exe"
	bin=$tmp/x/$exe
	say "installed $name (sha256 $got, checked against $tag's checksums.txt)"
}

build() {
	local version commit gobin
	[ -n "$src" ] && [ -f "$src/go.mod" ] || fail "no release binary, and no action source to build (ACTION_PATH=$src)"
	gobin=$(command -v go || true)
	[ -n "$gobin" ] || fail "no release binary for ${ref:-this ref} on ${RUNNER_OS:-?}/${RUNNER_ARCH:-?}, and no Go to build it: pin the action to a release tag (achilles-sec/achilles@vX.Y.Z) or run actions/setup-go before it"
	version=${want:-$ref}
	commit=$(git -C "$src" rev-parse HEAD 2>/dev/null || true)
	if [ -z "$version" ]; then
		version=$(git -C "$src" describe --tags --always --dirty 2>/dev/null || echo dev)
	fi
	[ -n "$commit" ] || commit=$version
	say "building achilles $version from $src with $("$gobin" version)"
	# A build of the action's own source, isolated from the job's Go
	# settings; a newer Go than the runner's is fetched per go.mod
	# (GOTOOLCHAIN=auto) into the module cache, never onto PATH.
	(cd "$src" && env -u GOOS -u GOARCH -u GOARM -u GOAMD64 -u GOFLAGS -u GOEXPERIMENT \
		CGO_ENABLED=0 GOWORK=off GOTOOLCHAIN=auto GOFLAGS=-mod=readonly \
		"$gobin" build -trimpath -o "$tmp/$exe" \
		-ldflags "-s -w -X github.com/achilles-sec/achilles/cmd/achilles/internal/cli.Version=$version -X github.com/achilles-sec/achilles/cmd/achilles/internal/cli.Commit=$commit" \
		./cmd/achilles) >&2 || fail "go build of $src failed"
	bin=$tmp/$exe
}

bin=
if [ -n "$tag" ] && [ -n "$os" ] && [ -n "$arch" ]; then
	download || true
elif [ -n "$tag" ]; then
	say "no release binary for runner ${RUNNER_OS:-?}/${RUNNER_ARCH:-?}"
fi
[ -n "$bin" ] || build
"$bin" version >&2 || fail "$bin does not run"
output path "$bin"
output version "$("$bin" version 2>/dev/null | head -n 1)"
