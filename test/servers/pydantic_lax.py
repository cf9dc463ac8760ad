"""Reads strings as pydantic's lax mode does, for the differential test of src/arguments/lax.ts.

stdin: a JSON list of strings. stdout: a JSON object {"integer": [...], "number": [...], "boolean": [...]},
one entry per string: the reading as text (`int` digits, `float` repr, `true`/`false`) or null where
pydantic refuses the string.
"""

import json
import sys

from pydantic import TypeAdapter, ValidationError


def readings(adapter, texts, show):
    out = []
    for text in texts:
        try:
            out.append(show(adapter.validate_python(text)))
        except ValidationError:
            out.append(None)
    return out


texts = json.load(sys.stdin)
json.dump(
    {
        "integer": readings(TypeAdapter(int), texts, str),
        "number": readings(TypeAdapter(float), texts, repr),
        "boolean": readings(TypeAdapter(bool), texts, lambda value: "true" if value else "false"),
    },
    sys.stdout,
)
