#!/usr/bin/env bash
# Fails, listing file:line, when src/ or include/ calls a C function the
# project bans: unbounded copies and formats (sprintf, vsprintf, strcpy,
# strcat, gets), number parsing that cannot report an error (atoi, atol) and
# strtok's hidden state. snprintf, vsnprintf and the strto* family are the
# replacements. Lines that are comments are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

banned='sprintf|vsprintf|strcpy|strcat|atoi|atol|gets|strtok'
# A name preceded by a letter, digit or _ is another function (snprintf,
# fgets, strtok_r): \b keeps only the banned names themselves.
hits=$(grep -rnE --include='*.c' --include='*.h' "\\b($banned)[[:space:]]*\\(" src include |
       grep -vE '^[^:]+:[0-9]+:[[:space:]]*(/?\*|//)' || true)
if [ -n "$hits" ]; then
  echo "banned functions (use snprintf/vsnprintf, memcpy with a known size, strto* with checks):" >&2
  echo "$hits" >&2
  exit 1
fi
echo "check-banned: no banned function in src/ or include/"
