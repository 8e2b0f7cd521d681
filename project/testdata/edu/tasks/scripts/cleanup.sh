#!/usr/bin/env bash
# Removes old source files.
# kiln:
#   upstreams: [dwd_orders]
#   retries: 0
#   tier: core
set -eu
find "${source_dir}" -name '*.csv' -mtime +${lookback} -delete
echo "done for $KILN_BIZDATE, keeping $${HOME} alone"
