// Static server for the demo, the bench page and the browser tests: www/ at
// "/", the built package at "/pkg/". Loopback only; no dependencies.
import { createServer } from "node:http";
import { createServer as createTcpServer } from "node:net";
import { spawn } from "node:child_process";
import { readFile, stat } from "node:fs/promises";
import { extname, join, normalize, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(fileURLToPath(import.meta.url), "../..");
export const DEFAULT_MOUNTS = [
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

function resolvePath(mounts, urlPath) {
  for (const [prefix, dir] of mounts) {
    if (!urlPath.startsWith(prefix)) continue;
    const rel = normalize(decodeURIComponent(urlPath.slice(prefix.length)));
    if (rel.startsWith("..")) return null;
    return join(dir, rel);
  }
  return null;
}

// `onRequest(path)` sees every request: tests count downloads with it. `mounts` lists [URL prefix, folder]
// pairs, first match wins (the packaging and engine tests serve their own folders).
export function startServer({ port = 8080, host = "127.0.0.1", quiet = false, onRequest = () => {}, mounts = DEFAULT_MOUNTS } = {}) {
  const server = createServer(async (req, res) => {
    onRequest(new URL(req.url, "http://x").pathname);
    let path = resolvePath(mounts, new URL(req.url, "http://x").pathname);
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

/** A loopback port free right now, for a server another process starts (a dev server, a WebDriver). */
export function freePort() {
  return new Promise((ok, fail) => {
    const s = createTcpServer().once("error", fail).listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

/**
 * Runs `command` (in its own process group) until `stop()`, once `url` answers: a dev server, `next start`,
 * a WebDriver. Fails with the process's output if it exits or does not answer within `timeoutMs`.
 */
export async function startProcess(command, args, { cwd, url, timeoutMs = 60_000 }) {
  const child = spawn(command, args, { cwd, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let log = "";
  child.stdout.on("data", (d) => { log += d; });
  child.stderr.on("data", (d) => { log += d; });
  const exited = new Promise((ok) => child.once("exit", ok));
  const stop = async () => {
    try { process.kill(-child.pid, "SIGTERM"); } catch { return; }
    const timer = setTimeout(() => { try { process.kill(-child.pid, "SIGKILL"); } catch { /* gone */ } }, 5000);
    await exited;
    clearTimeout(timer);
  };
  const started = Date.now();
  while (!(await fetch(url).then((r) => r.status < 500, () => false))) {
    if (child.exitCode !== null || Date.now() - started > timeoutMs) {
      await stop();
      throw new Error(`${command} ${args.join(" ")}: ${child.exitCode !== null ? "exited" : `no answer from ${url}`}\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { stop, log: () => log };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  startServer({ port: Number(process.env.PORT ?? 8080) });
}
