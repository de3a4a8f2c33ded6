// The dev server's dependency pre-bundling would move Discreet's JS away from its wasm and model files.
export default { optimizeDeps: { exclude: ["discreet"] } };
