#!/usr/bin/env bash
# Make sure the local MariaDB writes a ROW-format binlog, which Kiln's CDC
# reads. A machine of our kind starts MariaDB without a binlog; turning it on
# needs a restart with the options below. Idempotent.
set -euo pipefail
q() { mariadb -h 127.0.0.1 -u root -N -e "$1" 2>/dev/null; }
if [ "$(q "SELECT @@log_bin" || echo 0)" = "1" ] && [ "$(q "SELECT @@binlog_format" || echo)" = "ROW" ]; then
  echo "mariadb binlog already on (ROW)"
  exit 0
fi
mariadb-admin -h 127.0.0.1 -u root shutdown 2>/dev/null || true
for i in $(seq 1 60); do pgrep -x mariadbd >/dev/null || break; sleep 1; done
mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld 2>/dev/null || true
start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- \
  --log-bin=mysql-bin --binlog-format=ROW --server-id=1 --binlog-row-image=FULL --expire-logs-days=1
for i in $(seq 1 60); do q "SELECT 1" >/dev/null && break; sleep 1; done
echo "mariadb binlog: log_bin=$(q 'SELECT @@log_bin') format=$(q 'SELECT @@binlog_format')"
