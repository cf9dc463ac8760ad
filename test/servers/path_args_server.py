"""A small MCP server on the official Python SDK whose path arguments are not named as paths.

Only the schemas the SDK writes say they are paths: a pydantic `Path` (format "path"), a field
description ("Path to the file to archive"), and a `Path` inside a list of models (through $defs and
$ref). Its other arguments are text that names no path. The tools do nothing: `validate` only lists them.
"""

from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, Field

try:
    from mcp.server.mcpserver import MCPServer as Server  # mcp 2.x
except ImportError:
    from mcp.server.fastmcp import FastMCP as Server  # mcp 1.x

server = Server("path-args")


class Entry(BaseModel):
    location: Path
    label: str


@server.tool()
def archive(target: Annotated[str, Field(description="Path to the file to archive")]) -> str:
    """Archives a file."""
    return "not archived"


@server.tool()
def restore(origin: Path) -> str:
    """Restores an archived file."""
    return "not restored"


@server.tool()
def import_batch(entries: list[Entry]) -> str:
    """Imports a batch of entries."""
    return "not imported"


@server.tool()
def annotate(
    note: Annotated[str, Field(description="The content to write to the file")],
    link: Annotated[str, Field(description="URL path of the page to annotate")],
) -> str:
    """Annotates a page."""
    return "not annotated"


if __name__ == "__main__":
    server.run()
