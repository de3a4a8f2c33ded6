// `make bench`: serves www/, runs the benchmark page in headless Chromium and
// prints its figures; the LAST line is one JSON object.
import { startServer } from "./serve.mjs";
import { launch } from "./chromium.mjs";

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

try {
  const result = await run("");
  // Browsers without relaxed SIMD (WebKit today) load the simd128 build: its encoder against the same ORT.
  const simd = await run("build=simd128&only=encoder");
  const pick = (k) => (simd[k] === undefined ? {} : { [`${k.replace(/_128$/, "")}_simd128${k.endsWith("_128") ? "_128" : ""}`]: simd[k] });
  Object.assign(result, ...["encoder_ms_discreet", "ratio_discreet_over_ort", "encoder_ms_discreet_128", "ratio_discreet_over_ort_128"].map(pick));
  console.log(`Chromium: ${result.user_agent}`);
  delete result.user_agent;
  console.log(JSON.stringify(result));
} finally {
  await browser.close();
  server.close();
}
