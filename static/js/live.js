// Live updates on the list and gift pages, and on an admin's Members page.
//
// A page that carries data-live-group opens its group's WebSocket (data-socket-url), which
// pushes Turbo Streams rendered for this person: tiles and the gift card are morphed in place,
// lists reloaded ("reload", a stream action defined here). On a gift page (data-viewing-gift)
// the socket says "view" when it opens and "heartbeat" every 25 s; closing it ends the presence.
// The page's cursor (data-cursor) makes the socket start exactly where the page was rendered.
//
// When the socket can't connect (or drops), the page long-polls the change feed instead
// (data-changes-url) and reloads, in place, the <turbo-frame> each change is about, says "I'm
// looking" with a POST (data-viewing-url), and keeps trying the socket again with backoff.
//
// A refresh never swallows a click: a frame is changed in place (morphed, so the button being
// pressed stays the same element), and not at all while a pointer is down in it or a form in it
// is being sent (from its submit until Turbo's turbo:submit-end). A change that arrives meanwhile
// is not rendered late from what it carried then (that would put back the state from before the
// click); the frame is fetched afresh once the submission has ended. A field being typed in keeps
// what was typed. Without JavaScript none of this runs; pages still work.
import {
  StreamActions,
  morphTurboFrameElements,
  renderStreamMessage,
  visit,
} from "../vendor/turbo/turbo.es2017-esm.min.js";
import { csrfToken } from "./csrf.js";

const WAIT_SECONDS = 25; // the long poll's longest wait
const HEARTBEAT_MS = 25000; // presence is refreshed at least this often (the server forgets after 60 s)
const FIRST_RETRY_MS = 2000;
const MAX_RETRY_MS = 30000;
const HIDDEN_FOR_LONG_MS = 5 * 60 * 1000;
const REFRESH_DELAY_MS = 100; // a burst of changes to one frame costs one reload
const IDLE_CHECK_MS = 50;

// --- waiting for a frame to be idle --------------------------------------------------------------

let pressedIn = null; // the element a pointer is down in, if any
const sending = new Set(); // forms submitted whose answer hasn't come yet
const started = new WeakSet(); // of those, the ones Turbo is sending

document.addEventListener("pointerdown", (event) => { pressedIn = event.target; }, true);
for (const type of ["pointerup", "pointercancel", "dragend"]) {
  // The click fires after pointerup: leave it a moment to start its submission.
  document.addEventListener(type, () => setTimeout(() => { pressedIn = null; }, IDLE_CHECK_MS), true);
}

document.addEventListener("submit", (event) => {
  const form = event.target;
  sending.add(form);
  // A confirmation is answered within the submit event, and Turbo starts sending right after it;
  // a submission it never started (declined, or not Turbo's to send) holds nothing back.
  setTimeout(() => { if (!started.has(form)) sending.delete(form); }, IDLE_CHECK_MS);
}, true);
document.addEventListener("turbo:submit-start", (event) => started.add(event.target));
document.addEventListener("turbo:submit-end", (event) => {
  started.delete(event.target);
  sending.delete(event.target);
});

function isSending(frame) {
  for (const form of sending) {
    if (!form.isConnected) sending.delete(form);
    else if (frame.contains(form) || form.dataset.turboFrame === frame.id) return true;
  }
  return false;
}

function isBusy(element) {
  if (!element) return false;
  const frame = element.closest("turbo-frame") ?? element;
  return frame.hasAttribute("busy") || (pressedIn !== null && frame.contains(pressedIn)) || isSending(frame);
}

function whenIdle(element) {
  return new Promise((resolve) => {
    const check = () => (isBusy(element) ? setTimeout(check, IDLE_CHECK_MS) : resolve());
    check();
  });
}

// --- what someone is typing ------------------------------------------------------------------------

// A field someone typed in keeps what they typed when a change is morphed in around it: the pledge
// box is filled with what is still needed, and a relative's pledge arriving between typing "10"
// and pressing Pledge would otherwise put the new remainder back and pledge that. Idiomorph asks
// before it sets a value; the field being typed in, or typed in and not yet sent, says no.
const typedIn = new WeakSet();

document.addEventListener("input", (event) => typedIn.add(event.target), true);
document.addEventListener("turbo:submit-end", (event) => {
  for (const field of event.target.elements ?? []) typedIn.delete(field);
});
document.addEventListener("turbo:before-morph-attribute", (event) => {
  const field = event.target;
  if (event.detail.attributeName !== "value") return;
  if (field === document.activeElement || typedIn.has(field)) event.preventDefault();
});

