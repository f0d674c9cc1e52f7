#!/usr/bin/env bash
# Installs the Debian packages the test suite needs, where they are missing:
# poppler-utils (pdftotext, pdftoppm) for reading the PDF reports, and Debian's chromium for
# the browser tests (tests/browser: Playwright drives /usr/bin/chromium and never downloads a
# browser of its own); and postgresql-client (pg_dump, pg_restore) for the backup commands.
set -euo pipefail

missing=()
command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
# The browser tests launch this exact path, so a chromium elsewhere on PATH does not count.
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v pg_dump >/dev/null 2>&1 || missing+=(postgresql-client)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  sudo=sudo
else
  sudo=
fi
echo "Installing system packages: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
