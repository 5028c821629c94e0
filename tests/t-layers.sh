#!/bin/bash
# The layers (README, Layout): no #include or call goes up, and inside a
# folder calls go one way.  Reads the sources and the built objects.
: "${top_srcdir:?run through make check}"
: "${top_builddir:?run through make check}"
command -v python3 >/dev/null 2>&1 || { echo "t-layers: SKIP: no python3"; exit 77; }
command -v nm >/dev/null 2>&1 || { echo "t-layers: SKIP: no nm"; exit 77; }
exec python3 "$top_srcdir/tests/check-layers.py" "$top_srcdir" "$top_builddir"
