// Nothing for Discreet: webpack 5 copies the wasm and model files it finds in `new URL("./...", import.meta.url)`.
module.exports = { mode: "production", entry: "./src/main.js", output: { clean: true } };
