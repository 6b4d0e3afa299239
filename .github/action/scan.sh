#!/usr/bin/env bash
# Runs achilles for the GitHub Action (action.yml runs it; the tests in
# cmd/achilles/internal/cli/action_test.go run it the same way) in the
# checkout (the working directory):
#
# - picks the commits the event brought: a pull request's base..HEAD, a
#   push's before..after; a force push or a new branch (before missing from
#   the clone even after fetching it, or all zeros) scans the pushed commits
#   that are on no other remote branch; failing that, HEAD's last commit,
#   with a notice. Other events scan the full history. Extra args keep this
#   range, unless they choose one (--range, --since, --ci, --staged,
#   --pre-push).
# - scans once, writing SARIF ($INPUT_SARIF, or a temporary file), and from
#   it prints the findings in the log (redacted, as the SARIF is), writes
#   `::error` annotations and a Markdown job summary ($GITHUB_STEP_SUMMARY).
# - exits with achilles' status (1 when findings fail the job, per
#   --fail-on; 2 only for a usage error in the args).
#
# Environment:
#   ACHILLES        the binary (default: achilles on PATH)
#   INPUT_ARGS      extra `achilles git` flags: split on spaces, tabs and
#                   newlines, with no quotes, globs or variables (a value
#                   cannot hold a space)
#   INPUT_SARIF     SARIF path to write (empty: none kept)
#   INPUT_FAIL_ON   any | live
#   GITHUB_EVENT_NAME, GITHUB_EVENT_PATH, GITHUB_BASE_REF, GITHUB_REF,
#   GITHUB_SHA, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY: as the runner sets them
set -u

achilles=${ACHILLES:-achilles}
event=${GITHUB_EVENT_NAME:-}
event_path=${GITHUB_EVENT_PATH:-}
fail_on=${INPUT_FAIL_ON:-any}
zero=0000000000000000000000000000000000000000

