// The agents' inbox: signs in with a token, shows the queue and one conversation, and
// follows the event stream (fetch + ReadableStream, so the token travels as a header).
// Every customer text is inserted with textContent, never as HTML.
"use strict";

const TOKEN_KEY = "convo.agentToken";
const $ = (id) => document.getElementById(id);
let token = sessionStorage.getItem(TOKEN_KEY);
let current = null; // the open conversation's id
let loaded = null; // its last detail
let streamAbort = null;

function el(tag, text, cls) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = text;
  if (cls) node.className = cls;
  return node;
}

async function api(path, options = {}) {
  const response = await fetch("/agent/api" + path, {
    ...options,
    headers: { Authorization: "Bearer " + token, "Content-Type": "application/json" },
  });
  if (response.status === 401) { signOut("Your token was refused (unknown or expired)."); throw new Error("401"); }
  const body = response.status === 204 ? {} : await response.json();
  if (!response.ok) {
    const detail = body.detail || {};
    const message = typeof detail === "string" ? detail : detail.message
      || (Array.isArray(detail) ? detail.map((d) => d.msg).join("; ") : response.statusText);
    throw new Error(message);
  }
  return body;
}

function showError(message) { $("error").textContent = message || ""; }

function signOut(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  token = null;
  if (streamAbort) streamAbort.abort();
  $("app").hidden = true; $("sign-out").hidden = true; $("sign-in").hidden = false;
  $("sign-in-error").textContent = message || "";
  $("me").textContent = "";
}

async function start() {
  try {
    const me = await api("/me");
    $("me").textContent = me.name + " · " + me.tenant;
  } catch (error) { return; }
  $("sign-in").hidden = true; $("app").hidden = false; $("sign-out").hidden = false;
  await refreshQueue();
  follow();
}

function queueItem(item) {
  const li = el("li");
  li.dataset.id = item.id;
  li.dataset.testid = "queue-item";
  li.append(el("span", item.customer.name || item.customer.wa_id));
  const info = item.state === "requested"
    ? "waiting · " + item.unanswered + " message(s)"
    : "with " + (item.agent || "?");
  li.append(el("small", info));
  if (item.id === current) li.classList.add("current");
  li.addEventListener("click", () => openConversation(item.id));
  return li;
}

async function refreshQueue() {
  const waiting = await api("/conversations?state=waiting");
  const active = await api("/conversations?state=in_progress");
  $("waiting").replaceChildren(...waiting.conversations.map(queueItem));
  $("in-progress").replaceChildren(...active.conversations.map(queueItem));
}

async function openConversation(id) {
  current = id;
  showError("");
  await refreshConversation();
  await refreshQueue();
}

function messageItem(message) {
  const who = message.direction === "inbound" ? "customer" : message.author;
  let cls = message.direction;
  if (who.startsWith("agent:") || who.startsWith("chatwoot:")) cls += " agent";
  if (who === "system") cls += " system";
  const li = el("li", null, cls);
  li.dataset.testid = "message";
  li.dataset.direction = message.direction;
  let text = message.text || "[" + message.kind + "]";
  if (message.buttons && message.buttons.length) text += "\n[" + message.buttons.join(" | ") + "]";
  li.append(el("span", text));
  const meta = [message.author_name || who, message.at ? new Date(message.at).toLocaleTimeString() : ""];
  if (message.direction === "outbound") meta.push(message.status);
  if (message.error) meta.push(message.error);
  li.append(el("small", meta.filter(Boolean).join(" · ")));
  return li;
}

function contextRows(context) {
  const rows = [];
  const add = (name, value) => {
    if (value === null || value === undefined || value === "" || (Array.isArray(value) && !value.length)) return;
    rows.push(el("dt", name), el("dd", typeof value === "string" ? value : JSON.stringify(value)));
  };
  add("lane", context.lane);
  add("intent", context.intent);
  add("reason", context.reason);
  add("cart", (context.cart || []).map((l) => l.quantity + " × " + l.name));
  add("order", context.pending_order && context.pending_order.order_id);
  add("orders", context.recent_order_ids);
  add("tickets", context.tickets);
  return rows;
}

function ticketItem(ticket) {
  const li = el("li");
  li.dataset.testid = "ticket";
  li.append(el("strong", ticket.number + " "), el("span", ticket.category + " · " + ticket.status));
  li.append(el("small", ticket.summary));
  if (ticket.status !== "solved" && ticket.status !== "closed") {
    const solve = el("button", "Solve");
    solve.dataset.testid = "solve";
    solve.addEventListener("click", () => act("/conversations/" + current + "/tickets/" + ticket.number + "/solve"));
    li.append(solve);
  }
  return li;
}

