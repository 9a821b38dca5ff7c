#!/usr/bin/env bash
# A pause sent from the dashboard reaches a trial that trains under Slurm:
# submit a one-trial sweep to the Slurm cluster, open a dashboard on the
# same runs folder (training its own run), pick the trial in the runs view
# (3, / t000, w), press space, and see the trial pause in its own log (who sent
# it included) and on the screen; space again resumes it.
# Usage: scripts/tmux-sweep.sh [path/to/maskdash]   (needs tmux and a Slurm cluster: scripts/slurm-local.sh start)
set -euo pipefail
command -v tmux >/dev/null || { echo "tmux is not installed"; exit 2; }
command -v sbatch >/dev/null || { echo "no Slurm (scripts/slurm-local.sh start)"; exit 2; }
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
sock="maskdash-sweep-$$"
bin=${1:-}
if [ -z "$bin" ]; then
  bin="$work/maskdash"
  (cd "$here" && go build -o "$bin" .)
fi
cleanup() {
  tmux -L "$sock" kill-server 2>/dev/null || true
  sw=$(ls -d "$work/runs"/sweep-* 2>/dev/null | head -1)
  [ -n "$sw" ] && "$bin" sweep cancel "$sw" --runs "$work/runs" >/dev/null 2>&1 || true
  sleep 1
  rm -rf "$work"
}
trap cleanup EXIT
"$bin" synth --out "$work/data" --profiles 40 --size 96x128 --eval 10 >/dev/null
t() { tmux -L "$sock" "$@"; }
screen() { t capture-pane -p -t sw; }
fail() { echo "FAIL: $*"; echo "--- screen:"; screen || true; exit 1; }
waitfor() { # waitfor TEXT [seconds]
  for _ in $(seq 1 $(( ${2:-20} * 10 ))); do screen | grep -qF -- "$1" && return 0; sleep 0.1; done
  fail "did not see '$1'"
}
"$bin" sweep --runs "$work/runs" --backend slurm --grid 'lr=0.001' --data "$work/data" --img 32x32 --epochs 5000 >/dev/null
sw=$(ls -d "$work/runs"/sweep-*)
for _ in $(seq 1 300); do [ -f "$sw/t000/run.json" ] && break; sleep 0.1; done
[ -f "$sw/t000/run.json" ] || { echo "FAIL: the trial never started under Slurm"; squeue; exit 1; }
t new-session -d -s sw -x 120 -y 36 "cd '$work' && TERM=xterm-256color '$bin' train --data '$work/data' --runs '$work/runs' --img 32x32 --epochs 5000; echo EXITED \$?; sleep 60"
waitfor "epoch" 60
t send-keys -t sw "3"; waitfor "/t000"
t send-keys -t sw "/" "t000" Enter; sleep 0.3   # the table shows the trial alone
t send-keys -t sw "w"; waitfor "from its folder" 20
waitfor "t000"
t send-keys -t sw " "; waitfor "paused" 20
grep -q '"setting":"state","value":"paused"' "$sw/t000/metrics.jsonl" || fail "the trial's log has no pause"
grep '"value":"paused"' "$sw/t000/metrics.jsonl" | grep -q "\"who\":\"$(id -un)@$(hostname)\"" || fail "the pause does not say who sent it"
t send-keys -t sw " "; waitfor "● running" 20
grep -q '"setting":"state","value":"running"' "$sw/t000/metrics.jsonl" || fail "the trial's log has no resume"
t send-keys -t sw "q"; waitfor "EXITED 0" 60
echo "tmux sweep test passed: the dashboard paused and resumed trial t000 under Slurm"
