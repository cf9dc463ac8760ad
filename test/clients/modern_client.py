"""The official Python `mcp` 2.x client in 2026-07-28 mode, driven by a test.

Usage: modern_client.py CALLS_JSON -- COMMAND [ARGS...]
Starts COMMAND over stdio, lists the tools, makes each call in CALLS_JSON ([{name, arguments}]) and
prints one JSON object: the protocol version, the tool names and each call's result (or error).
"""

import asyncio
import json
import os
import sys

from mcp import Client
from mcp.client.stdio import StdioServerParameters


async def main() -> None:
    separator = sys.argv.index("--")
    calls = json.loads(sys.argv[1])
    command, *args = sys.argv[separator + 1 :]
    server = StdioServerParameters(command=command, args=args, env=dict(os.environ))
    report: dict = {"calls": []}
    async with Client(server, mode="2026-07-28") as client:
        report["protocol_version"] = client.protocol_version
        listed = await client.list_tools()
        report["tools"] = sorted(tool.name for tool in listed.tools)
        for call in calls:
            try:
                result = await client.call_tool(call["name"], call["arguments"])
                report["calls"].append({"result": result.model_dump(mode="json", by_alias=True, exclude_none=True)})
            except Exception as error:  # reported to the test, which asserts on it
                report["calls"].append({"error": f"{type(error).__name__}: {error}"})
    print(json.dumps(report))


asyncio.run(main())
