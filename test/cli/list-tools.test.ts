import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ListToolsError, listServerTools } from "../../src/upstream/list-tools.js";
import { policylayerBin } from "../helpers/paths.js";
import { isAlive } from "../helpers/raw-session.js";
import { tempDir } from "../helpers/tmp.js";

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

describe("policylayer tools interrupted while listing", () => {
  it.each(["SIGINT", "SIGTERM", "SIGHUP"] as const)(
    "ends the server's process group on %s, then ends by the signal itself",
    async (signal) => {
      const dir = tempDir();
      try {
        const pidFile = join(dir.path, "server.pid");
        // A server that never answers initialize, and says its pid once it runs.
        const server = `require("node:fs").writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); setInterval(() => {}, 1000);`;
        const child = spawn(
          process.execPath,
          [policylayerBin, "tools", "--", process.execPath, "-e", server],
          {
            stdio: "ignore",
            env: { ...process.env, POLICYLAYER_POLICY: "" },
          },
        );
        const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
          child.once("exit", (code, signal) => resolve(signal ?? code)),
        );
        await expect
          .poll(() => existsSync(pidFile), { timeout: 20_000, message: "the server's pid file" })
          .toBe(true);
        const serverPid = Number(readFileSync(pidFile, "utf8"));
        child.kill(signal);
        expect(await exited).toBe(signal);
        await expect
          .poll(() => isAlive(serverPid), { timeout: 10_000, message: "the server to be gone" })
          .toBe(false);
      } finally {
        dir.cleanup();
      }
    },
  );
});
