// Every conversation method of intercom-client 7.0.3 against a live `parlour serve`.
//
// Usage: node conversations.mjs BASE_URL TOKEN FIXTURES.json
// FIXTURES.json: {"admin", "assignee", "router", "team", "user", "lead", "tag"} (ids as strings).
// Prints one JSON document on stdout: {"methods": [...], "steps": [{name, method, status,
// response | error}]}; the Python test (tests/e2e/test_node_intercom.py) judges it.
// Exits 1 with a message on stderr when a call fails that should not, or succeeds when
// Parlour must refuse it.

import { readFileSync } from "node:fs";
import { IntercomClient, IntercomError } from "intercom-client";

const [baseUrl, token, fixturesPath] = process.argv.slice(2);
if (!baseUrl || !token || !fixturesPath) {
  console.error("usage: node conversations.mjs BASE_URL TOKEN FIXTURES.json");
  process.exit(2);
}
const ids = JSON.parse(readFileSync(fixturesPath, "utf8"));

// No retries: a retried 5xx would hide a server error, and the client waits for the
// rate-limit window (X-RateLimit-Reset) before retrying a 501.
const client = new IntercomClient({ token, baseUrl, maxRetries: 0, timeoutInSeconds: 20 });
const steps = [];

class Unexpected extends Error {}

/** Await a client call and record its status and returned object under `name`. */
async function call(name, method, promise) {
  let result;
  try {
    result = await promise.withRawResponse();
  } catch (error) {
    throw new Unexpected(`${name} (${method}) failed: ${describe(error)}`);
  }
  steps.push({ name, method, status: result.rawResponse.status, response: result.data ?? null });
  return result.data;
}

/** Await a client call that must fail with an IntercomError and record the error. */
async function refused(name, method, promise) {
  try {
    const data = await promise;
    throw new Unexpected(`${name} (${method}) succeeded but must fail: ${JSON.stringify(data)}`);
  } catch (error) {
    if (error instanceof Unexpected) throw error;
    if (!(error instanceof IntercomError) || error.statusCode == null) {
      throw new Unexpected(`${name} (${method}) failed without an HTTP status: ${describe(error)}`);
    }
    steps.push({ name, method, status: error.statusCode, error: error.body ?? null });
  }
}

function describe(error) {
  if (error instanceof IntercomError) {
    return `HTTP ${error.statusCode}: ${JSON.stringify(error.body)}`;
  }
  return error?.stack ?? String(error);
}

/** The public methods of `client.conversations`, so the test notices a method it misses. */
function conversationMethods() {
  const proto = Object.getPrototypeOf(client.conversations);
  return Object.getOwnPropertyNames(proto)
    .filter((key) => key !== "constructor" && !key.startsWith("_"))
    .filter((key) => typeof proto[key] === "function")
    .sort();
}

function lastPart(conversation) {
  const parts = conversation.conversation_parts.conversation_parts;
  return parts[parts.length - 1];
}

