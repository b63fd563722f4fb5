// Where the keyboard lands after a form, so nobody has to find their place again:
// - a form sent back with an error (templates/macros/forms.html marks its fields
//   aria-invalid="true"): on its first field in error, not its first field (autofocus) nor the
//   top of the page, so the sentence under it is read out at once;
// - a tile's form ("Mark as purchased", "Undo", in the tile's own frame): the answer replaces the
//   tile, and with it the focused button, which would leave the focus on <body> (Tab would then
//   start again from the header); it goes to the new tile's action (its Undo or its buy button).

function focusFirstError(root) {
  const field = root.querySelector?.('form [aria-invalid="true"]');
  if (!field) return false;
  // After Turbo has finished its own render (it focuses [autofocus] as it ends).
  setTimeout(() => {
    if (!field.isConnected || field.contains(document.activeElement)) return;
    field.focus({ preventScroll: true });
    field.scrollIntoView({ block: "center" });
  });
  return true;
}

let submittedFrame = null;

document.addEventListener("turbo:submit-start", (event) => {
  const frameId = event.target.dataset.turboFrame;
  submittedFrame = frameId && frameId !== "_top" && event.target.closest(".gift-tile") ? frameId : null;
});

function focusTile(frame) {
  if (frame.id !== submittedFrame) return;
  submittedFrame = null;
  const target = frame.querySelector(".gift-actions button") ?? frame.querySelector(".gift-title a");
  if (target && (document.activeElement === document.body || !document.activeElement)) target.focus();
}

// A form's error page is rendered without a visit (turbo:render, no turbo:load).
document.addEventListener("turbo:render", () => focusFirstError(document));
document.addEventListener("turbo:load", () => focusFirstError(document));
document.addEventListener("turbo:frame-render", (event) => {
  if (!focusFirstError(event.target)) focusTile(event.target);
});
focusFirstError(document);
