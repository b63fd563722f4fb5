// Piglist's browser code. Pages work without it; with it, Turbo makes forms and
// links update in place, and the modules below add live updates and small helpers.
// No inline scripts anywhere: the CSP forbids them.
import "../vendor/turbo/turbo.es2017-esm.min.js";
import "./focus.js";
import "./groups.js";
import "./gift_form.js";
import "./filters.js";
import "./list_index.js";
import "./live.js";

// A frame whose answer no longer holds it (an error page, a gift that was removed, an admin who
// just left the group): show that answer as the whole page, never Turbo's "Content missing".
document.addEventListener("turbo:frame-missing", (event) => {
  event.preventDefault();
  event.detail.visit(event.detail.response);
});

// The installable app (static/js/service-worker.js): offline page and "Share → Piglist".
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/service-worker.js").catch(() => {
    // Without it the site works as before; only the offline page and installing are missing.
  });
}
