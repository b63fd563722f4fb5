// The gift form's "Fetch details": asks the API to read the shop's page, shows a preview and
// fills in the fields that are still empty, so whatever the person typed stays theirs. All
// optional: without JavaScript the button stays hidden, and a saved link is fetched in the
// background instead.
//
// Scraped text is untrusted: it only ever goes into .value and .textContent, never into HTML.
import { csrfToken } from "./csrf.js";

const WAIT_SECONDS = 25;
const MAX_POLLS = 6; // the worker retries transient failures for ~15 s; this leaves room for it

function revealButtons() {
  for (const button of document.querySelectorAll("[data-fetch-details][hidden]")) button.hidden = false;
}

async function callApi(url, options = {}) {
  let response;
  try {
    response = await fetch(url, {
      credentials: "same-origin",
      ...options,
      headers: { Accept: "application/json", ...options.headers },
    });
  } catch {
    throw new Error("We couldn't reach Piglist just now. Check your connection, or fill in the details by hand.");
  }
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    throw new Error(body?.error?.message ?? "Fetching the details didn't work. You can fill them in by hand.");
  }
  return body;
}

async function scrape(scrapeUrl, url) {
  const { job_id: jobId } = await callApi(scrapeUrl, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
    body: JSON.stringify({ url }),
  });
  for (let poll = 0; poll < MAX_POLLS; poll += 1) {
    const state = await callApi(`${scrapeUrl}/${encodeURIComponent(jobId)}?wait=${WAIT_SECONDS}`);
    if (state.status === "finished" || state.status === "failed") {
      return state.result ?? { ok: false, error: "We couldn't read that page." };
    }
  }
  return { ok: false, error: "The shop is taking too long to answer." };
}

function say(form, message, kind = "") {
  const status = form.querySelector("[data-fetch-status]");
  status.textContent = message;
  status.classList.toggle("is-error", kind === "error");
  status.classList.toggle("is-busy", kind === "busy");
}

function fillEmpty(form, name, value) {
  const input = form.elements.namedItem(name);
  if (!input || value === null || value === undefined || value === "" || input.value.trim()) return false;
  input.value = value;
  return true;
}

// The shop's choices (every size it sells) are the person's to pick from, not to be filled in,
// unless there is only one.
function offerChoices(form, name, choices) {
  const input = form.elements.namedItem(name);
  if (!input || !Array.isArray(choices) || choices.length === 0) return false;
  if (choices.length === 1) return fillEmpty(form, name, choices[0]);
  const id = `${input.id}_choices`;
  let list = document.getElementById(id);
  if (!list) {
    list = document.createElement("datalist");
    list.id = id;
    form.append(list);
    input.setAttribute("list", id);
  }
  list.replaceChildren(...choices.map((choice) => new Option(choice)));
  return false;
}

function fill(form, product) {
  let filled = fillEmpty(form, "title", product.title);
  if (fillEmpty(form, "price", product.price)) {
    filled = true;
    // The price is only right with the shop's currency.
    if (product.currency) chooseCurrency(form.elements.namedItem("currency"), product.currency);
  }
  filled = fillEmpty(form, "image_url", product.image_url) || filled;
  filled = fillEmpty(form, "description", product.description) || filled;
  for (const name of ["size", "colour"]) filled = offerChoices(form, name, product.options?.[name]) || filled;
  return filled;
}

// The select offers the common currencies; a shop's other code is added to it (the server takes
// any ISO 4217 code).
function chooseCurrency(select, code) {
  if (![...select.options].some((option) => option.value === code)) select.add(new Option(code, code));
  select.value = code;
}

function formatPrice(price, currency) {
  if (!price) return "";
  try {
    return new Intl.NumberFormat(undefined, { style: "currency", currency: currency || "USD" }).format(Number(price));
  } catch {
    return `${price} ${currency ?? ""}`.trim();
  }
}

function showPreview(form, product) {
  // No picture here: the shop's picture is fetched by Piglist once the gift is saved, so the
  // browser never contacts the shop (the CSP's img-src is 'self').
  const preview = form.querySelector("[data-fetch-preview]");
  preview.querySelector("[data-preview-title]").textContent = product.title ?? "(no title found)";
  preview.querySelector("[data-preview-price]").textContent = formatPrice(product.price, product.currency);
  const offered = Object.entries(product.options ?? {})
    .filter(([, values]) => Array.isArray(values) && values.length > 1)
    .map(([kind, values]) => `${kind[0].toUpperCase()}${kind.slice(1)}: ${values.join(", ")}`);
  preview.querySelector("[data-preview-options]").textContent = offered.length ? `The shop offers ${offered.join("; ")}.` : "";
  preview.hidden = false;
}

async function fetchDetails(form, button) {
  const urlInput = form.elements.namedItem("url");
  const url = urlInput.value.trim();
  if (!url) {
    say(form, "Paste the link to the shop's page first.", "error");
    urlInput.focus();
    return;
  }
  button.disabled = true;
  say(form, "Reading the shop's page…", "busy");
  try {
    const result = await scrape(form.dataset.scrapeUrl, url);
    if (!result.ok) {
      say(form, `${result.error.replace(/\.?$/, ".")} You can fill in the details by hand.`, "error");
      return;
    }
    showPreview(form, result.product);
    say(
      form,
      fill(form, result.product)
        ? "Found it. We filled in the empty fields: check them, and change anything you like."
        : "Found it. Your own entries are kept; the preview shows what the shop says.",
    );
  } catch (error) {
    say(form, error.message, "error");
  } finally {
    button.disabled = false;
  }
}

document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-fetch-details]");
  const form = button?.closest("[data-gift-form]");
  if (!form) return;
  event.preventDefault();
  fetchDetails(form, button);
});

// A link shared to Piglist (/share) opens the form with the link in it: fetch its details at once,
// as if the person had pressed the button.
function fetchShared() {
  for (const form of document.querySelectorAll("[data-gift-form][data-autofetch]")) {
    form.removeAttribute("data-autofetch");
    const button = form.querySelector("[data-fetch-details]");
    if (button) fetchDetails(form, button);
  }
}

function ready() {
  revealButtons();
  fetchShared();
}

document.addEventListener("turbo:load", ready);
document.addEventListener("turbo:render", ready);
document.addEventListener("turbo:frame-render", ready);
ready();