async function run() {
  const c = client.conversations;
  const message = await call(
    "create", "conversations.create",
    c.create({ from: { type: "user", id: ids.user }, body: "Printer on fire" }),
  );
  const id = message.conversation_id;
  await call("find", "conversations.find", c.find({ conversation_id: id }));
  await call(
    "find_plaintext", "conversations.find",
    c.find({ conversation_id: id, display_as: "plaintext" }),
  );

  await call(
    "reply_admin_comment", "conversations.reply",
    c.reply({
      conversation_id: id,
      body: { message_type: "comment", type: "admin", admin_id: ids.admin, body: "Try turning it off" },
    }),
  );
  await call(
    "reply_admin_note", "conversations.reply",
    c.reply({
      conversation_id: id,
      body: { message_type: "note", type: "admin", admin_id: ids.admin, body: "<p>Checking the logs</p>" },
    }),
  );
  const contactReply = await call(
    "reply_contact", "conversations.reply",
    c.reply({
      conversation_id: id,
      body: { message_type: "comment", type: "user", intercom_user_id: ids.user, body: "Still on fire" },
    }),
  );

  const manage = (name, body) =>
    call(name, "conversations.manage", c.manage({ conversation_id: id, body }));
  await manage("assign_admin", {
    message_type: "assignment", type: "admin", admin_id: ids.admin, assignee_id: ids.assignee,
  });
  await manage("assign_team", {
    message_type: "assignment", type: "team", admin_id: ids.admin, assignee_id: ids.team,
  });
  await manage("unassign_admin", {
    message_type: "assignment", type: "admin", admin_id: ids.admin, assignee_id: "0",
  });
  await call(
    "run_assignment_rules", "conversations.runAssignmentRules",
    c.runAssignmentRules({ conversation_id: id }),
  );
  await manage("snooze", {
    message_type: "snoozed", admin_id: ids.admin,
    snoozed_until: Math.floor(Date.now() / 1000) + 3600,
  });
  await manage("open", { message_type: "open", admin_id: ids.admin });
  await manage("close", { message_type: "close", type: "admin", admin_id: ids.admin, body: "Fixed" });

  await call(
    "tag", "tags.tagConversation",
    client.tags.tagConversation({ conversation_id: id, id: ids.tag, admin_id: ids.admin }),
  );
  await call("find_tagged", "conversations.find", c.find({ conversation_id: id }));
  await call(
    "untag", "tags.untagConversation",
    client.tags.untagConversation({ conversation_id: id, tag_id: ids.tag, admin_id: ids.admin }),
  );
  await call("find_untagged", "conversations.find", c.find({ conversation_id: id }));

  await call(
    "attach_contact", "conversations.attachContactAsAdmin",
    c.attachContactAsAdmin({
      conversation_id: id, admin_id: ids.admin, customer: { intercom_user_id: ids.lead },
    }),
  );
  await call(
    "detach_contact", "conversations.detachContactAsAdmin",
    c.detachContactAsAdmin({ conversation_id: id, contact_id: ids.lead, admin_id: ids.admin }),
  );

  await call(
    "update", "conversations.update",
    c.update({
      conversation_id: id, read: true, title: "Printer fire",
      custom_attributes: { issue_type: "Hardware" },
    }),
  );
  await call(
    "update_plaintext", "conversations.update",
    c.update({ conversation_id: id, display_as: "plaintext", custom_attributes: { priority: "High" } }),
  );

  await call(
    "redact_part", "conversations.redactConversationPart",
    c.redactConversationPart({
      type: "conversation_part", conversation_id: id, conversation_part_id: lastPart(contactReply).id,
    }),
  );
  await call(
    "redact_source", "conversations.redactConversationPart",
    c.redactConversationPart({ type: "source", conversation_id: id, source_id: message.id }),
  );

  // More conversations so that listing spans several pages.
  for (const body of ["Second", "Third", "Fourth", "Fifth"]) {
    await call("create_more", "conversations.create", c.create({ from: { type: "lead", id: ids.lead }, body }));
  }
  let page = await c.list({ per_page: 2 });
  steps.push({ name: "list_page", method: "conversations.list", status: page.rawResponse.status, response: page.response });
  while (page.hasNextPage()) {
    page = await page.getNextPage();
    steps.push({ name: "list_page", method: "conversations.list", status: page.rawResponse.status, response: page.response });
  }
  const iterated = [];
  for await (const conversation of await c.list({ per_page: 2 })) {
    iterated.push(conversation.id);
  }
  // The pager fetches these pages itself: there is no one status to report.
  steps.push({ name: "list_iterated", method: "conversations.list", status: null, response: iterated });

  // Search: the open conversations (the four above; the first one is closed), two a page.
  let found = await c.search({ query: { field: "open", operator: "=", value: true }, pagination: { per_page: 2 } });
  steps.push({ name: "search_page", method: "conversations.search", status: found.rawResponse.status, response: found.response });
  while (found.hasNextPage()) {
    found = await found.getNextPage();
    steps.push({ name: "search_page", method: "conversations.search", status: found.rawResponse.status, response: found.response });
  }

  // Tickets are out of Parlour's scope: an Intercom error, not a fake success.
  await refused(
    "convert_to_ticket", "conversations.convertToTicket",
    c.convertToTicket({ conversation_id: Number(id), ticket_type_id: "1" }),
  );

  await call(
    "delete", "conversations.deleteConversation",
    c.deleteConversation({ conversation_id: Number(id) }),
  );
  await refused("find_deleted", "conversations.find", c.find({ conversation_id: id }));
}

try {
  await run();
} catch (error) {
  console.error(error instanceof Unexpected ? error.message : describe(error));
  console.error(`completed steps: ${steps.map((s) => s.name).join(", ") || "none"}`);
  process.exit(1);
}
process.stdout.write(`${JSON.stringify({ methods: conversationMethods(), steps })}\n`);
