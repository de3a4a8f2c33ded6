// The route handler loads Discreet from node_modules as Node would: its Node entry reads the wasm from
// beside itself, which a server bundle would move.
export default { serverExternalPackages: ["discreet"] };