# Workflow commands: data escapes %, CR and LF; properties also : and ,.
esc_data() {
	local s=$1
	s=${s//%/%25}
	s=${s//$'\r'/%0D}
	s=${s//$'\n'/%0A}
	printf '%s' "$s"
}
esc_prop() {
	local s
	s=$(esc_data "$1")
	s=${s//:/%3A}
	s=${s//,/%2C}
	printf '%s' "$s"
}
md_cell() { # a Markdown table cell: |, `, <, > and & written as entities
	local s=$1
	s=${s//&/'&amp;'}
	s=${s//|/'&#124;'}
	s=${s//\`/'&#96;'}
	s=${s//</'&lt;'}
	s=${s//>/'&gt;'}
	printf '%s' "$s"
}
notice() { printf '::notice title=achilles::%s\n' "$(esc_data "$*")"; }
warning() { printf '::warning title=achilles::%s\n' "$(esc_data "$*")"; }
output() { [ -z "${GITHUB_OUTPUT:-}" ] || printf '%s=%s\n' "$1" "$2" >>"$GITHUB_OUTPUT"; }

have_jq=false
command -v jq >/dev/null 2>&1 && have_jq=true

event_field() {
	[ -n "$event_path" ] && [ -f "$event_path" ] && $have_jq || return 0
	jq -r "($1) // empty" "$event_path" 2>/dev/null
}
have_commit() { [ -n "$1" ] && git cat-file -e "$1^{commit}" 2>/dev/null; }
is_sha() { [[ $1 =~ ^[0-9a-f]{40}$ || $1 =~ ^[0-9a-f]{64}$ ]]; }
fetch_commit() { # SHA: fetch it from origin unless the clone has it
	have_commit "$1" && return 0
	git fetch --no-tags --quiet origin "$1" >/dev/null 2>&1
	have_commit "$1"
}

# The extra args, one word per space/tab/newline-separated token.
extra=()
own_scope=false
while IFS= read -r line || [ -n "$line" ]; do
	words=()
	read -ra words <<<"$line"
	for w in ${words[@]+"${words[@]}"}; do
		extra+=("$w")
		case $w in
		--range | --range=* | --since | --since=* | --ci | --ci=* | --staged | --staged=* | --pre-push | --pre-push=*) own_scope=true ;;
		-f | -f* | --format | --format=* | -o | -o* | --output | --output=*)
			warning "args: $w is replaced by the action's own SARIF output (use the sarif input)" ;;
		esac
	done
done <<<"${INPUT_ARGS:-}"

# A shallow checkout makes its oldest commit look as if it added every
# file; a range needs the history behind it.
if [ "$(git rev-parse --is-shallow-repository 2>/dev/null)" = true ]; then
	git fetch --no-tags --quiet --unshallow origin >/dev/null 2>&1 ||
		warning "could not unshallow the checkout; use actions/checkout with fetch-depth: 0"
fi

subcommand=git # or dir, for a root commit alone
scope=()      # range flags for achilles
prepush=""    # pre-push lines on stdin, with --pre-push
what=""       # what was scanned, for people

last_commit() { # REASON
	local head parent
	head=$(git rev-parse HEAD)
	if parent=$(git rev-parse -q --verify "HEAD^1^{commit}" 2>/dev/null); then
		scope=(--range "$parent..$head")
		what="HEAD's last commit ${head:0:12}"
	else
		# A root commit added its whole tree: scan that, not the history
		# of every ref.
		subcommand=dir
		scope=()
		what="the only commit ${head:0:12} (its files)"
	fi
	notice "$1; scanning $what only"
}

# pushed_commits AFTER REASON: the commits of AFTER on no remote branch but
# the one pushed (the clone's own remote-tracking branch already holds
# them), given to achilles as pre-push lines AFTER..B for each boundary B.
pushed_commits() {
	local after=$1 reason=$2 branch="" name sym n bounds b
	case ${GITHUB_REF:-} in refs/heads/*) branch=${GITHUB_REF#refs/heads/} ;; esac
	local not=()
	while read -r name sym; do
		[ -n "$sym" ] && continue
		[ -n "$branch" ] && [ "$name" = "refs/remotes/origin/$branch" ] && continue
		not+=("$name")
	done < <(git for-each-ref --format='%(refname) %(symref)' refs/remotes)
	n=$(git rev-list --count "$after" --not ${not[@]+"${not[@]}"} --)
	if [ "$n" = 0 ]; then
		last_commit "$reason, and every commit of ${after:0:12} is on another branch"
		return
	fi
	bounds=$(git rev-list --boundary "$after" --not ${not[@]+"${not[@]}"} -- | sed -n 's/^-//p')
	if [ -z "$bounds" ]; then
		scope=()
		what="the full history ($n new commits, sharing none with other branches)"
		notice "$reason; scanning $what"
		return
	fi
	for b in $bounds; do
		prepush+="refs/heads/pushed $after refs/heads/pushed $b"$'\n'
	done
	scope=(--pre-push)
	what="the $n pushed commits of ${after:0:12} that are on no other branch"
	notice "$reason; scanning $what"
}

if $own_scope; then
	what="the range the args give"
else
	case $event in
	pull_request | pull_request_target | pull_request_review | pull_request_review_comment | merge_group)
		base=$(event_field '.pull_request.base.sha // .merge_group.base_sha')
		if is_sha "$base" && ! fetch_commit "$base"; then
			warning "base commit $base is not in the clone and could not be fetched"
			base=""
		fi
		if ! is_sha "$base" && [ -n "${GITHUB_BASE_REF:-}" ]; then
			git fetch --no-tags --quiet origin "+refs/heads/$GITHUB_BASE_REF:refs/remotes/origin/$GITHUB_BASE_REF" >/dev/null 2>&1
			base=$(git rev-parse -q --verify "refs/remotes/origin/$GITHUB_BASE_REF^{commit}" 2>/dev/null)
		fi
		if is_sha "$base"; then
			scope=(--range "$base..HEAD")
			what="what HEAD adds to the base ${base:0:12}${GITHUB_BASE_REF:+ ($GITHUB_BASE_REF)}"
		else
			last_commit "no base commit for the pull request"
		fi
		;;
	push)
		before=$(event_field .before)
		after=$(event_field .after)
		is_sha "$after" && have_commit "$after" || after=${GITHUB_SHA:-}
		is_sha "$after" && have_commit "$after" || after=$(git rev-parse HEAD)
		if ! is_sha "$before" || [ "$before" = "$zero" ] || [ "$before" = "${zero}000000000000000000000000" ]; then
			pushed_commits "$after" "a new branch or tag"
		elif fetch_commit "$before"; then
			scope=(--range "$before..$after")
			what="the push ${before:0:12}..${after:0:12}"
		else
			pushed_commits "$after" "the push's previous tip ${before:0:12} is not in the clone (a force push?)"
		fi
		;;
	*)
		what="the full history (event ${event:-unknown})"
		;;
	esac
fi

sarif=${INPUT_SARIF:-}
keep=true
if [ -z "$sarif" ]; then
	keep=false
	sarif=$(mktemp "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/achilles.XXXXXX")
fi
# An earlier run's report must not pass for this one's.
: >"$sarif" || exit 2

cmd=("$achilles" "$subcommand" . ${extra[@]+"${extra[@]}"} ${scope[@]+"${scope[@]}"} --no-progress --fail-on "$fail_on" -f sarif -o "$sarif")
printf 'achilles: scanning %s\n' "$what"
printf 'achilles: running:'
printf ' %q' "${cmd[@]}"
printf '\n'
if [ -n "$prepush" ]; then
	printf '%s' "$prepush" | "${cmd[@]}"
else
	"${cmd[@]}" </dev/null
fi
rc=$?
output exit-code "$rc"
$keep && output sarif "$sarif"

if [ ! -s "$sarif" ]; then
	printf '::error title=achilles::%s\n' "$(esc_data "achilles exited $rc without a report (see the lines above)")"
	[ -z "${GITHUB_STEP_SUMMARY:-}" ] || printf '### achilles: no report (exit status %s)\n\nScanning %s failed; see the job log.\n' "$rc" "$(md_cell "$what")" >>"$GITHUB_STEP_SUMMARY"
	exit "$rc"
fi

if ! $have_jq; then
	warning "jq is not installed: the findings are only in $sarif; the log shows achilles' text report of a second scan"
	"${cmd[@]:0:$((${#cmd[@]} - 4))}" --redact </dev/null <<<"$prepush"
	exit "$rc"
fi

# One record per result, fields separated by US (0x1f), control characters
# in any field made '?': level, uri, line, column, rule, message,
# confidence, commit, verification status.
records=$(jq -r '
	def clean: tostring | gsub("[\u0000-\u001f\u007f]"; "?");
	.runs[]?.results[]? |
	[ (.level // "error"),
	  (.locations[0].physicalLocation.artifactLocation.uri // ""),
	  (.locations[0].physicalLocation.region.startLine // ""),
	  (.locations[0].physicalLocation.region.startColumn // ""),
	  (.ruleId // ""),
	  (.message.text // ""),
	  (.properties.confidence // ""),
	  (.properties.commit // ""),
	  (.properties.verification.status // "")
	] | map(clean) | join("\u001f")' "$sarif") || {
	warning "could not read $sarif"
	exit "$rc"
}

# A SARIF uri back to the path: "./" dropped, %XX decoded, controls '?'.
uri_path() {
	local s=${1#./}
	s=${s//\\/\\\\}
	s=$(printf '%b' "${s//%/\\x}" | LC_ALL=C tr '\000-\037\177' '?')
	printf '%s' "$s"
}

count=0
[ -n "$records" ] && count=$(printf '%s\n' "$records" | wc -l | tr -d ' ')
output findings "$count"
plural=s
[ "$count" = 1 ] && plural=

summary=${GITHUB_STEP_SUMMARY:-/dev/null}
{
	printf '### achilles: %s finding%s\n\n' "$count" "$plural"
	printf 'Scanned %s.\n\n' "$(md_cell "$what")"
} >>"$summary"

if [ "$count" = 0 ]; then
	printf 'achilles: no findings in %s\n' "$what"
	exit "$rc"
fi

# The findings in the log, with workflow commands off around them so no
# path or message can be read as one.
token=achilles-$RANDOM$RANDOM$RANDOM
printf 'achilles: %s finding%s in %s (secrets redacted):\n' "$count" "$plural" "$what"
printf '::stop-commands::%s\n' "$token"
annotations=""
rows=0
{
	printf '| Rule | Location | Commit | Confidence | Verified | Finding |\n'
	printf '| --- | --- | --- | --- | --- | --- |\n'
} >>"$summary"
while IFS=$'\x1f' read -r level uri line col rule msg conf commit verified; do
	path=$(uri_path "$uri")
	loc=$path${line:+:$line}${col:+:$col}
	printf '  %s  %s  %s%s  %s\n' "$loc" "$rule" "${conf:-?}" "${verified:+ ($verified)}" "$msg"
	case $level in
	error) kind=error ;;
	warning) kind=warning ;;
	*) kind=notice ;;
	esac
	props="file=$(esc_prop "$path")"
	[ -n "$line" ] && props+=",line=$(esc_prop "$line")"
	[ -n "$col" ] && props+=",col=$(esc_prop "$col")"
	props+=",title=$(esc_prop "achilles: $rule")"
	annotations+="::$kind $props::$(esc_data "$msg")"$'\n'
	rows=$((rows + 1))
	if [ "$rows" -le 200 ]; then
		printf '| `%s` | %s | %s | %s | %s | %s |\n' "$(md_cell "$rule")" "$(md_cell "$loc")" "${commit:0:12}" \
			"$(md_cell "$conf")" "$(md_cell "${verified:-not checked}")" "$(md_cell "$msg")" >>"$summary"
	fi
done <<<"$records"
printf '::%s::\n' "$token"
[ "$rows" -gt 200 ] && printf '\n… and %s more: see the SARIF report.\n' "$((rows - 200))" >>"$summary"
printf '\n' >>"$summary"
printf '%s' "$annotations"
exit "$rc"
