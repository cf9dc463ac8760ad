import { describe, expect, it } from "vitest";
import { peerUidInTable } from "../../src/approval/peer-user.js";

// Rows as /proc/net/tcp writes them: the client end 127.0.0.1:40000 -> 127.0.0.1:8123 (0x9C40 -> 0x1FBB).
const HEADER =
  "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode";
const row = (uid: number, inode: number, state = "01") =>
  `   3: 0100007F:9C40 0100007F:1FBB ${state} 00000000:00000000 00:00000000 00000000  ${uid}        0 ${inode} 1 0000000000000000 20 4 30 10 -1`;

describe("the owner of a connection to the approval page", () => {
  it("is the uid of the client end's row", () => {
    expect(peerUidInTable(`${HEADER}\n${row(1000, 48211)}\n`, 40000, 8123)).toBe(1000);
    expect(peerUidInTable(`${HEADER}\n${row(1000, 48211)}\n`, 40001, 8123)).toBeNull();
  });

  it("is not believed for a socket its program has closed (no inode: the kernel lists it as root's)", () => {
    // TIME_WAIT (06) and FIN_WAIT2 (05) rows of another user's closed client read uid 0.
    expect(peerUidInTable(`${HEADER}\n${row(0, 0, "06")}\n`, 40000, 8123)).toBeNull();
    expect(peerUidInTable(`${HEADER}\n${row(0, 0, "05")}\n`, 40000, 8123)).toBeNull();
  });

  it("is found in an IPv4-mapped row of tcp6", () => {
    const mapped = `   0: 0000000000000000FFFF00000100007F:9C40 0000000000000000FFFF00000100007F:1FBB 01 00000000:00000000 00:00000000 00000000  1000        0 5512 1 0000000000000000 20 4 30 10 -1`;
    expect(peerUidInTable(`${HEADER}\n${mapped}\n`, 40000, 8123)).toBe(1000);
  });
});
