#!/usr/bin/env bash
# Print the path of a Python 3.10 interpreter (Rasa 3.6 supports 3.8–3.10; this project uses 3.10).
# Looks at $PYTHON, python3.10 on PATH, then pyenv's installed versions.
set -u
ok() { "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' >/dev/null 2>&1; }
for candidate in "${PYTHON:-}" python3.10 "$(command -v python3.10 2>/dev/null)"; do
  [ -n "$candidate" ] && ok "$candidate" && { command -v "$candidate"; exit 0; }
done
if command -v pyenv >/dev/null 2>&1; then
  root=$(pyenv root)
  for candidate in $(ls -d "$root"/versions/3.10*/bin/python 2>/dev/null | sort -V -r); do
    ok "$candidate" && { echo "$candidate"; exit 0; }
  done
fi
for candidate in /usr/bin/python3.10 /usr/local/bin/python3.10; do
  ok "$candidate" && { echo "$candidate"; exit 0; }
done
cat >&2 <<'MSG'
error: no Python 3.10 found. Rasa 3.6 needs Python 3.8–3.10; this project uses 3.10.
Install one, for example:
  pyenv install 3.10.13          (with pyenv), or
  apt-get install python3.10 python3.10-venv   (where your distribution has it),
then run make again (or point PYTHON=/path/to/python3.10 at it).
MSG
exit 1
