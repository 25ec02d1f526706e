#!/bin/bash
# #14 A/B on a quiet machine: base (5f441a0) vs refactor (9776eb0), alternating; then main
# with the mail sender off and on (#17).
out=/work/bench_ab2
mkdir -p $out
run() {  # side dir tag
  cd $2
  echo "== $1 $3 $(date +%T) load $(cut -d' ' -f1 /proc/loadavg)" >> $out/log
  timeout 900 .venv/bin/python bench/search_wrk.py --n 20000 --duration 10 > $out/search-$1-$3.txt 2>&1
  timeout 900 .venv/bin/python bench/publish.py --n 20000 > $out/publish-$1-$3.txt 2>&1
  timeout 900 .venv/bin/python bench/issue.py --count 2000 --verify 1000 > $out/issue-$1-$3.txt 2>&1
}
for round in 1 2; do
  run base /work/wt-base $round
  run refactor /work/wt-refactor $round
done
for round in 1 2; do
  ACADEMY_BACKGROUND_MAIL=0 run mainnomail /work/main $round
  ACADEMY_BACKGROUND_MAIL=1 run mainmail /work/main $round
done
echo done >> $out/log
