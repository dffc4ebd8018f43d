#!/usr/bin/env bash
# bench/jwt_micro.sh — build common/ (make unit) and run the in-process JWT
# micro-benchmark bench/jwt_micro.c: sign and verify per second, one core.
#   bash bench/jwt_micro.sh [seconds-per-case]     (default 3)
set -euo pipefail
cd "$(dirname "$0")/.."
make -s unit
cc -std=c11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -Icommon bench/jwt_micro.c \
	build/common/rc_*.o -lcrypto -o build/jwt_micro
exec build/jwt_micro "${1:-3}"
