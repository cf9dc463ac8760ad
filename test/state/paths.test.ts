import { homedir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { defaultAuditPath, stateDir } from "../../src/state/paths.js";

describe("stateDir", () => {
  it("prefers $POLICYLAYER_STATE_DIR (made absolute), then $XDG_STATE_HOME/policylayer, then ~/.local/state/policylayer", () => {
    expect(stateDir({ POLICYLAYER_STATE_DIR: "/a", XDG_STATE_HOME: "/b" })).toBe("/a");
    expect(stateDir({ POLICYLAYER_STATE_DIR: "state" })).toBe(join(process.cwd(), "state"));
    expect(stateDir({ XDG_STATE_HOME: "/b" })).toBe("/b/policylayer");
    expect(stateDir({})).toBe(join(homedir(), ".local", "state", "policylayer"));
  });

  it("ignores a relative $XDG_STATE_HOME, as the XDG Base Directory spec says", () => {
    expect(stateDir({ XDG_STATE_HOME: "state" })).toBe(join(homedir(), ".local", "state", "policylayer"));
  });
});

describe("defaultAuditPath", () => {
  it("puts the audit log in the state folder, so $POLICYLAYER_STATE_DIR moves it with the approval inbox", () => {
    expect(defaultAuditPath({ POLICYLAYER_STATE_DIR: "/a", XDG_STATE_HOME: "/b" })).toBe("/a/audit.jsonl");
    expect(defaultAuditPath({ XDG_STATE_HOME: "/b" })).toBe("/b/policylayer/audit.jsonl");
    expect(defaultAuditPath({})).toBe(join(homedir(), ".local", "state", "policylayer", "audit.jsonl"));
  });
});
