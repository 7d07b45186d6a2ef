import { test } from "node:test";
import { startServer } from "./lib/server.mjs";
import { launch, context } from "./lib/browser.mjs";
test("dbg", async () => {
  const s = await startServer(); const b = await launch();
  const ctx = await context(b, { viewport: { width: 1280, height: 900 } }); const page = await ctx.newPage();
  await page.goto(s.base + "/candidate");
  await page.getByLabel(/acne scars/i).first().check();
  await page.getByLabel(/pregnant/i).first().check();
  await Promise.all([page.waitForLoadState("load"), page.getByRole("button", { name: /answer/i }).first().click()]);
  await page.waitForTimeout(500);
  console.log(page.url(), (await page.content()).slice(0, 3000));
  await page.screenshot({ path: "/tmp/cand.png", fullPage: false });
  await b.close(); await s.stop();
});
