// `make bench`: serves www/, runs the benchmark page in headless Chromium and
// prints its figures; the LAST line is one JSON object.
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { startServer } from "./serve.mjs";
import { launch } from "./chromium.mjs";
import { openSession } from "../tests/engines/webdriver.mjs";

// Extra query parameters (e.g. `?big=0&rounds=10`) go to both page loads.
const query = (process.argv[2] ?? "").replace(/^\?/, "");
const { server, url } = await startServer({ port: 0, quiet: true });
const browser = await launch();

async function run(params) {
  const page = await browser.newPage();
  page.on("console", (m) => m.type() === "error" && console.error(`[page] ${m.text()}`));
  await page.goto(`${url}bench.html?${[params, query].filter(Boolean).join("&")}`);
  await page.waitForFunction(() => window.benchResult || window.benchError, null, { timeout: 600_000 });
  const error = await page.evaluate(() => window.benchError);
  if (error) throw new Error(`benchmark failed: ${error}`);
  const result = await page.evaluate(() => window.benchResult);
  await page.close();
  return result;
}

async function inEngine(engine) {
  const session = await openSession(engine);
  try {
    await session.navigate(`${url}bench.html?big=0${query ? `&${query}` : ""}`);
    const raw = await session.executeAsync(`const done = arguments[arguments.length - 1];
      const poll = () => (window.benchResult || window.benchError ? done(JSON.stringify([window.benchResult, window.benchError])) : setTimeout(poll, 200));
      poll();`);
    const [figures, error] = JSON.parse(raw);
    if (error) throw new Error(error);
    console.log(`${engine}: ${figures.user_agent}`);
    delete figures.user_agent;
    return figures;
  } finally {
    await session.close();
  }
}

try {
  const result = await run("");
  // Browsers without relaxed SIMD (WebKit today) load the simd128 build: its encoder against the same ORT.
  const simd = await run("build=simd128&only=encoder");
  const pick = (k) => (simd[k] === undefined ? {} : { [`${k.replace(/_128$/, "")}_simd128${k.endsWith("_128") ? "_128" : ""}`]: simd[k] });
  Object.assign(result, ...["encoder_ms_discreet", "ratio_discreet_over_ort", "encoder_ms_discreet_128", "ratio_discreet_over_ort_128"].map(pick));
  console.log(`Chromium: ${result.user_agent}`);
  delete result.user_agent;
  // The other engines, reported, when their drivers are installed (make setup-browser installs them):
  // the same page over WebDriver, without the 10,000-attribute figures (minutes in WebKitGTK).
  const onPath = (name) => (process.env.PATH ?? "").split(":").some((dir) => existsSync(join(dir, name)));
  const present = {
    firefox: (onPath("geckodriver") || existsSync(join(homedir(), ".cargo/bin/geckodriver"))) && existsSync("/usr/bin/firefox-esr"),
    webkit: onPath("WebKitWebDriver") && onPath("xvfb-run"),
  };
  for (const engine of Object.keys(present).filter((e) => present[e])) {
    (result.engines ??= {})[engine] = await inEngine(engine).catch((e) => ({ error: e.message.split("\n")[0] }));
  }
  console.log(JSON.stringify(result));
} finally {
  await browser.close();
  server.close();
}
