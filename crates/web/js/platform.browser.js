
// ---- Browsers and bundlers (crates/web/js/platform.browser.js): files are fetched by URL ----
// A bundler has rewritten each `new URL` above to its emitted asset; the Rust side streams, verifies and caches
// model files, so they are handed over as URL strings.
function platformWasm(where) {
  return fetch(where);
}

function platformFile(_name, url) {
  return url.href;
}
