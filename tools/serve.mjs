// Static server for the demo, the bench page and the browser tests: www/ at
// "/", the built package at "/pkg/". Loopback only; no dependencies.
import { createServer } from "node:http";
import { readFile, stat } from "node:fs/promises";
import { extname, join, normalize, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(fileURLToPath(import.meta.url), "../..");
const mounts = [
  ["/pkg/", join(root, "pkg")],
  ["/models/", join(root, "models")],
  // The peer runtime the benchmark compares against (a dev dependency, never shipped).
  ["/ort/", join(root, "node_modules/onnxruntime-web/dist")],
  ["/", join(root, "www")],
];
const types = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".onnx": "application/octet-stream",
  ".ts": "text/plain; charset=utf-8",
};

function resolvePath(urlPath) {
  for (const [prefix, dir] of mounts) {
    if (!urlPath.startsWith(prefix)) continue;
    const rel = normalize(decodeURIComponent(urlPath.slice(prefix.length)));
    if (rel.startsWith("..")) return null;
    return join(dir, rel);
  }
  return null;
}

// `onRequest(path)` sees every request: tests count downloads with it.
export function startServer({ port = 8080, host = "127.0.0.1", quiet = false, onRequest = () => {} } = {}) {
  const server = createServer(async (req, res) => {
    onRequest(new URL(req.url, "http://x").pathname);
    let path = resolvePath(new URL(req.url, "http://x").pathname);
    try {
      if (path && (await stat(path)).isDirectory()) path = join(path, "index.html");
      const body = await readFile(path);
      res.writeHead(200, { "content-type": types[extname(path)] ?? "application/octet-stream", "cache-control": "no-store" });
      res.end(body);
    } catch {
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("not found");
    }
  });
  return new Promise((ok) =>
    server.listen(port, host, () => {
      const url = `http://${host}:${server.address().port}/`;
      if (!quiet) console.log(`Discreet demo on ${url} (Ctrl-C to stop)`);
      ok({ server, url });
    }),
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  startServer({ port: Number(process.env.PORT ?? 8080) });
}
