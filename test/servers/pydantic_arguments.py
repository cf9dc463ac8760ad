"""Validates tool arguments exactly as a server on the Python MCP SDK does, for the differential test
of src/arguments (test/python/argument-readings.test.ts).

Each type below is the annotation of the one parameter `v` of a tool function; the SDK's own
func_metadata builds the argument model from it, as for a real tool.

stdin, one JSON object:
  {"schemas": true}: stdout is {"<type>": <the inputSchema the SDK lists for the tool>, ...}
  {"cases": [[type, sent, forwarded, ours], ...]}: `sent` and `forwarded` are the JSON text of the
    arguments object as the agent sent it and as policylayer forwards it (null: refused); `ours` is
    policylayer's reading of `v`, tagged (see agrees). stdout is one entry per case:
    {"sent": <what the tool receives from `sent`>, "forwarded": <the same for `forwarded`>,
     "agrees": <our reading is the value the tool receives from `forwarded`>,
     "same": <the tool receives the same value from `forwarded` as from `sent`>},
    a received value shown as text (repr of its canonical form) or null where validation refuses it.
"""

import datetime
import enum
import json
import sys
from decimal import Decimal
from fractions import Fraction
from typing import Annotated, Literal, Optional, Union  # noqa: F401 (used by the annotations below)

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

try:  # mcp 2.x
    from mcp import types as mcp_types
    from mcp.server.mcpserver.utilities.func_metadata import func_metadata

    def parse_arguments(line):
        message = mcp_types.jsonrpc_message_adapter.validate_json(line, by_name=False)
        return message.params["arguments"]

except ImportError:  # mcp 1.x
    from mcp import types as mcp_types
    from mcp.server.fastmcp.utilities.func_metadata import func_metadata

    def parse_arguments(line):
        request = mcp_types.JSONRPCMessage.model_validate_json(line).root
        # The 1.x session validates the request again from its JSON-mode dump.
        dumped = request.model_dump(by_alias=True, mode="json", exclude_none=True)
        return mcp_types.ClientRequest.model_validate(dumped).root.params.arguments


class Color(str, enum.Enum):
    RED = "red"
    GREEN = "green"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


