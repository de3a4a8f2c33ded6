// The one line Discreet needs in Vite, for the dev server only (its dependency pre-bundling moves the package's
// JS away from its wasm and model files); `vite build` needs nothing.
export default { optimizeDeps: { exclude: ["discreet"] } };
