#!/bin/bash
# #14 A/B on a quiet machine: base (5f441a0) vs refactor (9776eb0), alternating; then main
# with the mail sender off and on (#17).
# BEFORE / AFTER: checkouts of the two commits, each with its own `make install`.
BEFORE=${BEFORE:-/work/wt-base}; AFTER=${AFTER:-/work/wt-refactor}; MAIN=${MAIN:-$(pwd)}
out=${OUT:-/tmp/house_ab}
mkdir -p $out
run() {  # side dir tag
  cd $2
  echo "== $1 $3 $(date +%T) load $(cut -d' ' -f1 /proc/loadavg)" >> $out/log
  timeout 900 .venv/bin/python bench/search_wrk.py --n 20000 --duration 10 > $out/search-$1-$3.txt 2>&1
  timeout 900 .venv/bin/python bench/publish.py --n 20000 > $out/publish-$1-$3.txt 2>&1
  timeout 900 .venv/bin/python bench/issue.py --count 2000 --verify 1000 > $out/issue-$1-$3.txt 2>&1
}
for round in 1 2; do
  run base $BEFORE $round
  run refactor $AFTER $round
done
for round in 1 2; do
  ACADEMY_BACKGROUND_MAIL=0 run mainnomail $MAIN $round
  ACADEMY_BACKGROUND_MAIL=1 run mainmail $MAIN $round
done
echo done >> $out/log
