#!/usr/bin/env bash
# Seconds from launching `echotui --demo` in a terminal (tmux) to the clip's first words on screen, as on a
# first run offline: an empty Hugging Face cache, the Hub unreachable, a machine never measured, fresh
# state. Install first (a fresh venv: python3 -m venv V && V/bin/pip install '.[tiny]'), then:
#
#     scripts/demo_first_caption.sh V/bin/echotui [RUNS]
#
# Prints, per run, when the first words ("fellow"/"Americans") and "ask not" appeared, and the load average.
set -euo pipefail
echotui=${1:?usage: $0 PATH/TO/echotui [RUNS]}
runs=${2:-3}
work=$(mktemp -d)
trap 'tmux kill-session -t echotui-demo 2>/dev/null || true; rm -rf "$work"' EXIT
for run in $(seq 1 "$runs"); do
  d=$work/run$run
  mkdir -p "$d"
  start=$(date +%s.%N)
  tmux new-session -d -s echotui-demo -x 120 -y 30 -c "$work" \
    "env HF_HUB_CACHE=$d/hf HF_ENDPOINT=http://127.0.0.1:9 ECHOTUI_CACHE_DIR=$d/cache \
     ECHOTUI_STATE_DIR=$d/state ECHOTUI_LOG_FILE=$d/log $echotui --demo; sleep 60"
  first="" ask=""
  for _ in $(seq 1 600); do
    screen=$(tmux capture-pane -p -t echotui-demo)
    now=$(date +%s.%N)
    if [ -z "$first" ] && grep -qiE "fellow|americans" <<<"$screen"; then first=$(bc <<<"$now - $start"); fi
    if [ -z "$ask" ] && grep -qi "ask not" <<<"$screen"; then ask=$(bc <<<"$now - $start"); fi
    if grep -q "end of audio" <<<"$screen"; then break; fi
    sleep 0.1
  done
  printf 'run %s: first words %.1f s, "ask not" %.1f s (load average %s)\n' \
    "$run" "${first:-nan}" "${ask:-nan}" "$(cut -d' ' -f1 /proc/loadavg)"
  tmux send-keys -t echotui-demo q
  sleep 3
  tmux kill-session -t echotui-demo 2>/dev/null || true
done
