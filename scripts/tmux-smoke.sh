#!/usr/bin/env bash
# Drives the real maskdash binary in tmux as a person would: start the
# dashboard, pause, resume, double the learning rate, checkpoint, predict,
# start a new run with another loss, quit; then checks the screen and the
# run folder. Usage: scripts/tmux-smoke.sh [path/to/maskdash]
set -euo pipefail
command -v tmux >/dev/null || { echo "tmux is not installed"; exit 2; }
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
sock="maskdash-smoke-$$"
trap 'tmux -L "$sock" kill-server 2>/dev/null || true; rm -rf "$work"' EXIT
bin=${1:-}
if [ -z "$bin" ]; then
  bin="$work/maskdash"
  (cd "$here" && go build -o "$bin" .)
fi
"$bin" synth --out "$work/data" --profiles 40 --size 96x128 --eval 30 >/dev/null
t() { tmux -L "$sock" "$@"; }
screen() { t capture-pane -p -t smoke; }
fail() { echo "FAIL: $*"; echo "--- screen:"; screen || true; exit 1; }
# next WIDTH HEIGHT CMD: replaces the session "smoke" with a new one
# running CMD. The new session starts before the old one is killed: a
# server left with no session exits, and a client that reaches it while
# it exits fails with "server exited unexpectedly" (seen once in CI).
next() {
  t new-session -d -s smoke-next -x "$1" -y "$2" "$3"
  t kill-session -t smoke
  t rename-session -t smoke-next smoke
}
waitfor() { # waitfor TEXT [seconds] (60 by default: a -race build on a loaded machine can take 20)
  for _ in $(seq 1 $(( ${2:-60} * 10 ))); do screen | grep -qF -- "$1" && return 0; sleep 0.1; done
  fail "did not see '$1'"
}
t new-session -d -s smoke -x 110 -y 32 "cd '$work' && TERM=xterm-256color '$bin' train --data '$work/data' --runs '$work/runs' --img 32x32 --epochs 5000; echo EXITED \$?; sleep 60"
waitfor "val acc" 60  # an epoch has ended (its line may have scrolled past already)
# The steering keys while paused: the small set trains so fast that the
# events panel would scroll their answers away between two looks.
t send-keys -t smoke " "; waitfor "paused"
# A "+" right after the pause twice never reached the dashboard on a loaded
# machine (tenth and thirty-second sessions: the status line still said
# "pause/resume: sent" 60 s later; the key is lost between tmux and Bubble
# Tea's input reader, not in this program). It is sent again only when
# the dashboard shows it never saw it, so it cannot apply twice.
t send-keys -t smoke "+"
for _ in $(seq 1 200); do screen | grep -qF -e "set the learning rate to 0.002" -e "lr ×2: sent" && break; sleep 0.1; done
if ! screen | grep -qF -e "set the learning rate to 0.002" -e "lr ×2: sent"; then
  echo "note: '+' did not reach the dashboard in 20 s; sent again"
  t send-keys -t smoke "+"
