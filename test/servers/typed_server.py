"""A small typed MCP server on the official Python SDK (FastMCP in mcp 1.x, MCPServer in 2.x).

Each tool appends one JSON line to the file named by $RECORD_FILE: the tool's name and its arguments
as the SDK parsed them (pre_parse_json, then pydantic), each with its Python type, so a test can see
exactly what the server would have acted on.
"""

import json
import os
from decimal import Decimal
from uuid import UUID

from mcp.types import ToolAnnotations
from pydantic import BaseModel, HttpUrl, IPvAnyAddress

try:
    from mcp.server.mcpserver import MCPServer as Server  # mcp 2.x
except ImportError:
    from mcp.server.fastmcp import FastMCP as Server  # mcp 1.x

server = Server("typed-recorder")


class InstanceGroup(BaseModel):
    InstanceGroupName: str
    InstanceCount: int


class Spec(BaseModel):
    ports: list[int]


def typed(value):
    """A parsed value as JSON, with the Python type of every scalar."""
    if isinstance(value, BaseModel):
        return {"type": type(value).__name__, "value": {k: typed(v) for k, v in value}}
    if isinstance(value, list):
        return {"type": "list", "value": [typed(item) for item in value]}
    if isinstance(value, dict):
        return {"type": "dict", "value": {k: typed(v) for k, v in value.items()}}
    return {"type": type(value).__name__, "value": value}


def record(tool, **arguments):
    # str(): a URL, a UUID, an address or a Decimal as the server will use it.
    line = json.dumps({"tool": tool, "arguments": {k: typed(v) for k, v in arguments.items()}}, default=str)
    with open(os.environ["RECORD_FILE"], "a", encoding="utf-8") as out:
        out.write(line + "\n")
    return "recorded"


@server.tool()
def transfer(amount: int, note: str = "") -> str:
    """Moves an amount of money."""
    return record("transfer", amount=amount, note=note)


@server.tool()
def set_price(price: float) -> str:
    """Sets a price."""
    return record("set_price", price=price)


@server.tool()
def set_flag(enabled: bool) -> str:
    """Turns a feature on or off."""
    return record("set_flag", enabled=enabled)


@server.tool()
def scale(instance_groups: list[InstanceGroup]) -> str:
    """Resizes instance groups."""
    return record("scale", instance_groups=instance_groups)


@server.tool()
def label(labels: dict[str, int] | None = None, limit: int | None = None) -> str:
    """Sets labels and an optional limit."""
    return record("label", labels=labels, limit=limit)


@server.tool()
def export(schema: str = "default") -> str:
    """A parameter named like a pydantic BaseModel method: the SDK renames its field behind an alias."""
    return record("export", schema=schema)


@server.tool(annotations=ToolAnnotations(readOnlyHint=False, destructiveHint=True))
def tidy(target: str) -> str:
    """Tidies a target up."""
    # Only its definition (the annotations) says what it does: its name and arguments read harmless.
    return record("tidy", target=target)


@server.tool()
def fetch(url: HttpUrl) -> str:
    """Fetches a web page."""
    return record("fetch", url=url)


@server.tool()
def delete_record(record_id: UUID) -> str:
    """Deletes a record."""
    return record("delete_record", record_id=record_id)


@server.tool()
def connect(host: IPvAnyAddress) -> str:
    """Connects to a host."""
    return record("connect", host=host)


@server.tool()
def pay(amount: Decimal) -> str:
    """Pays an amount."""
    return record("pay", amount=amount)


@server.tool()
def configure(spec: Spec) -> str:
    """Opens ports."""
    return record("configure", spec=spec)


if __name__ == "__main__":
    server.run()
