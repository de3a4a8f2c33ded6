// `make bench`: serves www/, runs the benchmark page in headless Chromium and
// prints its figures; the LAST line is one JSON object.
import { startServer } from "./serve.mjs";
import { launch } from "./chromium.mjs";

const query = process.argv[2] ?? "";
const { server, url } = await startServer({ port: 0, quiet: true });
const browser = await launch();
try {
  const page = await browser.newPage();
  page.on("console", (m) => m.type() === "error" && console.error(`[page] ${m.text()}`));
  await page.goto(`${url}bench.html${query}`);
  await page.waitForFunction(() => window.benchResult || window.benchError, null, { timeout: 300_000 });
  const error = await page.evaluate(() => window.benchError);
  if (error) throw new Error(`benchmark failed: ${error}`);
  const result = await page.evaluate(() => window.benchResult);
  console.log(`Chromium: ${result.user_agent}`);
  delete result.user_agent;
  console.log(JSON.stringify(result));
} finally {
  await browser.close();
  server.close();
}
