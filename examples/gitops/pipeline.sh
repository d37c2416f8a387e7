#!/usr/bin/env bash
# The pipeline's steps, in one script: examples/gitops/pipeline.yml runs it, and tests/gitops/pipeline.spec.ts
# rehearses it against the lab, so what the test proves is what the pipeline runs.
#
#   pipeline.sh preview   pull request: `pulumi preview --json`, the reviewer's summary (summary.md), the policy pack,
#                         and a gate on blocked servers; nothing changes on a host
#   pipeline.sh up        after merge: `pulumi up`, then a second up that must change nothing
#
# Environment: STACK (required); POLICY_PACK, the policy pack directory (default: the one shipped in the package,
# node_modules/vdi-upgrade/policy); POLICY_PACK_CONFIG, its config file (optional); OUT_DIR, where preview.json and
# summary.md go (default: the current directory). Run it where the program's Pulumi.yaml is.
set -euo pipefail
stage="${1:-}"
: "${STACK:?set STACK to the stack to run}"
out="${OUT_DIR:-.}"
policy="${POLICY_PACK:-node_modules/vdi-upgrade/policy}"

case "$stage" in
  preview)
    status=0
    # A preview that fails (a server an operator must fix) still leaves JSON behind: summarize it either way.
    pulumi preview --json --non-interactive --stack "$STACK" > "$out/preview.json" || status=$?
    npx --no-install vdi-upgrade summary --title "vdi-upgrade preview of $STACK" "$out/preview.json" > "$out/summary.md"
    [ "$status" -eq 0 ] || { echo "pulumi preview failed (exit $status): see $out/summary.md" >&2; exit "$status"; }
    config=()
    [ -n "${POLICY_PACK_CONFIG:-}" ] && config=(--policy-pack-config "$POLICY_PACK_CONFIG")
    pulumi preview --non-interactive --stack "$STACK" --policy-pack "$policy" "${config[@]}"
    npx --no-install vdi-upgrade summary --fail-on-blocked "$out/preview.json" > /dev/null
    ;;
  up)
    pulumi up --yes --non-interactive --skip-preview --stack "$STACK"
    # The second up is the proof: a converged estate has nothing left to do.
    pulumi up --yes --non-interactive --expect-no-changes --stack "$STACK"
    ;;
  *)
    echo "usage: pipeline.sh preview|up   (STACK=<stack> [POLICY_PACK=<dir>] [POLICY_PACK_CONFIG=<file>] [OUT_DIR=<dir>])" >&2
    exit 2
    ;;
esac
