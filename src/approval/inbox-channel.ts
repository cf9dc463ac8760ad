import type { ApprovalChannel } from "./approver.js";
import { type ApprovalInbox, type InboxDecision, pendingInputFor } from "./inbox-wait.js";
import { NotificationThrottle } from "./notice-throttle.js";
import { describeForPerson, notificationFor, notifyDesktop } from "./notify.js";

/** One for the whole process: every session's questions share the person's attention. */
const desktopNotices = new NotificationThrottle(notifyDesktop);

/**
 * Channel 2: the local approval inbox, for clients that cannot ask. The person is told on our
 * stderr and with a desktop notification, and answers with `policylayer approve|deny` or the web page.
 */
export function inboxChannel(
  inbox: () => ApprovalInbox,
  context: { session: string; server: string },
  warn: (message: string) => void,
): ApprovalChannel {
  return {
    name: "inbox",
    ask(request) {
      const submitted = inbox().submit(pendingInputFor(request, context));
      warn(describeForPerson(submitted.entry));
      const notification = notificationFor(submitted.entry);
      desktopNotices.notify(notification.title, notification.body);
      const asChannelAnswer = (decision: InboxDecision) => ({
        approved: decision.approved,
        decidedBy: decision.decidedBy,
        reason: decision.reason,
      });
      return {
        answer: submitted.decision.then(asChannelAnswer),
        withdraw: (reason) => {
          const given = submitted.withdraw(reason);
          return given === null ? null : asChannelAnswer(given);
        },
      };
    },
  };
}
