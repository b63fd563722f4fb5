// The list pages' filters apply as soon as one changes. Without JavaScript the form keeps its
// own submit button.
document.addEventListener("change", (event) => {
  const form = event.target.closest("form[data-auto-submit]");
  if (form) form.requestSubmit();
});
