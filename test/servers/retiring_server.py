"""A small MCP server on the official Python SDK that stops listing a tool when asked.

`retire` removes a tool from the server's list (the SDK's remove_tool) and sends list_changed. `inbox_digest` reads by its
definition (readOnlyHint) though its name reads as a write; `tidy` destroys by its definition
(destructiveHint) though its name reads as a write. Each call that runs appends its tool's name to
$RECORD_FILE, so a test can see what the server executed.
"""

import json
import os

from mcp.types import ToolAnnotations

try:
    from mcp.server.mcpserver import Context, MCPServer as Server  # mcp 2.x
except ImportError:
    from mcp.server.fastmcp import Context, FastMCP as Server  # mcp 1.x

server = Server("retiring")


def record(tool):
    with open(os.environ["RECORD_FILE"], "a", encoding="utf-8") as out:
        out.write(json.dumps({"tool": tool}) + "\n")
    return "done"


@server.tool(annotations=ToolAnnotations(readOnlyHint=True))
def inbox_digest() -> str:
    """Shows the inbox."""
    return record("inbox_digest")


@server.tool(annotations=ToolAnnotations(readOnlyHint=False, destructiveHint=True))
def tidy() -> str:
    """Tidies up."""
    return record("tidy")


@server.tool()
async def retire(name: str, ctx: Context) -> str:
    """Stops listing a tool, and says that the list changed."""
    server.remove_tool(name)
    await ctx.session.send_tool_list_changed()
    return record("retire")


if __name__ == "__main__":
    server.run()
