# Shared by the measurement scripts (lr-check.sh, offsets-check.sh,
# tricks-check.sh), which source it: a temporary folder $work, removed on
# exit, and the binary $bin: $MASKDASH, or one go builds from this
# checkout into $work.
# shellcheck shell=bash
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bin=${MASKDASH:-}
if [ -z "$bin" ]; then
	bin=$work/maskdash
	go build -o "$bin" "$(dirname "${BASH_SOURCE[0]}")/.."
fi
