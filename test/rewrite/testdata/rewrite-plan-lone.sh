#!/usr/bin/env bash
# shellcheck disable=SC2016
# Removes 1 secret found without a key id from the history of a fresh mirror clone of
# https://github.com/acme/shop.git
# Written by `keyleak rewrite-plan --format sh`. It pushes nothing.
#
# usage: bash plan.sh TARGET_DIR [SOURCE]
#
# No secret is written in this file: the script reads each one back from the commit it leaked in,
# into a temporary file only you can read, deleted when the script ends.

DEFAULT_SOURCE='https://github.com/acme/shop.git'
replacement='***REMOVED***'

set -euo pipefail
export LC_ALL=C

usage() {
  printf 'usage: bash %s TARGET_DIR [SOURCE]\n' "$0" >&2
  printf '  TARGET_DIR  a new directory for the mirror clone that is rewritten\n' >&2
  printf '  SOURCE      the repository to clone (default: %s)\n' "$DEFAULT_SOURCE" >&2
}

die() {
  printf 'keyleak: %s\n' "$*" >&2
  exit 1
}

warn() {
  printf 'keyleak: warning: %s\n' "$*" >&2
}

if [ "$#" -lt 1 ] || [ "$#" -gt 2 ]; then
  usage
  exit 2
fi
target=$1
source=${2:-$DEFAULT_SOURCE}
[ ! -e "$target" ] || die "'$target' already exists: give a new directory for the mirror clone"

if ! git filter-repo --version >/dev/null 2>&1; then
  cat >&2 <<'EOF'
keyleak: git-filter-repo is not installed. Install it, then run this script again:
  python3 -m pip install --user git-filter-repo    (or: pipx install git-filter-repo)
  brew install git-filter-repo                     (macOS)
  sudo apt-get install git-filter-repo             (Debian, Ubuntu)
  or save https://raw.githubusercontent.com/newren/git-filter-repo/main/git-filter-repo
  as an executable file named git-filter-repo on your PATH.
EOF
  exit 3
fi

umask 077
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
expressions="$work/expressions"
: >"$expressions"
chmod 600 "$expressions"

printf 'Cloning %s into %s (mirror, all refs)\n' "$source" "$target"
git clone --quiet --mirror --no-local -- "$source" "$target"
cd "$target"

# read_span OBJECT PATH LINE START END: bytes START to END of one line of OBJECT:PATH, or of the
# message of OBJECT (a commit, or an annotated tag) when PATH is empty.
read_span() {
  if [ -z "$2" ]; then
    git cat-file "$(git cat-file -t "$1")" "$1" | sed '1,/^$/d'
  else
    git cat-file blob "$1:$2"
  fi | sed -n "$3p" | cut -b "$4-$5"
}

slash=/
escaped_slash='\/'

