// The all-lists page's index (templates/gifts/piglists.html). Each name links to that list's own
// page, which is where it goes without JavaScript. With it, the list is on this page already, in a
// lazy frame: the link brings the frame into view (it loads as it comes in) and moves the focus to
// its heading, without leaving the page.
document.addEventListener("click", (event) => {
  const link = event.target instanceof Element ? event.target.closest("a[data-list-frame]") : null;
  if (!link || event.defaultPrevented || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return; // a new tab: the page
  const frame = document.getElementById(link.dataset.listFrame);
  if (!frame) return;
  event.preventDefault(); // before Turbo, which leaves a prevented click alone
  frame.scrollIntoView({ block: "start" });
  const heading = frame.querySelector("h2 a");
  heading?.focus({ preventScroll: true });
});
