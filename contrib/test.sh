#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The whole test suite on a fresh Debian 12 machine: packages, build, tests.
# Ends with "N passed, N failed".
set -u
src="$(cd "$(dirname "$0")/.." && pwd)"
"$src/contrib/setup.sh" "$@" || { echo "0 passed, 1 failed"; exit 1; }
exec "$src/tests/run.sh" "$src/build"
