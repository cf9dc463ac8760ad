"""An MCP server on the official Python SDK whose answers are long: `blob` returns `size` characters
of text full of what JSON escapes (quotes, backslashes, newlines) and of two-byte UTF-8, so that
escapes and characters fall across the pieces a pipe delivers; `failing_blob` raises a ToolError
with such a text (its text reaches the client in both majors), which the SDK answers as a result
with isError: true. The SDK writes an answer's id before its result, so policylayer can pass these
answers on as they come."""

try:
    from mcp.server.mcpserver import MCPServer as Server  # mcp 2.x
    from mcp.server.mcpserver.exceptions import ToolError
except ImportError:
    from mcp.server.fastmcp import FastMCP as Server  # mcp 1.x
    from mcp.server.fastmcp.exceptions import ToolError

server = Server("large-answers")

PATTERN = 'a"b\\c\né'


def text(size: int) -> str:
    return (PATTERN * (size // len(PATTERN) + 1))[:size]


@server.tool()
def blob(size: int) -> str:
    return text(size)


@server.tool()
def failing_blob(size: int) -> str:
    raise ToolError(text(size))


if __name__ == "__main__":
    server.run()
