import { describeClassification } from "../classify/describe.js";
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

/** Arguments longer than this are cut in the question, so a huge call stays readable. */
const MAX_ARGUMENT_CHARS = 4000;

/** The question a person reads in the client. */
export function approvalMessage(request: ApprovalRequest, serverLabel: string): string {
  let args = JSON.stringify(request.call.arguments, null, 2);
  if (args.length > MAX_ARGUMENT_CHARS) {
    args = `${args.slice(0, MAX_ARGUMENT_CHARS)}\n… (${args.length - MAX_ARGUMENT_CHARS} more characters not shown)`;
  }
  return [
    `policylayer: approve this tool call?`,
    ``,
    `Server: ${serverLabel}`,
    `Tool: ${request.call.name}`,
    `Classification: ${describeClassification(request.classification)}`,
    `Why approval is needed: ${request.decision.reason}`,
    `Arguments:`,
    args,
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
          title: `Run ${request.call.name}?`,
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
      return { answer: response.then(interpretElicitation), withdraw: cancel };
    },
  };
}
