import { describe, expect, it } from "vitest";
import { classifyEntry, parseWrapped, withPolicy, wrappedLine } from "../../src/install/entry.js";

/** Every launcher counts as a policylayer install here: launcher.test.ts checks which do. */
const ours = () => true;

describe("what an entry is", () => {
  it.each([
    [{ url: "https://x/mcp" }, "url"],
    [{ httpUrl: "https://x/mcp" }, "httpUrl"],
    [{ serverUrl: "https://x/sse" }, "serverUrl"],
    [{ type: "http", url: "https://x" }, "http"],
    [{ type: "sse", command: "ignored" }, "sse"],
    [{ type: "streamable-http", url: "https://x" }, "streamable-http"],
  ])("calls %j remote in Claude Code", (value, transport) => {
    expect(classifyEntry(value, "claude-code", ours)).toEqual({ kind: "remote", transport });
  });

  it.each([
    [{ args: ["x"] }, "it has no command"],
    [{ command: "npx", args: "x y" }, "its args are not a list of strings"],
    [{ command: "npx", args: [1] }, "its args are not a list of strings"],
    ["npx", "the entry is not an object"],
  ])("will not wrap %j", (value, reason) => {
    const kind = classifyEntry(value, "claude-code", ours);
    expect(kind.kind).toBe("unsupported");
    expect(kind.kind === "unsupported" && kind.reason).toContain(reason);
  });

  const stray = { command: "npx", args: ["srv"], url: "https://x/mcp" };
  it.each([
    ["claude-code", stray],
    ["claude-code", { ...stray, type: "stdio" }],
    ["vscode", { ...stray, type: "stdio" }],
    ["vscode", stray],
    ["claude-desktop", stray],
    ["codex", stray],
    ["gemini", { type: "sse", command: "npx", args: ["srv"] }],
  ] as const)("takes %s's entry %j with a command for the command it runs", (client, value) => {
    expect(classifyEntry(value, client, ours)).toEqual({
      kind: "stdio",
      line: { command: "npx", args: ["srv"] },
      wrapped: null,
      alsoRemote: null,
      unknownLauncher: null,
    });
  });

  it.each([
    ["claude-code", { type: "http", command: "npx", url: "https://x/mcp" }, "http"],
    ["vscode", { type: "sse", command: "npx" }, "sse"],
    ["gemini", stray, "url"],
    ["gemini", { ...stray, httpUrl: "https://y/mcp" }, "httpUrl"],
  ] as const)("takes %s's entry %j for the remote server it connects to", (client, value, transport) => {
    expect(classifyEntry(value, client, ours)).toEqual({ kind: "remote", transport });
  });

  it.each([
    ["cursor", stray, "url"],
    ["windsurf", { command: "npx", args: ["srv"], serverUrl: "https://x/mcp" }, "serverUrl"],
    ["cursor", { type: "sse", command: "npx", args: ["srv"] }, "type sse"],
  ] as const)(
    "calls %s's entry %j with a command and a url ambiguous, never remote",
    (client, value, also) => {
      const kind = classifyEntry(value, client, ours);
      expect(kind.kind).toBe("stdio");
      expect(kind.kind === "stdio" && kind.alsoRemote).toBe(also);
    },
  );

  it("recognizes policylayer run directly, through node, through npx, and on Windows", () => {
    const server = { command: "uvx", args: ["srv", "--flag"] };
    for (const launcher of [
      ["policylayer"],
      ["/usr/bin/node", "/opt/policylayer/bin/policylayer.js"],
      ["npx", "policylayer"],
      ["C:\\Program Files\\nodejs\\node.exe", "C:\\npm\\node_modules\\policylayer\\bin\\policylayer.js"],
    ]) {
      const line = wrappedLine(launcher, "/p.yaml", server);
      expect(parseWrapped(line)).toEqual({
        launcher: [...launcher, "wrap"],
        options: ["--policy", "/p.yaml"],
        policy: "/p.yaml",
        separated: true,
        server,
      });
    }
  });

  it("reads a line wrapped by hand without --, as wrap reads it, and keeps it without -- on a policy change", () => {
    const line = {
      command: "policylayer",
      args: ["wrap", "--policy", "/p.yaml", "--no-approval-inbox", "npx", "srv", "--policy", "x"],
    };
    const wrapped = parseWrapped(line);
    expect(wrapped).toEqual({
      launcher: ["policylayer", "wrap"],
      options: ["--policy", "/p.yaml", "--no-approval-inbox"],
      policy: "/p.yaml",
      separated: false,
      server: { command: "npx", args: ["srv", "--policy", "x"] },
    });
    expect(wrapped && withPolicy(wrapped, "/q.yaml")).toEqual({
      command: "policylayer",
      args: ["wrap", "--policy", "/q.yaml", "--no-approval-inbox", "npx", "srv", "--policy", "x"],
    });
  });

  it("does not take a line without -- COMMAND, or another program's wrap, for ours", () => {
    expect(parseWrapped({ command: "policylayer", args: ["wrap", "--policy", "p"] })).toBeNull();
    expect(parseWrapped({ command: "mcp-proxy", args: ["wrap", "--", "srv"] })).toBeNull();
  });

  it("changes only the policy of a wrapped line, in whichever spelling it has", () => {
    const spelled = parseWrapped({
      command: "policylayer",
      args: ["wrap", "--policy=/a.yaml", "--audit", "/log", "--", "srv"],
    });
    expect(spelled && withPolicy(spelled, "/b.yaml")).toEqual({
      command: "policylayer",
      args: ["wrap", "--policy=/b.yaml", "--audit", "/log", "--", "srv"],
    });
    const none = parseWrapped({ command: "policylayer", args: ["wrap", "--", "srv", "--policy", "x"] });
    expect(none?.policy).toBeNull();
    expect(none && withPolicy(none, "/b.yaml")).toEqual({
      command: "policylayer",
      args: ["wrap", "--policy", "/b.yaml", "--", "srv", "--policy", "x"],
    });
  });
});
