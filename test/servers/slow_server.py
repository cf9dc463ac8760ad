"""An MCP server on the official Python SDK with one tool, `slow`, that appends a line to the file
named by $RECORD_FILE as it starts and then waits a minute: a call a test can cancel while the
server runs it (the SDK then answers the call with a JSON-RPC error, "Request cancelled")."""

import json
import os

import anyio

try:
    from mcp.server.mcpserver import MCPServer as Server  # mcp 2.x
except ImportError:
    from mcp.server.fastmcp import FastMCP as Server  # mcp 1.x

server = Server("slow")


@server.tool()
async def slow() -> str:
    with open(os.environ["RECORD_FILE"], "a", encoding="utf-8") as out:
        out.write(json.dumps({"tool": "slow"}) + "\n")
    await anyio.sleep(60)
    return "done"


if __name__ == "__main__":
    server.run()
