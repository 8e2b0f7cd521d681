#!/usr/bin/env python3
# kiln:
#   schedule: "0 1 * * *"
#   timeout: 10m
#   memory_limit_mb: 1024
#   params:
#     rows: "1000"
import os
print("generating", "${rows}", "rows for", os.environ["KILN_BIZDATE"], "into ${source_dir}")