# add_forms N VALUE: the value as found, decoded, and in the encodings it travels in (JSON, URL),
# each replaced wherever it appears and each looked for by the verification.
add_forms() {
  local n=$1 value=$2 canon json url form
  canon=$value
  canon=${canon//%2[Bb]/+}
  canon=${canon//%2[Ff]/$slash}
  canon=${canon//%3[Dd]/=}
  canon=${canon//\\u002[Bb]/+}
  canon=${canon//\\u002[Ff]/$slash}
  canon=${canon//\\u003[Dd]/=}
  canon=${canon//"$escaped_slash"/$slash}
  json=${canon//"$slash"/$escaped_slash}
  url=${canon//+/%2B}
  url=${url//"$slash"/%2F}
  url=${url//=/%3D}
  for form in "$value" "$canon" "$json" "$url"; do
    printf '%s\n' "$form" >>"$work/patterns.$n"
  done
}

# add_key N KEY_ID: a key id is public (it names the key in the incident) and is replaced too.
add_key() {
  printf '%s\n' "$2" >>"$work/patterns.$1"
}

# add_span N KIND KEY_ID COMMIT PATH LINE START END: reads one secret back from where it leaked.
add_span() {
  local value want
  if ! git cat-file -e "$4^{commit}" 2>/dev/null; then
    warn "commit $4 is not in $source: the $2 of $3 is not read from it"
    return 0
  fi
  value=$(read_span "$4" "$5" "$6" "$7" "$8") || value=''
  want=$(($8 - $7 + 1))
  if [ "${#value}" -ne "$want" ]; then
    warn "line $6 of $4:$5 does not hold the $2 of $3 where the scan saw it; skipped"
    return 0
  fi
  add_forms "$1" "$value"
  : >"$work/$2.$1"
}

# need N KIND KEY_ID: fails when no copy of a secret the scan paired with the key could be read.
need() {
  [ -e "$work/$2.$1" ] ||
    die "could not read the $2 of $3 from any commit it leaked in: is $source the repository that was scanned?"
}

key_ids=('the secret <LONE_REDACTED> (key id unknown)')
hints=('')

# the secret <LONE_REDACTED> (key id unknown)
add_span 0 secret 'the key whose id is unknown (<LONE_REDACTED>)' 1111111111111111111111111111111111111111 'ci/deploy.yml' 3 26 65
add_span 0 secret 'the key whose id is unknown (<LONE_REDACTED>)' 2222222222222222222222222222222222222222 'config/aws.ini' 1 25 64
need 0 secret 'the key whose id is unknown (<LONE_REDACTED>)'

# --prune-empty/--prune-degenerate never: every branch and tag keeps its number of commits.
# --replace-refs delete-no-add: no refs/replace/* pointing from old commits would be pushed.
args=(--replace-text "$expressions" --replace-message "$expressions"
  --prune-empty never --prune-degenerate never --replace-refs delete-no-add)

# Longest first, so that no expression rewrites part of a longer one before it is matched.
for patterns in "$work"/patterns.*; do
  cat "$patterns"
done | sort -u | awk '{ print length($0) "\t" $0 }' | sort -rn | cut -f2- >"$work/all-patterns"
while IFS= read -r form; do
  printf '%s==>%s\n' "$form" "$replacement"
done <"$work/all-patterns" >"$expressions"

shape() {
  git for-each-ref --format='%(refname)' | while IFS= read -r ref; do
    printf '%s %s\n' "$ref" "$(git rev-list --count "$ref" 2>/dev/null || echo -)"
  done
}
shape >"$work/shape.before"
git rev-list --all --parents >"$work/parents"

if git filter-repo -h 2>/dev/null | grep -e '--sensitive-data-removal' >/dev/null; then
  args+=(--sensitive-data-removal)
fi
printf 'Running git filter-repo %s\n' "$(git filter-repo --version)"
git filter-repo "${args[@]}"

# Verification: every object reachable from any ref, read in full (blobs, trees, commits, tags).
status=0
git rev-list --objects --all --no-object-names >"$work/objects"
hits=$(git cat-file --batch <"$work/objects" | grep -a -c -F -f "$work/all-patterns" || true)
if [ "$hits" != 0 ]; then
  for n in "${!key_ids[@]}"; do
    hits=$(git cat-file --batch <"$work/objects" | grep -a -c -F -f "$work/patterns.$n" || true)
    if [ "$hits" != 0 ]; then
      printf 'FAILED: %s is still in %s line(s) reachable from a ref%s\n' "${key_ids[$n]}" "$hits" "${hints[$n]}" >&2
    fi
  done
  status=1
fi
shape >"$work/shape.after"
if ! diff "$work/shape.before" "$work/shape.after" >"$work/shape.diff"; then
  printf 'FAILED: branches or tags changed shape (ref, commits before/after):\n' >&2
  cat "$work/shape.diff" >&2
  status=1
fi
[ "$status" = 0 ] || die "verification failed: do not push $target"

# The first changed commits: rewritten commits whose parents were all left as they were.
awk 'NR == FNR { if (FNR > 1 && $1 != $2) changed[$1] = $2; next }
  ($1 in changed) { for (i = 2; i <= NF; i++) if ($i in changed) next; print $1, changed[$1] }' \
  filter-repo/commit-map "$work/parents" >"$work/first-changed"
printf '\nVerified: no object reachable from any ref holds the key id(s) or secret(s); %s ref(s) kept with the same number of commits.\n' \
  "$(wc -l <"$work/shape.after" | tr -d ' ')"
printf '\nFirst changed commits (%s), old -> new:\n' "$(wc -l <"$work/first-changed" | tr -d ' ')"
head -n 20 "$work/first-changed" | while read -r old new; do
  printf '  %s -> %s\n' "$old" "$new"
  git grep -l -I -F -e "$replacement" "$new" -- | cut -d: -f2- | head -n 10 | sed 's/^/      replaced in /' || true
  if git cat-file commit "$new" | sed '1,/^$/d' | grep -F -e "$replacement" >/dev/null; then
    printf '      replaced in the commit message\n'
  fi
done

printf '\nNothing was pushed. Review the rewritten history in %s, then push it back:\n' "$target"
printf '  git -C %s push --force --mirror %s\n' "$target" "$source"
printf 'GitHub rejects updates of refs/pull/*: that is expected; ask GitHub Support to remove them.\n'
