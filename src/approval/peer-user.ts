import { readFileSync } from "node:fs";
import type { Socket } from "node:net";
import { errorCode } from "./files.js";

// Who is at the other end of a connection to the approval page. Other local users can connect to
// 127.0.0.1 too, and can read a browser's command line (/proc/<pid>/cmdline), one-time address
// included: the page serves only connections that the kernel says are its own user's.

/** The connection tables Linux keeps, IPv4 first; a client's dual-stack socket is listed in tcp6. */
const TABLES = ["/proc/net/tcp", "/proc/net/tcp6"];
/** 127.0.0.1 as the tables write it (the address's bytes in host order, little-endian), bare or IPv4-mapped. */
const LOOPBACK_SUFFIX = "0100007F";

/** Whether the client of a connection to 127.0.0.1:`serverPort` runs as this process's user. */
export function peerIsThisUser(socket: Socket, serverPort: number): boolean {
  const uid = process.getuid?.();
  // No user ids (Windows): nothing to tell apart.
  if (uid === undefined) return true;
  const peerPort = socket.remotePort;
  // Closed already: nothing to answer.
  if (peerPort === undefined) return false;
  const peerUid = loopbackPeerUid(peerPort, serverPort);
  // undefined: no connection tables, the owner cannot be told (believed off Linux only: on Linux the
  // tables are missing only where /proc is not mounted); null: not listed, not believed.
  if (peerUid === undefined) return process.platform !== "linux";
  return peerUid === uid;
}

/**
 * The user id owning the client end of the TCP connection from 127.0.0.1:`peerPort` to
 * 127.0.0.1:`serverPort`; null when the tables do not list it; undefined where there are no such
 * tables (not Linux), so the owner cannot be told.
 */
function loopbackPeerUid(peerPort: number, serverPort: number): number | null | undefined {
  let found = false;
  for (const table of TABLES) {
    let text: string;
    try {
      text = readFileSync(table, "latin1");
    } catch (error) {
      if (errorCode(error) === "ENOENT") continue;
      throw error;
    }
    found = true;
    const owner = peerUidInTable(text, peerPort, serverPort);
    if (owner !== null) return owner;
  }
  return found ? null : undefined;
}

/**
 * The owner of the client end in one connection table's text, or null. A row whose socket has no
 * inode is a socket its program has closed (TIME_WAIT, FIN_WAIT2, orphaned): the kernel lists it
 * as root's, so it is not believed. Otherwise another user could connect, send the one-time
 * address and close at once, and a page run by root would take them for its own user.
 */
export function peerUidInTable(text: string, peerPort: number, serverPort: number): number | null {
  for (const line of text.split("\n").slice(1)) {
    // sl local_address rem_address st queues tr:when retrnsmt uid timeout inode ...
    const fields = line.trim().split(/\s+/);
    const [local, remote, uid, inode] = [fields[1], fields[2], fields[7], fields[9]];
    if (local === undefined || remote === undefined || uid === undefined || inode === undefined) continue;
    if (isLoopback(local, peerPort) && isLoopback(remote, serverPort))
      return inode === "0" ? null : Number(uid);
  }
  return null;
}

/** Whether a table's `ADDRESS:PORT` (hex) is 127.0.0.1 (bare or IPv4-mapped) at `port`. */
function isLoopback(address: string, port: number): boolean {
  const colon = address.indexOf(":");
  if (colon < 0 || Number.parseInt(address.slice(colon + 1), 16) !== port) return false;
  const host = address.slice(0, colon).toUpperCase();
  return host === LOOPBACK_SUFFIX || host === `0000000000000000FFFF0000${LOOPBACK_SUFFIX}`;
}