// A change for a frame that is busy: what it carries may be older than the click's answer, so the
// frame is fetched afresh when it is idle again.
document.addEventListener("turbo:before-stream-render", (event) => {
  const target = event.detail.newStream.target;
  const element = target ? document.getElementById(target) : null;
  if (!isBusy(element)) return;
  event.preventDefault();
  refresh(target);
});

// <turbo-stream action="reload" target="piglist_3">: the socket can't render a list for this page
// (its filters and sort are the page's), so the page reloads that frame itself.
StreamActions.reload = function reload() {
  refresh(this.target);
};

// --- refreshing frames ---------------------------------------------------------------------------

const queued = new Set();

export function applyChange(event) {
  if (event.type === "exchange_message") {
    refresh(`santa_thread_${event.exchange_id}`);
    return;
  }
  if (event.type === "former_buyers_changed") {
    refresh("former-buyers-slot"); // an admin's Members page
    return;
  }
  if (event.type === "gift_created" || event.type === "gift_deleted") {
    if (refresh(`piglist_${event.owner_id}`)) return;
  }
  refresh(`gift_${event.gift_id}`);
  refresh(`gift_detail_${event.gift_id}`);
}

function refresh(frameId) {
  const found = document.getElementById(frameId);
  if (!found) return false;
  // A lazy frame not loaded yet (the all-lists page) shows nothing to bring up to date: it loads
  // fresh when it comes into view.
  if (found.localName === "turbo-frame" && found.hasAttribute("src") && !found.hasAttribute("complete")) return true;
  if (!queued.has(frameId)) {
    queued.add(frameId);
    setTimeout(async () => {
      // Looked up again: a list reloaded meanwhile brings new tile elements.
      let frame = document.getElementById(frameId);
      await whenIdle(frame);
      queued.delete(frameId);
      frame = document.getElementById(frameId);
      if (frame?.dataset.refreshUrl) morphFrom(frame, frame.dataset.refreshUrl);
    }, REFRESH_DELAY_MS);
  }
  return true;
}

// An answer without the frame (the gift is gone, the person is out of the group) is shown as the
// whole page, like turbo:frame-missing in app.js.
async function morphFrom(frame, url) {
  try {
    const response = await fetch(url, {
      headers: { Accept: "text/html", "Turbo-Frame": frame.id },
      credentials: "same-origin",
    });
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    const fresh = page.getElementById(frame.id);
    if (!response.ok || !fresh) {
      visit(window.location.href, { action: "replace" });
      return;
    }
    if (isBusy(frame)) {
      // Pressed or sent while this was on its way: fetched again once that is over.
      refresh(frame.id);
      return;
    }
    morphTurboFrameElements(frame, fresh);
  } catch {
    // Offline for a moment: the next change, or the next page, brings the frame up to date.
  }
}

function refreshPendingScrapes() {
  for (const pending of document.querySelectorAll("[data-scrape-pending]")) {
    const frame = pending.closest("turbo-frame[data-refresh-url]");
    if (frame) refresh(frame.id);
  }
}

