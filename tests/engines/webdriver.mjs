// A W3C WebDriver client over fetch (new session, navigate, execute async script, delete session) and the
// three engines' drivers: ChromeDriver (Chromium), geckodriver (Firefox ESR), WebKitWebDriver (WebKitGTK,
// the engine of Safari; it needs a display, so it runs under xvfb-run).
import { existsSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, startProcess } from "../../tools/serve.mjs";
import { CHROMIUM, CHROMIUM_ARGS } from "../../tools/chromium.mjs";

const onPath = (name, ...fallbacks) => [...fallbacks, name].find((p) => p === name || existsSync(p));

export const ENGINES = {
  chromium: {
    driver: (port) => [onPath("chromedriver", "/usr/bin/chromedriver"), [`--port=${port}`]],
    capabilities: { browserName: "chrome", "goog:chromeOptions": { binary: CHROMIUM, args: [...CHROMIUM_ARGS, "--headless=new"] } },
  },
  firefox: {
    driver: (port) => [onPath("geckodriver", join(homedir(), ".cargo/bin/geckodriver")), ["--port", String(port)]],
    capabilities: { browserName: "firefox", "moz:firefoxOptions": { binary: "/usr/bin/firefox-esr", args: ["-headless"] } },
  },
  webkit: {
    driver: (port) => ["xvfb-run", ["-a", "WebKitWebDriver", `--port=${port}`]],
    capabilities: { "webkitgtk:browserOptions": {
      binary: "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser", args: ["--automation"] } },
  },
};

async function call(base, method, path, body) {
  const res = await fetch(`${base}${path}`, {
    method, headers: { "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const { value } = await res.json();
  if (!res.ok) throw new Error(`WebDriver ${method} ${path}: ${value?.error}: ${value?.message}`);
  return value;
}

/** Starts `engine`'s driver and a session with a fresh profile; `close()` ends both. */
export async function openSession(engine) {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const [command, args] = ENGINES[engine].driver(port);
  const driver = await startProcess(command, args, { cwd: tmpdir(), url: `${base}/status`, timeoutMs: 60_000 });
  let id;
  try {
    ({ sessionId: id } = await call(base, "POST", "/session", { capabilities: { alwaysMatch: ENGINES[engine].capabilities } }));
    await call(base, "POST", `/session/${id}/timeouts`, { script: 300_000, pageLoad: 60_000 });
  } catch (e) {
    await driver.stop();
    throw new Error(`${e.message}\n${driver.log()}`);
  }
  return {
    navigate: (url) => call(base, "POST", `/session/${id}/url`, { url }),
    /** Runs `script` (a function body whose last argument is the callback) and returns what it passes it. */
    executeAsync: (script, args = []) => call(base, "POST", `/session/${id}/execute/async`, { script, args }),
    close: async () => {
      await call(base, "DELETE", `/session/${id}`).catch(() => {});
      await driver.stop();
    },
  };
}
