// Live updates on the list and gift pages.
//
// A page that carries data-live-group long-polls its group's change feed and reloads, in
// place, the <turbo-frame> each change is about: a gift's tile (gift_<id>), a member's list
// (piglist_<owner_id>) or the gift page (gift_detail_<id>). Each frame names the URL it
// reloads from in data-refresh-url. On a gift page, data-viewing-gift makes every poll also
// say "I'm still looking" (the presence heartbeat); leaving the page says goodbye with a beacon.
//
// applyChange() is the one place that turns a change into a refresh, so a WebSocket can feed
// it the same events later. Without JavaScript none of this runs and the pages still work.
import { morphTurboFrameElements, visit } from "../vendor/turbo/turbo.es2017-esm.js";
import { csrfToken } from "./csrf.js";

const WAIT_SECONDS = 25; // the feed's longest wait, so presence is refreshed at least this often
const FIRST_RETRY_MS = 2000;
const MAX_RETRY_MS = 30000;
const HIDDEN_FOR_LONG_MS = 5 * 60 * 1000;
const REFRESH_DELAY_MS = 100; // a burst of changes to one frame costs one reload

const queued = new Set();

export function applyChange(event) {
  if (event.type === "gift_created" || event.type === "gift_deleted") {
    if (refresh(`piglist_${event.owner_id}`)) return;
  }
  if (event.type === "gift_deleted" && document.getElementById(`gift_detail_${event.gift_id}`)) {
    // The page itself may be gone (or, for the one who bought it, marked removed).
    visit(window.location.href, { action: "replace" });
    return;
  }
  refresh(`gift_${event.gift_id}`);
  refresh(`gift_detail_${event.gift_id}`);
}

function refresh(frameId) {
  if (!document.getElementById(frameId)) return false;
  if (!queued.has(frameId)) {
    queued.add(frameId);
    setTimeout(() => {
      queued.delete(frameId);
      // Looked up again: a list reloaded meanwhile brings new tile elements.
      const frame = document.getElementById(frameId);
      const url = frame?.dataset.refreshUrl;
      if (!url) return;
      if (frame.hasAttribute("busy")) {
        // A form in it is being submitted: its answer comes first, then this refresh.
        frame.addEventListener("turbo:frame-load", () => refresh(frameId), { once: true });
        return;
      }
      morphFrom(frame, url);
    }, REFRESH_DELAY_MS);
  }
  return true;
}

// The frame is changed in place (morphed), not replaced: a button someone is pressing right now
// stays the same element, so their click still counts, and a live region keeps its identity, so
// screen readers hear what changed. An answer without the frame (the gift is gone, the person is
// out of the group) is shown as the whole page, like turbo:frame-missing in app.js.
async function morphFrom(frame, url) {
  try {
    const response = await fetch(url, {
      headers: { Accept: "text/html", "Turbo-Frame": frame.id },
      credentials: "same-origin",
    });
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    const fresh = page.getElementById(frame.id);
    if (response.ok && fresh) morphTurboFrameElements(frame, fresh);
    else visit(window.location.href, { action: "replace" });
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

class Feed {
  constructor(root) {
    this.changesUrl = root.dataset.changesUrl;
    this.viewing = root.dataset.viewingGift ?? null;
    this.connection = root.dataset.connection ?? null;
    this.leaveUrl = root.dataset.leaveUrl ?? null;
    this.key = [this.changesUrl, this.viewing, this.connection].join(" ");
    this.cursor = null;
    this.controller = new AbortController();
  }

  async run() {
    let retry = 0;
    while (!this.controller.signal.aborted) {
      try {
        const body = await this.poll();
        const first = this.cursor === null;
        this.cursor = body.cursor;
        retry = 0;
        // A scrape may have ended between the page's rendering and this first cursor.
        if (first) refreshPendingScrapes();
        body.events.forEach(applyChange);
      } catch (error) {
        if (this.controller.signal.aborted) return;
        if ([401, 403, 404].includes(error.status)) {
          // Logged out, out of the group, or the gift is gone: reloading shows which. A feed
          // refused from its first poll just stops, so this can never loop.
          this.controller.abort();
          if (this.cursor !== null) visit(window.location.href, { action: "replace" });
          return;
        }
        if (error.status === 422) this.cursor = null;
        retry = Math.min(retry ? retry * 2 : FIRST_RETRY_MS, MAX_RETRY_MS);
        await sleep(retry, this.controller.signal);
      }
    }
  }

  async poll() {
    const query = new URLSearchParams();
    if (this.cursor !== null) {
      query.set("since", this.cursor);
      query.set("wait", WAIT_SECONDS);
    }
    if (this.viewing) {
      query.set("viewing", this.viewing);
      query.set("connection", this.connection);
    }
    const response = await fetch(`${this.changesUrl}?${query}`, {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
      signal: this.controller.signal,
    });
    if (!response.ok) throw Object.assign(new Error(`change feed: ${response.status}`), { status: response.status });
    return response.json();
  }

  stop() {
    this.controller.abort();
    if (this.viewing && this.leaveUrl) {
      const form = new FormData();
      form.set("csrf_token", csrfToken());
      form.set("connection", this.connection);
      navigator.sendBeacon(this.leaveUrl, form);
    }
  }
}

let feed = null;
let hiddenTimer = null;
let pausedWhileHidden = false;

function start() {
  const root = document.querySelector("[data-live-group][data-changes-url]");
  const next = root ? new Feed(root) : null;
  if (feed && next && feed.key === next.key && !feed.controller.signal.aborted) return;
  stop();
  feed = next;
  feed?.run();
}

function stop() {
  feed?.stop();
  feed = null;
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
      if (!feed) return;
      stop();
      pausedWhileHidden = true;
    }, HIDDEN_FOR_LONG_MS);
  } else if (pausedWhileHidden) {
    pausedWhileHidden = false;
    visit(window.location.href, { action: "replace" });
  }
});

start();
