// The session's CSRF token, from <meta name="csrf-token"> in base.html: forms carry it as a
// hidden field, and the scripts send it with every request that changes something.
export function csrfToken() {
  return document.querySelector('meta[name="csrf-token"]')?.content ?? "";
}
