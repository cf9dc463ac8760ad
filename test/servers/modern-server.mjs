#!/usr/bin/env node
// A small MCP server of our own on the real SDK 2.x (@modelcontextprotocol/server), serving both
// eras from one factory: tools that record each execution (a JSON line per run in RECORD_FILE, which
// tests read to see what the server actually ran) and a tool, a prompt and a resource that ask the
// client for input mid-call (2026-07-28 input_required with a signed requestState; the SDK's legacy
// shim turns the same return into a real elicitation/create for a 2025 client).
// MODERN_ONLY=1 refuses the legacy era (serveStdio's `legacy: "reject"`).
import { appendFileSync } from "node:fs";
import {
  acceptedContent,
  createRequestStateCodec,
  fromJsonSchema,
  inputRequired,
  McpServer,
} from "@modelcontextprotocol/server";
import { serveStdio } from "@modelcontextprotocol/server/stdio";

const recordFile = process.env.RECORD_FILE;
const record = (entry) => {
  if (recordFile) appendFileSync(recordFile, `${JSON.stringify(entry)}\n`);
};

const stateCodec = createRequestStateCodec({
  key: crypto.getRandomValues(new Uint8Array(32)),
  ttlSeconds: 600,
});
const nameSchema = { type: "object", properties: { name: { type: "string" } }, required: ["name"] };
const anyArguments = fromJsonSchema({ type: "object", additionalProperties: true });
const askName = (message) =>
  inputRequired({
    inputRequests: { name: inputRequired.elicit({ message, requestedSchema: nameSchema }) },
  });

function build() {
  const server = new McpServer(
    { name: "modern-recording-server", version: "1.0.0" },
    {
      capabilities: { tools: { listChanged: true }, prompts: {}, resources: {} },
      requestState: { verify: stateCodec.verify },
    },
  );
  for (const name of ["echo", "delete_stack", "deploy"]) {
    server.registerTool(
      name,
      { description: `${name}: records each run`, inputSchema: anyArguments },
      async (args) => {
        record({ tool: name, arguments: args });
        return { content: [{ type: "text", text: `${name} ran with ${JSON.stringify(args)}` }] };
      },
    );
  }
  // Asks for a name (first round), then greets and records the run (second round).
  server.registerTool(
    "greet",
    { description: "Greets someone; asks for the name mid-call", inputSchema: anyArguments },
    async (args, ctx) => {
      const answer = acceptedContent(ctx.mcpReq.inputResponses, "name");
      const state = ctx.mcpReq.requestState();
      if (answer === undefined || state?.asked !== true) {
        record({ tool: "greet", round: "asked" });
        return inputRequired({
          inputRequests: {
            name: inputRequired.elicit({ message: "Whom shall I greet?", requestedSchema: nameSchema }),
          },
          requestState: await stateCodec.mint({ asked: true }),
        });
      }
      record({ tool: "greet", arguments: args, name: answer.name });
      return { content: [{ type: "text", text: `Hello, ${answer.name}` }] };
    },
  );
  server.registerPrompt("greeting", { description: "A greeting; asks for the name" }, async (ctx) => {
    const answer = acceptedContent(ctx.mcpReq.inputResponses, "name");
    if (answer === undefined) return askName("Whose greeting?");
    return { messages: [{ role: "user", content: { type: "text", text: `Greet ${answer.name}` } }] };
  });
  server.registerResource(
    "config",
    "config://app",
    { description: "Asks whose config" },
    async (uri, ctx) => {
      const answer = acceptedContent(ctx.mcpReq.inputResponses, "name");
      if (answer === undefined) return askName("Whose config?");
      return { contents: [{ uri: uri.href, text: `config of ${answer.name}` }] };
    },
  );
  return server;
}

serveStdio(build, process.env.MODERN_ONLY === "1" ? { legacy: "reject" } : {});
