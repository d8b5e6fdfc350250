#!/bin/sh
# dbt, started so that it dies with the process that started it: a run worker killed with `kill -9` (or by the
# OOM killer) must not leave its dbt writing the warehouse after Dagster has marked the run failed. Linux's
# parent-death signal, set here by util-linux's setpriv, survives the exec into dbt; where setpriv is missing
# (macOS), dbt starts as it would without this script. resources/dbt.py makes this script dagster-dbt's
# `dbt_executable` and passes the real dbt in CUMULUS_DBT_EXECUTABLE.
if command -v setpriv >/dev/null 2>&1; then
    exec setpriv --pdeathsig KILL -- "$CUMULUS_DBT_EXECUTABLE" "$@"
fi
exec "$CUMULUS_DBT_EXECUTABLE" "$@"
