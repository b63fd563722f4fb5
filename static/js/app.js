// Piglist's browser code. Pages work without it; with it, Turbo makes forms and
// links update in place. No inline scripts anywhere: the CSP forbids them.
import "../vendor/turbo/turbo.es2017-esm.js";