function sleep(ms, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function nextRetry(retry) {
  return Math.min(retry ? retry * 2 : FIRST_RETRY_MS, MAX_RETRY_MS);
}

// --- the fallback: long poll, and presence by POST ---------------------------------------------------

class Poll {
  constructor(live) {
    this.live = live;
    this.controller = new AbortController();
  }

  async run() {
    let retry = 0;
    const signal = this.controller.signal;
    while (!signal.aborted) {
      try {
        const body = await this.poll();
        if (body.reset) {
          // Away for longer than the feed keeps: the page may have missed changes.
          visit(window.location.href, { action: "replace" });
          return;
        }
        this.live.cursor = body.cursor;
        retry = 0;
        body.events.forEach(applyChange);
      } catch (error) {
        if (signal.aborted) return;
        if ([401, 403, 404].includes(error.status)) {
          // Logged out, out of the group: reloading shows which.
          this.live.stop();
          visit(window.location.href, { action: "replace" });
          return;
        }
        if (error.status === 422) this.live.cursor = "";
        retry = nextRetry(retry);
        await sleep(retry, signal);
      }
    }
  }

  async poll() {
    const query = new URLSearchParams();
    if (this.live.cursor) {
      query.set("since", this.live.cursor);
      query.set("wait", WAIT_SECONDS);
    }
    const response = await fetch(`${this.live.changesUrl}?${query}`, {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
      signal: this.controller.signal,
    });
    if (!response.ok) throw Object.assign(new Error(`change feed: ${response.status}`), { status: response.status });
    return response.json();
  }

  stop() {
    this.controller.abort();
  }
}

// --- the socket ------------------------------------------------------------------------------------

class Live {
  constructor(root) {
    const url = new URL(root.dataset.socketUrl, window.location.href);
    url.protocol = window.location.protocol === "https:" ? "wss:" : "ws:";
    this.socketBase = url;
    this.changesUrl = root.dataset.changesUrl;
    this.cursor = root.dataset.cursor ?? "";
    this.viewing = root.dataset.viewingGift ? Number(root.dataset.viewingGift) : null;
    this.viewingUrl = root.dataset.viewingUrl ?? null;
    this.leaveUrl = root.dataset.leaveUrl ?? null;
    this.key = [root.dataset.socketUrl, this.viewing].join(" ");
    this.connection = crypto.getRandomValues(new Uint32Array(2)).join("-");
    this.socket = null;
    this.poll = null;
    this.retry = 0;
    this.timers = new Set();
    this.stopped = false;
    this.looking = false; // said "I'm looking" by POST (so goodbye is a POST too)
  }

  start() {
    refreshPendingScrapes(); // a scrape may have ended while the page was on its way
    this.connect();
  }

  connect() {
    if (this.stopped) return;
    const url = new URL(this.socketBase);
    if (this.cursor) url.searchParams.set("since", this.cursor);
    let socket;
    try {
      socket = new WebSocket(url);
    } catch {
      this.fallBack();
      return;
    }
    this.socket = socket;
    socket.addEventListener("open", () => {
      this.retry = 0;
      this.stopPoll();
      if (this.viewing) this.send({ type: "view", gift_id: this.viewing });
      this.every(HEARTBEAT_MS, () => this.send({ type: "heartbeat" }), socket);
    });
    socket.addEventListener("message", (message) => {
      if (typeof message.data !== "string") return;
      if (message.data.startsWith("<")) renderStreamMessage(message.data);
      else console.warn("live:", message.data);
    });
    socket.addEventListener("close", () => {
      if (this.socket !== socket) return;
      this.socket = null;
      if (this.stopped) return;
      // The socket carried no cursor of its own: changes while it was away come from the poll.
      this.fallBack();
      this.retry = nextRetry(this.retry);
      this.later(this.retry, () => this.connect());
    });
  }

  send(message) {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }

  fallBack() {
    if (!this.poll) {
      this.poll = new Poll(this);
      this.poll.run();
    }
    if (this.viewing && this.viewingUrl && !this.looking) {
      this.looking = true;
      const look = () => {
        if (this.socket?.readyState === WebSocket.OPEN) return;
        const form = new FormData();
        form.set("connection", this.connection);
        fetch(this.viewingUrl, {
          method: "POST",
          body: form,
          headers: { "X-CSRFToken": csrfToken() },
          credentials: "same-origin",
        }).catch(() => {});
      };
      look();
      this.every(HEARTBEAT_MS, look);
    }
  }

  stopPoll() {
    this.poll?.stop();
    this.poll = null;
  }

  every(ms, action, socket = null) {
    const timer = setInterval(() => {
      if (socket && socket !== this.socket) {
        clearInterval(timer);
        this.timers.delete(timer);
        return;
      }
      action();
    }, ms);
    this.timers.add(timer);
  }

  later(ms, action) {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      action();
    }, ms);
    this.timers.add(timer);
  }

  stop() {
    this.stopped = true;
    for (const timer of this.timers) {
      clearTimeout(timer);
      clearInterval(timer);
    }
    this.timers.clear();
    this.stopPoll();
    this.socket?.close(1000);
    this.socket = null;
    if (this.looking && this.leaveUrl) {
      const form = new FormData();
      form.set("csrf_token", csrfToken());
      form.set("connection", this.connection);
      navigator.sendBeacon(this.leaveUrl, form);
    }
  }
}

let live = null;
let hiddenTimer = null;
let pausedWhileHidden = false;

function start() {
  const root = document.querySelector("[data-live-group][data-socket-url]");
  const next = root ? new Live(root) : null;
  if (live && next && live.key === next.key && !live.stopped) return;
  stop();
  live = next;
  live?.start();
}

function stop() {
  live?.stop();
  live = null;
}

document.addEventListener("turbo:load", start);
window.addEventListener("pagehide", stop);
window.addEventListener("pageshow", (event) => {
  if (event.persisted) start();
});

// A tab left in the background for long is not "looking" any more, and needn't hold a
// connection; coming back reloads the page, which brings it up to date.
document.addEventListener("visibilitychange", () => {
  clearTimeout(hiddenTimer);
  if (document.hidden) {
    hiddenTimer = setTimeout(() => {
      if (!live) return;
      stop();
      pausedWhileHidden = true;
    }, HIDDEN_FOR_LONG_MS);
  } else if (pausedWhileHidden) {
    pausedWhileHidden = false;
    visit(window.location.href, { action: "replace" });
  }
});

start();
