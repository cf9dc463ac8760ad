import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ListToolsError, listServerTools } from "../../src/upstream/list-tools.js";

const pagedServer = fileURLToPath(new URL("./servers/paged-server.mjs", import.meta.url));

describe("listServerTools", () => {
  it("follows nextCursor across every page and answers the server's own requests", async () => {
    const listed = await listServerTools(process.execPath, [pagedServer], { timeoutMs: 10_000 });
    expect(listed.serverInfo).toEqual({ name: "paged", version: "1.2.3" });
    expect(listed.tools.map((tool) => tool.name)).toEqual(["list_things", "delete_thing", "update_thing"]);
    // The server only sent the last page after we answered its roots/list request.
    expect(listed.tools[2]?.description).toBe("roots/list got error -32601");
  });

  it("names the exit code and the method when the server exits before answering", async () => {
    const listing = listServerTools(process.execPath, [pagedServer, "exit-early"], { timeoutMs: 10_000 });
    await expect(listing).rejects.toThrow(ListToolsError);
    await expect(listing).rejects.toThrow(
      "the server exited with code 3 before answering initialize; its stderr is above",
    );
  });

  it("says when the server does not answer in time", async () => {
    const silent = ["-e", "setInterval(() => {}, 1000)"];
    await expect(listServerTools(process.execPath, silent, { timeoutMs: 300, graceMs: 100 })).rejects.toThrow(
      /did not answer initialize within 0.3 s/,
    );
  });

  it("says a command that cannot be started cannot be started", async () => {
    await expect(listServerTools("/nonexistent/mcp-server", [], { timeoutMs: 5000 })).rejects.toThrow(
      /cannot start \/nonexistent\/mcp-server/,
    );
  });
});
