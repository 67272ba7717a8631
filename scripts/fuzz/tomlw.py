"""A small TOML writer (the stdlib has only a reader, tomllib) for the fuzz harness.

It writes what the mutators produce, including things TOML cannot hold exactly: an
integer outside i64 is written as its digits (the reader must reject it), and NaN /
infinities as `nan` / `inf` / `-inf` (valid TOML).
"""

import json
import math
import re

_BARE = re.compile(r"^[A-Za-z0-9_-]+$")


def key(k):
    k = str(k)
    return k if _BARE.match(k) else json.dumps(k)


def scalar(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        r = repr(v)
        return r if ("." in r or "e" in r or "n" in r) else r + ".0"
    if isinstance(v, str):
        return json.dumps(v)  # ASCII with \uXXXX escapes: a valid TOML basic string
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(scalar(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{key(k)} = {scalar(x)}" for k, x in v.items()) + "}"
    return json.dumps(str(v))


def _is_table_array(v):
    return isinstance(v, list) and v and all(isinstance(x, dict) for x in v)


def dumps(tree, _prefix=()):
    """Serialize a dict: plain keys first, then sub-tables and arrays of tables."""
    out = []
    for k, v in tree.items():
        if not isinstance(v, dict) and not _is_table_array(v):
            out.append(f"{key(k)} = {scalar(v)}")
    for k, v in tree.items():
        path = _prefix + (k,)
        name = ".".join(key(p) for p in path)
        if isinstance(v, dict):
            out.append("")
            out.append(f"[{name}]")
            body = dumps(v, path)
            if body:
                out.append(body)
        elif _is_table_array(v):
            for item in v:
                out.append("")
                out.append(f"[[{name}]]")
                body = dumps(item, path)
                if body:
                    out.append(body)
    return "\n".join(out).strip("\n") + ("\n" if not _prefix else "")