fi
waitfor "set the learning rate to 0.002"
t send-keys -t smoke "c"; waitfor "local: checkpoint"
waitfor "checkpoint saved:"
t send-keys -t smoke "x"; waitfor "prediction written to" 30
t send-keys -t smoke " "; waitfor "● running"
t send-keys -t smoke "2"; waitfor "rows: truth, columns: prediction"
# The layers view: the parameters' norms of the run's first step.
t send-keys -t smoke "5"; waitfor "conv1.weight"
t send-keys -t smoke "j"; waitfor "▸ conv1.bias"
# The runs table: sort, filter; the palette; the step charts' cursor and
# the mouse wheel's zoom.
t send-keys -t smoke "3"; waitfor "sorted by run"
t send-keys -t smoke "o"; waitfor "sorted by model"
t send-keys -t smoke "/" "cnn" Enter; waitfor "/cnn"
t send-keys -t smoke Escape; sleep 0.3
t send-keys -t smoke "1"
t send-keys -t smoke "n"; waitfor "new run — loss lr"
t send-keys -t smoke C-u "focal 0.0005" Enter
waitfor "-focal ← " 60   # the child run shows its parent
t send-keys -t smoke "q"; waitfor "EXITED 0" 60
# The run folders (the runs folder holds submissions.json too).
rundirs() { for d in "$1"/*/; do [ -f "$d/run.json" ] && basename "$d"; done; }
runs=$(rundirs "$work/runs")
[ "$(echo "$runs" | wc -l)" = 2 ] || fail "want 2 runs, have: $runs"
parent=$(echo "$runs" | grep -v focal)
child=$(echo "$runs" | grep focal)
grep -q '"status": "stopped"' "$work/runs/$parent/run.json" || fail "parent not stopped"
grep -q "\"parent\": \"$parent\"" "$work/runs/$child/run.json" || fail "child does not name its parent"
grep -q '"status": "stopped"' "$work/runs/$child/run.json" || fail "child not stopped after q"
ls "$work/runs/$parent/predictions/"*.csv >/dev/null || fail "no prediction CSV"
grep -q "\"$parent\"" "$work/runs/submissions.json" || fail "the prediction is not among the runs folder's submissions"
head -1 "$work/runs/$parent/predictions/"*.csv | grep -qx "ImageID,ans" || fail "bad prediction header"
grep -q '"setting":"lr"' "$work/runs/$parent/metrics.jsonl" || fail "lr change not in the log"
[ -f "$work/runs/$child/checkpoints/latest.json" ] || fail "child has no checkpoint"
# A run that has finished still answers: x predicts with its weights, + says
# the run has finished, n starts a child run from it.
next 100 30 "cd '$work' && TERM=xterm-256color '$bin' train --data '$work/data' --runs '$work/runs2' --img 32x32 --epochs 1; echo EXITED \$?; sleep 60"
waitfor "finished" 60
# The images of a confusion cell: e puts a cursor on the worst cell, enter
# opens its images worst first, enter shows one large (the terminal is
# handed over until enter), esc goes back; a mouse click on a tab.
t send-keys -t smoke "2"; waitfor "rows: truth, columns: prediction"
t send-keys -t smoke "e"; waitfor "enter its images"
t send-keys -t smoke Enter; waitfor "worst first"
screen | grep -q "#1 loss" || fail "no thumbnail captions"
t send-keys -t smoke Enter; waitfor "press enter to go back"
t send-keys -t smoke Enter; waitfor "worst first"
t send-keys -t smoke Escape; waitfor "enter its images"
t send-keys -t smoke Escape; waitfor "rows: truth, columns: prediction"
screen | grep -q "^events" && fail "the confusion view shows the events box"
# C: the class offsets of the best checkpoint, its matrix with them; C again: without.
t send-keys -t smoke "C"; waitfor "with class offsets (C: without)" 30
screen | grep -q "on held-out halves" || fail "the class offsets do not say their held-out gain"
t send-keys -t smoke "C"; waitfor "rows: truth, columns: prediction"
t send-keys -t smoke -l $'\e[<0;12;1M'; waitfor "events"   # an SGR mouse click on "1 overview"
t send-keys -t smoke "x"; waitfor "finished run's weights" 30
t send-keys -t smoke "+"; waitfor "the run has finished"
t send-keys -t smoke "n"; waitfor "new run — loss lr"
t send-keys -t smoke C-u "smooth 0.0002" Enter
waitfor "-smooth ← " 60   # the child run shows its parent
t send-keys -t smoke "q"; waitfor "EXITED 0" 60
[ "$(rundirs "$work/runs2" | wc -l)" = 2 ] || fail "want a child run of the finished run"
ls "$work/runs2/"*/predictions/*.csv >/dev/null || fail "no prediction from the finished run"
# A slower model, so that step samples come: the palette, the step
# charts' cursor and the mouse wheel's zoom.
next 110 32 "cd '$work' && TERM=xterm-256color '$bin' train --data '$work/data' --runs '$work/runs3' --model vgg-s --img 64x64 --batch 16 --epochs 5000; echo EXITED \$?; sleep 60"
waitfor "val acc" 120
t send-keys -t smoke ":" "syst" Enter; waitfor "system ·"
t send-keys -t smoke "1" ","; waitfor "▲ step"
t send-keys -t smoke -l $'\e[<64;30;12M'; waitfor "loss, steps"   # an SGR wheel-up over the loss chart
t send-keys -t smoke Escape; sleep 0.3   # apart, or the terminal reads Alt+q
t send-keys -t smoke "q"; waitfor "EXITED 0" 60
echo "tmux smoke test passed: $parent -> $child; a finished run predicted and forked; the palette, the cursor and the wheel"
