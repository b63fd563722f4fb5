// Group pages: copying the invite link.
// Everything here is an extra: without it the link is still selectable text and forms still post.

// The Copy button only shows where the browser lets us copy (secure contexts).
document.documentElement.classList.toggle("can-copy", Boolean(navigator.clipboard));

document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const input = document.getElementById(button.dataset.copy);
  if (!input) return;
  input.select();
  try {
    await navigator.clipboard.writeText(input.value);
    showBriefly(button, "Copied!");
  } catch {
    showBriefly(button, "Selected: copy it now");
  }
});

function showBriefly(button, text) {
  button.dataset.label ??= button.textContent;
  button.textContent = text;
  clearTimeout(button.restoreTimer);
  button.restoreTimer = setTimeout(() => {
    button.textContent = button.dataset.label;
  }, 2000);
}

document.addEventListener("focusin", (event) => {
  if (event.target.matches("[data-select-on-focus]")) event.target.select();
});