async function refreshConversation() {
  if (current === null) return;
  const c = await api("/conversations/" + current);
  loaded = c;
  $("conversation").hidden = false;
  $("customer").textContent = (c.customer.name || "") + " · " + c.customer.wa_id;
  $("state").textContent = c.state === "with_agent" ? "with " + c.agent : c.state;
  $("state").dataset.state = c.state;
  $("claim").hidden = c.state !== "requested";
  $("release").hidden = !(c.state === "requested" || c.claimed_by_me);
  $("lane").hidden = $("release").hidden;
  $("reply-form").hidden = !c.reply.can_reply;
  const needsTemplate = c.reply.needs === "template";
  $("template-box").hidden = !needsTemplate;
  $("reply").hidden = needsTemplate;
  $("template").replaceChildren(...c.reply.templates.map((t) => {
    const option = el("option", t.name + " (" + t.language + ")");
    option.value = JSON.stringify({ name: t.name, language: t.language });
    return option;
  }));
  const list = $("transcript");
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  list.replaceChildren(...c.transcript.map(messageItem));
  if (atBottom) list.scrollTop = list.scrollHeight;
  $("context").replaceChildren(...contextRows(c.context));
  $("tickets").replaceChildren(...c.tickets.map(ticketItem));
  $("notes").replaceChildren(...c.notes.map((n) => el("li", n.author + ": " + n.text)));
  $("history").replaceChildren(...c.history.map((h) => el("li", h.from + " → " + h.to + " (" + h.reason + ", " + h.actor + ")")));
}

async function act(path, body) {
  showError("");
  try {
    await api(path, { method: "POST", body: JSON.stringify(body || {}) });
  } catch (error) {
    showError(error.message);
  }
  await refreshConversation();
  await refreshQueue();
}

function newRequestId() {
  return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 10);
}

async function follow() {
  if (streamAbort) streamAbort.abort();
  streamAbort = new AbortController();
  let lastId = "";
  for (;;) {
    try {
      const headers = { Authorization: "Bearer " + token };
      if (lastId) headers["Last-Event-ID"] = lastId;
      const response = await fetch("/agent/api/events", { headers, signal: streamAbort.signal });
      if (response.status === 401) { signOut("Your token was refused."); return; }
      $("live").textContent = "live"; $("live").classList.add("on");
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const id = block.split("\n").find((line) => line.startsWith("id: "));
          if (id) { lastId = id.slice(4); await onEvent(block); }
        }
      }
    } catch (error) {
      if (streamAbort.signal.aborted) return;
    }
    $("live").textContent = "reconnecting"; $("live").classList.remove("on");
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

async function onEvent(block) {
  const data = block.split("\n").find((line) => line.startsWith("data: "));
  if (!data) return;
  const event = JSON.parse(data.slice(6));
  await refreshQueue();
  if (event.conversation_id === current) await refreshConversation();
}

document.addEventListener("DOMContentLoaded", () => {
  const fromLink = new URLSearchParams(location.hash.slice(1)).get("token");
  if (fromLink) {
    token = fromLink;
    sessionStorage.setItem(TOKEN_KEY, token);
    history.replaceState(null, "", location.pathname); // the token leaves the address bar
  }
  $("sign-in").addEventListener("submit", (event) => {
    event.preventDefault();
    token = $("token").value.trim();
    sessionStorage.setItem(TOKEN_KEY, token);
    $("token").value = "";
    start();
  });
  $("sign-out").addEventListener("click", () => signOut(""));
  $("claim").addEventListener("click", () => act("/conversations/" + current + "/claim"));
  $("release").addEventListener("click", () => {
    const lane = $("lane").value;
    act("/conversations/" + current + "/release", lane ? { lane } : {});
  });
  $("reply-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    let body;
    if (loaded && loaded.reply.needs === "template") {
      if (!$("template").value) { showError("No template is configured for this business."); return; }
      body = { template: JSON.parse($("template").value) };
    } else {
      const text = $("reply").value;
      if (!text.trim()) { showError("Write something first."); return; }
      body = { text };
    }
    body.request_id = newRequestId();
    await act("/conversations/" + current + "/reply", body);
    if (!$("error").textContent) $("reply").value = "";
  });
  $("note-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = $("note").value;
    if (!text.trim()) return;
    await act("/conversations/" + current + "/notes", { text });
    if (!$("error").textContent) $("note").value = "";
  });
  if (token) start(); else signOut("");
});
