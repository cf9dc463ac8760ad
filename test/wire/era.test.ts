import { describe, expect, it } from "vitest";
import { paramsInEra, requestEraOf, resultInEra } from "../../src/wire/era.js";

const MODERN_META = {
  "io.modelcontextprotocol/protocolVersion": "2026-07-28",
  "io.modelcontextprotocol/clientInfo": { name: "c", version: "1" },
  "io.modelcontextprotocol/clientCapabilities": { elicitation: { form: {} } },
  progressToken: 7,
};

describe("the era of one request", () => {
  it("is modern when _meta names a protocol version, with its envelope and capabilities", () => {
    const era = requestEraOf({ name: "x", _meta: MODERN_META });
    expect(era.era).toBe("modern");
    expect(era.protocolVersion).toBe("2026-07-28");
    expect(era.clientCapabilities).toEqual({ elicitation: { form: {} } });
    // The request's own progress token is not part of the envelope.
    expect(era.envelope).toEqual({
      "io.modelcontextprotocol/protocolVersion": "2026-07-28",
      "io.modelcontextprotocol/clientInfo": { name: "c", version: "1" },
      "io.modelcontextprotocol/clientCapabilities": { elicitation: { form: {} } },
    });
  });

  it("takes only the protocol version, client info and capabilities into the envelope, not a log level or a future key", () => {
    const era = requestEraOf({
      _meta: {
        ...MODERN_META,
        "io.modelcontextprotocol/logLevel": "debug",
        "io.modelcontextprotocol/subscriptionId": "listen:0",
        "io.modelcontextprotocol/futureKey": true,
      },
    });
    expect(era.envelope).toEqual({
      "io.modelcontextprotocol/protocolVersion": "2026-07-28",
      "io.modelcontextprotocol/clientInfo": { name: "c", version: "1" },
      "io.modelcontextprotocol/clientCapabilities": { elicitation: { form: {} } },
    });
  });

  it("is legacy without _meta, without a protocol version, or with a non-string one", () => {
    expect(requestEraOf(undefined).era).toBe("legacy");
    expect(requestEraOf({ name: "x" }).era).toBe("legacy");
    expect(requestEraOf({ _meta: { progressToken: 1 } }).era).toBe("legacy");
    expect(requestEraOf({ _meta: { "io.modelcontextprotocol/protocolVersion": 2026 } }).era).toBe("legacy");
  });

  it("puts the envelope on a request of our own made for a modern request, and nothing for a legacy one", () => {
    const modern = requestEraOf({ _meta: MODERN_META });
    expect(paramsInEra(modern, { cursor: "c" })).toEqual({
      cursor: "c",
      _meta: {
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientInfo": { name: "c", version: "1" },
        "io.modelcontextprotocol/clientCapabilities": { elicitation: { form: {} } },
      },
    });
    expect(paramsInEra(requestEraOf({}), { cursor: "c" })).toEqual({ cursor: "c" });
  });

  it("marks results we make complete in the modern era only", () => {
    expect(resultInEra("modern", { content: [] })).toEqual({ content: [], resultType: "complete" });
    expect(resultInEra("legacy", { content: [] })).toEqual({ content: [] });
  });
});
