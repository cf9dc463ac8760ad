import { describeClassification } from "../classify/describe.js";
import { argumentView, formatArgumentEntry, isolatedJsonStrings } from "../display/arguments.js";
import { visibleField, visibleToolName } from "../display/visible.js";
import { stringifyJson } from "../wire/json.js";
import { isJsonObject } from "../wire/jsonrpc.js";
import type { ApprovalChannel, ChannelAnswer } from "./approver.js";
import type { ApprovalRequest } from "./request.js";

/** Sends our own requests to the client (ids that never collide with the server's). */
export interface ClientRequester {
  request(
    method: string,
    params: Record<string, unknown>,
  ): { response: Promise<unknown>; cancel(reason: string): void };
}

/** A tool name, argument key or value longer than this is cut in the question (with a marker), so a huge call stays readable. */
const MAX_VALUE_CHARS = 1000;

/** The question a person reads in the client: one field per line, every argument key, hidden characters as marks. */
export function approvalMessage(request: ApprovalRequest, serverLabel: string): string {
  const args = argumentView(stringifyJson(request.call.arguments), MAX_VALUE_CHARS).entries;
  return [
    `policylayer: approve this tool call?`,
    ``,
    `Server: ${visibleField(serverLabel)}`,
    `Tool: ${visibleToolName(request.call.name, MAX_VALUE_CHARS)}`,
    `Classification: ${visibleField(describeClassification(request.classification))}`,
    `Why approval is needed: ${visibleField(request.decision.reason)}`,
    args.length === 0 ? "Arguments: none" : "Arguments:",
    // A client lays this out with the bidi algorithm: each string isolated, so none reorders the rest.
    ...args.map((entry) => `  ${isolatedJsonStrings(formatArgumentEntry(entry))}`),
    ``,
    `Answer within ${request.timeoutSeconds} seconds; no answer denies the call.`,
  ].join("\n");
}

/** The elicitation/create params that ask a person in the client about one call (both eras). */
export function approvalElicitation(request: ApprovalRequest, serverLabel: string): Record<string, unknown> {
  return {
    message: approvalMessage(request, serverLabel),
    requestedSchema: {
      type: "object",
      properties: {
        approve: {
          type: "boolean",
          title: `Run ${visibleToolName(request.call.name, 200)}?`,
          description: "Yes runs this exact call once; no denies it.",
        },
      },
      required: ["approve"],
    },
  };
}

/** What the client's elicitation answer means for the call. */
export function interpretElicitation(result: unknown): ChannelAnswer {
  const answer = isJsonObject(result) ? result : {};
  const content = isJsonObject(answer.content) ? answer.content : {};
  if (answer.action === "accept" && content.approve === true) {
    return {
      approved: true,
      decidedBy: "user (in the client)",
      reason: "approved by the user in the client",
    };
  }
  if (answer.action === "accept") {
    return {
      approved: false,
      decidedBy: "user (in the client)",
      reason: "the user answered no to the approval request in the client",
    };
  }
  if (answer.action === "decline") {
    return {
      approved: false,
      decidedBy: "user (in the client)",
      reason: "the user declined the approval request in the client",
    };
  }
  if (answer.action === "cancel") {
    return {
      approved: false,
      decidedBy: "user (in the client)",
      reason: "the user dismissed the approval request in the client",
    };
  }
  return {
    approved: false,
    decidedBy: "policylayer",
    reason: "the client's answer to the approval request was not understood, so the call was denied",
  };
}

/** Channel 1: ask in the client with MCP elicitation (the client declared the capability). */
export function elicitationChannel(requester: ClientRequester, serverLabel: string): ApprovalChannel {
  return {
    name: "elicitation",
    ask(request) {
      const { response, cancel } = requester.request(
        "elicitation/create",
        approvalElicitation(request, serverLabel),
      );
      return {
        answer: response.then(interpretElicitation),
        // A client's answer comes only as the response, which a cancelled request never gets.
        withdraw: (reason) => {
          cancel(reason);
          return null;
        },
      };
    },
  };
}
