import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";

/** Where policylayer keeps per-user state: $POLICYLAYER_STATE_DIR, else $XDG_STATE_HOME/policylayer, else ~/.local/state/policylayer. */
export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  // Absolute, so that a wrap started elsewhere (Claude Desktop's working directory) and the CLI agree.
  if (env.POLICYLAYER_STATE_DIR) return resolve(env.POLICYLAYER_STATE_DIR);
  // The XDG Base Directory spec: a relative path there is invalid and is ignored (the CLI and a wrap
  // started in other folders would otherwise each find their own inbox).
  const xdg = env.XDG_STATE_HOME;
  const stateHome = xdg && isAbsolute(xdg) ? xdg : join(homedir(), ".local", "state");
  return join(stateHome, "policylayer");
}

/** Where the audit log goes when neither --audit nor the policy's audit block says: audit.jsonl in the state directory. */
export function defaultAuditPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(stateDir(env), "audit.jsonl");
}

/** The files of the approval inbox under a state directory. */
export interface InboxPaths {
  root: string;
  pending: string;
  decisions: string;
  tmp: string;
  recent: string;
}

/** The approval inbox's folders and files under the state directory `dir`. */
export function inboxPaths(dir: string): InboxPaths {
  const root = join(dir, "approvals");
  return {
    root,
    pending: join(root, "pending"),
    decisions: join(root, "decisions"),
    tmp: join(root, "tmp"),
    recent: join(root, "recent.jsonl"),
  };
}