class Inner(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    count: int = Field(alias="Count")
    label: str = "x"


class Small(BaseModel):
    a: int


class Wide(BaseModel):
    a: str
    b: bool = False


class Outer(BaseModel):
    items: list[Inner]
    limits: dict[str, int] = {}


# name: (annotation source, default source or None)
TYPES = {
    "int": ("int", None),
    "float": ("float", None),
    "bool": ("bool", None),
    "str": ("str", None),
    "Decimal": ("Decimal", None),
    "bytes": ("bytes", None),
    "list[int]": ("list[int]", None),
    "list[float]": ("list[float]", None),
    "list[bool]": ("list[bool]", None),
    "list[str]": ("list[str]", None),
    "tuple[int, str]": ("tuple[int, str]", None),
    "tuple[int, ...]": ("tuple[int, ...]", None),
    "set[int]": ("set[int]", None),
    "frozenset[str]": ("frozenset[str]", None),
    "dict[str, int]": ("dict[str, int]", None),
    "dict[int, str]": ("dict[int, str]", None),
    "dict[str, list[int]]": ("dict[str, list[int]]", None),
    "Optional[int]": ("Optional[int]", None),
    "int | None = None": ("int | None", "None"),
    "int = 0": ("int", "0"),
    "Optional[str]": ("Optional[str]", None),
    "Optional[float] = None": ("Optional[float]", "None"),
    "Optional[list[int]] = None": ("Optional[list[int]]", "None"),
    "Union[int, str]": ("Union[int, str]", None),
    "Union[str, int]": ("Union[str, int]", None),
    "Union[int, float]": ("Union[int, float]", None),
    "Union[float, int]": ("Union[float, int]", None),
    "Union[bool, int]": ("Union[bool, int]", None),
    "Union[int, bool]": ("Union[int, bool]", None),
    "Union[list[int], str]": ("Union[list[int], str]", None),
    "Union[str, list[int]]": ("Union[str, list[int]]", None),
    "Union[int, list[int]]": ("Union[int, list[int]]", None),
    "Union[bool, str]": ("Union[bool, str]", None),
    "Union[float, str]": ("Union[float, str]", None),
    "list[Union[bool, int]]": ("list[Union[bool, int]]", None),
    "dict[str, Union[float, int]]": ("dict[str, Union[float, int]]", None),
    "Optional[Union[bool, int]]": ("Optional[Union[bool, int]]", None),
    "Union[Inner, str]": ("Union[Inner, str]", None),
    "Union[str, Inner]": ("Union[str, Inner]", None),
    "Union[int, Inner]": ("Union[int, Inner]", None),
    "Union[Decimal, int]": ("Union[Decimal, int]", None),
    "Union[Small, Wide]": ("Union[Small, Wide]", None),
    "Union[Wide, Small]": ("Union[Wide, Small]", None),
    "Optional[Inner]": ("Optional[Inner]", None),
    "list[tuple[int, bool]]": ("list[tuple[int, bool]]", None),
    "dict[str, Optional[int]]": ("dict[str, Optional[int]]", None),
    "Union[Level, str]": ("Union[Level, str]", None),
    "Union[Color, int]": ("Union[Color, int]", None),
    "Optional[Literal[1]]": ("Optional[Literal[1]]", None),
    "Literal[1, 2]": ("Literal[1, 2]", None),
    "Literal['a', 'b']": ("Literal['a', 'b']", None),
    "Literal[True]": ("Literal[True]", None),
    "Literal[0, 1]": ("Literal[0, 1]", None),
    "Literal[1, '1']": ("Literal[1, '1']", None),
    "Literal['1', 1]": ("Literal['1', 1]", None),
    "Literal['a', None]": ("Literal['a', None]", None),
    "Color": ("Color", None),
    "Level": ("Level", None),
    "Inner": ("Inner", None),
    "list[Inner]": ("list[Inner]", None),
    "Outer": ("Outer", None),
    "Annotated[int, Field(ge=0)]": ("Annotated[int, Field(ge=0)]", None),
    "Annotated[float, Field(le=100)]": ("Annotated[float, Field(le=100)]", None),
    "Annotated[str, Field(max_length=5)]": ("Annotated[str, Field(max_length=5)]", None),
    "datetime": ("datetime.datetime", None),
    "date": ("datetime.date", None),
}


def tool_metadata(source, default):
    namespace = dict(globals())
    parameter = f"v: {source}" + ("" if default is None else f" = {default}")
    exec(f"def tool({parameter}) -> str:\n    return ''\n", namespace)
    return func_metadata(namespace["tool"])


METADATA = {name: tool_metadata(*spec) for name, spec in TYPES.items()}


def received(name, text):
    """What the tool's `v` is, once the SDK has read the arguments JSON `text`: ("ok", value), ("missing",) or None (refused)."""
    meta = METADATA[name]
    line = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"tool","arguments":' + text + "}}"
    try:
        arguments = parse_arguments(line)
        model = meta.arg_model.model_validate(meta.pre_parse_json(arguments))
    except (ValidationError, ValueError):
        return None
    if "v" not in model.model_fields_set:
        return ("missing",)
    return ("ok", model.v)


def number(value):
    """A number as an exact fraction, or its name where it is none (inf, nan); a float marked as one ("fl")."""
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return ("n", repr(value))
    if isinstance(value, Decimal) and not value.is_finite():
        return ("n", str(value))
    if isinstance(value, float):
        return ("fl", value)
    return ("n", Fraction(value))


def exact(value):
    """A canonical value with its floats as the exact numbers they are, for comparing two of the tool's values."""
    if value[0] == "fl":
        return ("n", Fraction(value[1]))
    if value[0] == "l":
        return ("l", tuple(exact(item) for item in value[1]))
    if value[0] == "set":
        return ("set", tuple(sorted((exact(item) for item in value[1]), key=repr)))
    if value[0] == "d":
        return ("d", tuple((key, exact(item)) for key, item in value[1]))
    return value


def canonical(value):
    """A value as a condition sees it: numbers exact whatever their type, models by alias, sets as sets."""
    if isinstance(value, enum.Enum):
        return canonical(value.value)
    if isinstance(value, bool):
        return ("b", value)
    if isinstance(value, (int, float, Decimal)):
        return number(value)
    if value is None:
        return ("null",)
    if isinstance(value, str):
        return ("s", value)
    if isinstance(value, bytes):
        return ("s", value.decode("utf-8", "surrogateescape"))
    if isinstance(value, (datetime.date, datetime.datetime)):
        return ("time", value.isoformat())
    if isinstance(value, BaseModel):
        fields = type(value).model_fields
        return (
            "d",
            tuple(
                sorted(
                    ((fields[key].alias or key), canonical(getattr(value, key))) for key in value.model_fields_set
                )
            ),
        )
    if isinstance(value, (set, frozenset)):
        return ("set", frozenset(canonical(item) for item in value))
    if isinstance(value, (list, tuple)):
        return ("l", tuple(canonical(item) for item in value))
    if isinstance(value, dict):
        return ("d", tuple(sorted(((key_text(key), canonical(item)) for key, item in value.items()), key=repr)))
    return ("other", repr(value))


INTEGER = TypeAdapter(int)


def key_text(key):
    """A dict key as a condition's path names it; an int key (dict[int, ...]) marked as one."""
    return ("int", str(key)) if isinstance(key, int) else key


def ours_scalar(tagged):
    """One of policylayer's scalar readings, tagged by the test: ["f", text] a double, ["x", text] an
    exact decimal, ["s", text], ["b", bool], ["null"]."""
    tag = tagged[0]
    if tag in ("f", "x"):
        # A reading is the decimal it is written as: policylayer compares a double as its shortest digits.
        decimal = Decimal(tagged[1])
        return ("n", Fraction(decimal)) if decimal.is_finite() else ("n", repr(float(decimal)))
    if tag == "s":
        return ("s", tagged[1])
    if tag == "b":
        return ("b", tagged[1])
    return ("null",)


def integer_key(key):
    """The int a dict[int, ...] field reads a key as, as text; the key itself where it reads as none."""
    try:
        return str(INTEGER.validate_python(key))
    except ValidationError:
        return key


def agrees(theirs, ours, loose=False):
    """Whether the value the server has is one policylayer's conditions see. `ours` is tagged as by the
    test: a scalar ["f" | "x" | "s" | "b" | "null", value, [its other readings]] (the readings
    conditions also match, src/arguments/readings.ts), ["l", [items]] or ["d", [[key, value], ...]].
    A list read for a set holds the set's elements; a dict[int, ...] key is the integer its text
    reads as, the last such key standing for it, as pydantic keeps the last. `loose`: keys the tool
    drops (undeclared ones) may stand beside the ones it keeps, and a reading of a scalar may be a
    list or an object (JSON text)."""
    tag = ours[0]
    if tag in ("f", "x", "s", "b", "null"):
        if same_scalar(theirs, ours_scalar(ours)):
            return True
        others = ours[2] if tag != "null" and len(ours) > 2 else []
        return any(agrees(theirs, other, loose) for other in others)
    if tag == "l":
        items = ours[1]
        if theirs[0] == "set":
            return all(any(agrees(t, o, loose) for t in theirs[1]) for o in items) and all(
                any(agrees(t, o, loose) for o in items) for t in theirs[1]
            )
        return (
            theirs[0] == "l"
            and len(theirs[1]) == len(items)
            and all(agrees(t, o, loose) for t, o in zip(theirs[1], items))
        )
    if tag == "d":
        if theirs[0] != "d":
            return False
        mine = {}
        for key, item in ours[1]:
            mine[key] = item
            mine[("int", integer_key(key))] = item
        keys = {key for key, _ in theirs[1]}
        if not loose and any(key not in keys and ("int", integer_key(key)) not in keys for key, _ in ours[1]):
            return False
        return all(key in mine and agrees(item, mine[key], loose) for key, item in theirs[1])
    return False


def same_scalar(theirs, reading):
    """Equal; a float is any reading that is the same double; an infinity reading stands for a number
    beyond a double's range (conditions compare it as one: above every policy number); NaN, for which
    no comparison holds in Python either, for any reading."""
    if theirs == reading or theirs == ("n", "nan"):
        return True
    if theirs[0] == "fl":
        return reading[0] == "n" and isinstance(reading[1], Fraction) and float(reading[1]) == theirs[1]
    if theirs[0] != "n" or reading[0] != "n":
        return False
    if isinstance(reading[1], str) and isinstance(theirs[1], Fraction):
        beyond = abs(theirs[1]) > Fraction(sys.float_info.max)
        return beyond and reading[1].startswith("-") == (theirs[1] < 0)
    return False


def compared(value):
    """A received value as two of the tool's values are compared."""
    return value if value is None or value[0] == "missing" else exact(canonical(value[1]))


def shown(value):
    """A received value for a person; a number too long for Python to write (4300 digits) by its size."""
    if value is None:
        return None
    try:
        return repr(compared(value))
    except ValueError:
        return "a number of over 4300 digits"


def check(case):
    name, sent, forwarded, ours, unschemed = case
    theirs_sent = received(name, sent)
    theirs_forwarded = None if forwarded is None else received(name, forwarded)
    agreement = None
    if ours is not None and theirs_forwarded is not None:
        if theirs_forwarded[0] == "missing":
            agreement = ours == ["missing"]
        else:
            agreement = ours != ["missing"] and agrees(canonical(theirs_forwarded[1]), ours)
    same = None
    if theirs_sent is not None and theirs_forwarded is not None:
        same = compared(theirs_sent) == compared(theirs_forwarded)
    # Without a schema the call goes on as sent: the tool's value must be one of the readings of what was sent.
    unschemed_agreement = None
    if theirs_sent is not None and theirs_sent[0] == "ok":
        unschemed_agreement = agrees(canonical(theirs_sent[1]), unschemed, loose=True)
    return {
        "sent": shown(theirs_sent),
        "forwarded": shown(theirs_forwarded),
        "agrees": agreement,
        "same": same,
        "unschemed": unschemed_agreement,
    }


request = json.load(sys.stdin)
if request.get("schemas"):
    json.dump({name: meta.arg_model.model_json_schema(by_alias=True) for name, meta in METADATA.items()}, sys.stdout)
else:
    json.dump([check(case) for case in request["cases"]], sys.stdout)
