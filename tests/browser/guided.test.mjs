// Guided capture (issue 15) in headless Chromium with a fake camera: on a 375 px phone the staff
// photo form's "Use the guided camera" opens the live camera with the view's baseline laid over
// it, takes a frame into the form's own file input and the plain form sends it; the patient's
// check-in answer finds their front baseline in their own photo list and sends a frame the same
// way, under the page's content security policy. Without a camera or its permission the plain
// file input is all there is.
//
// Chromium's --use-fake-device-for-media-stream is the camera (a moving test pattern) and
// --use-fake-ui-for-media-stream answers its permission prompt.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { startServer } from "./lib/server.mjs";
import { launch, context, checkPage, report } from "./lib/browser.mjs";

const fixtures = path.join(path.dirname(new URL(import.meta.url).pathname), "fixtures");
const ADMIN = { name: "Gwen Guide", email: "gwen@clinic.example", password: "a long enough password 42" };
const PATIENT = { name: "Fay Front", email: "fay@example.org" };
const PHONE = { viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

let server;
let browser;
let staffPage; // the admin on a desktop, signed in
let patientUrl;
let baselineImage; // the baseline's image URL, as the staff page links it

before(async () => {
  server = await startServer();
  browser = await launch({ args: ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"] });
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
  console.log("\npages checked (name, bytes of HTML+CSS+JS, viewport width, minor axe findings):");
  for (const r of report) console.log(`  ${r.name.padEnd(28)} ${String(r.bytes).padStart(7)} B  ${r.width}px  ${r.minor}`);
});

async function submit(page, name) {
  await Promise.all([page.waitForLoadState("load"), page.getByRole("button", { name }).first().click()]);
}

/** Opens the guided camera and waits for the camera's frames and the guide's image. */
async function openCamera(page) {
  await page.getByRole("button", { name: /use the guided camera/i }).click();
  await page.waitForFunction(() => {
    const v = document.querySelector("[data-guided-video]");
    return v && v.readyState >= 2 && v.videoWidth > 0;
  });
  await page.waitForFunction(() => {
    const g = document.querySelector("[data-guided-guide]");
    return g && !g.hidden && g.complete && g.naturalWidth > 0;
  });
}

/** Where the guide lies against the video, and what is on top at the video's centre. */
async function guideOverVideo(page) {
  return page.evaluate(() => {
    const v = document.querySelector("[data-guided-video]").getBoundingClientRect();
    const guide = document.querySelector("[data-guided-guide]");
    const g = guide.getBoundingClientRect();
    const top = document.elementFromPoint(v.left + v.width / 2, v.top + v.height / 2);
    return {
      same: Math.abs(v.left - g.left) < 1 && Math.abs(v.top - g.top) < 1 && Math.abs(v.width - g.width) < 1 && Math.abs(v.height - g.height) < 1,
      onTop: top === guide,
      opacity: getComputedStyle(guide).opacity,
      src: guide.getAttribute("src"),
      width: v.width,
    };
  });
}

test("set up: a patient with consent, a front baseline on the plain form, and a session", async () => {
  const ctx = await context(browser, { viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  staffPage = page;
  await page.goto(server.setup);
  await page.getByLabel(/clinic name/i).fill("Guided Skin Clinic");
  await page.getByLabel(/time zone/i).fill("Europe/Berlin");
  await page.getByLabel(/your name/i).fill(ADMIN.name);
  await page.getByLabel(/e-mail/i).fill(ADMIN.email);
  await page.getByLabel(/^password/i).fill(ADMIN.password);
  await submit(page, /create/i);
  await page.goto(server.base + "/staff/patients/new");
  await page.getByLabel(/^name/i).fill(PATIENT.name);
  await page.getByLabel(/e-mail/i).fill(PATIENT.email);
  await submit(page, /add|create|save/i);
  await page.waitForURL(/\/staff\/patients\/[0-9a-f-]{36}$/);
  patientUrl = page.url();
  await page.goto(patientUrl + "/screening");
  await page.getByLabel(/what the treatment is for/i).selectOption("acne_scars");
  await submit(page, /screen and record/i);
  await page.waitForURL((u) => u.href.startsWith(patientUrl + "#"));
  await page.goto(patientUrl + "/plan");
  const grade = page.getByLabel(/scar grade/i);
  if ((await grade.evaluate((e) => e.tagName)) === "SELECT") await grade.selectOption("3");
  else await grade.fill("3");
  await submit(page, /plan and record/i);
  await page.waitForURL((u) => u.href.startsWith(patientUrl + "#"));
  for (const kind of ["treatment@1", "photo_record@1"]) {
    await page.goto(patientUrl);
    await page.locator("summary", { hasText: /record a consent signed on paper/i }).click();
    await page.locator("#paper-kind").selectOption(kind);
    await page.locator("#paper-name").fill(PATIENT.name);
    await page.locator("#paper-confirm").check();
    await submit(page, /record the consent/i);
    await assert.doesNotReject(page.getByText(/the consent is recorded/i).first().waitFor());
  }
  // The baseline, chosen as a file (a drawn face).
  await page.locator("summary", { hasText: /add a photo/i }).click();
  await page.locator("#photo-file").setInputFiles(path.join(fixtures, "front-baseline.png"));
  await page.locator("#photo-view").selectOption("front");
  await page.locator("#photo-stage").selectOption("baseline");
  await submit(page, /upload photo/i);
  await assert.doesNotReject(page.getByText(/the photo was added/i).first().waitFor());
  baselineImage = await page.locator("#photos ~ ul a").first().getAttribute("href");
  assert.match(baselineImage, /^\/api\/v1\/photos\/[0-9a-f-]{36}\/image$/);
  // A session, so the guided photo can be one taken at it and the patient can check in.
  await page.goto(patientUrl + "/session");
  await page.getByLabel(/no active cold sore/i).check();
  await page.getByLabel(/device/i).fill("Dermapen 4");
  await page.locator("#depth_cheeks").fill("1.0");
  await submit(page, /record session/i);
  await page.waitForURL((u) => u.href.startsWith(patientUrl + "#"));
});

test("staff on a 375 px phone: the baseline over the live camera, a frame taken into the plain form and sent", async () => {
  const ctx = await context(browser, PHONE);
  const page = await ctx.newPage();
  await page.goto(server.base + "/login");
  await page.locator("#email").fill(ADMIN.email);
  await page.locator("#password").fill(ADMIN.password);
  await Promise.all([page.waitForURL(/\/staff/), page.locator("#password").press("Enter")]);
  await page.goto(patientUrl + "#photos");
  await page.locator("summary", { hasText: /add a photo/i }).click();
  await page.locator("#photo-view").selectOption("front");
  await page.locator("#photo-stage").selectOption("session");
  const session = await page.locator("#photo-session option").nth(1).getAttribute("value");
  await page.locator("#photo-session").selectOption(session);

  const open = page.getByRole("button", { name: /use the guided camera/i });
  assert.equal(await open.getAttribute("aria-expanded"), "false");
  await openCamera(page);
  assert.equal(await open.getAttribute("aria-expanded"), "true");
  const over = await guideOverVideo(page);
  assert.equal(over.src, baselineImage, "the guide is the front baseline");
  assert.ok(over.same, "the guide covers the video exactly");
  assert.ok(over.onTop, "the guide lies over the video");
  assert.equal(over.opacity, "0.4", "the guide is translucent");
  assert.ok(over.width > 300 && over.width <= 375, `the preview fits the phone (${over.width}px)`);
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), "Take photo", "the focus is on the preview's controls");
  assert.match(await page.locator("[data-guided-status]").innerText(), /line up/i);
  // Accessible while the camera is open; the screenshot shows the panel as the phone does.
  await page.locator("[data-guided-panel]").evaluate((p) => {
    p.scrollIntoView({ block: "start" });
    window.scrollBy(0, -100);
  });
  await checkPage(page, "guided-capture-phone");

  // The slider fades the guide, by touch or keyboard.
  await page.getByLabel(/how strongly the guide shows/i).fill("70");
  assert.equal(await page.locator("[data-guided-guide]").evaluate((g) => g.style.opacity), "0.7");
  await page.getByLabel(/how strongly the guide shows/i).press("ArrowLeft");
  assert.equal(await page.locator("[data-guided-guide]").evaluate((g) => g.style.opacity), "0.65");

  // Escape closes the camera (its tracks end) and gives the focus back.
  await page.evaluate(() => { window.tracks = document.querySelector("[data-guided-video]").srcObject.getTracks(); });
  await page.keyboard.press("Escape");
  assert.equal(await page.locator("[data-guided-panel]").isVisible(), false);
  assert.deepEqual(await page.evaluate(() => window.tracks.map((t) => t.readyState)), ["ended"]);
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), "Use the guided camera");

  // Open again, take the photo: a JPEG of the camera's frame is in the file input.
  await openCamera(page);
  const frame = await page.evaluate(() => {
    const v = document.querySelector("[data-guided-video]");
    window.tracks = v.srcObject.getTracks();
    return { width: v.videoWidth, height: v.videoHeight };
  });
  await page.getByRole("button", { name: /^take photo$/i }).click();
  await page.waitForFunction(() => document.querySelector("#photo-file").files.length === 1);
  const file = await page.locator("#photo-file").evaluate((i) => ({ name: i.files[0].name, type: i.files[0].type, size: i.files[0].size }));
  assert.deepEqual({ name: file.name, type: file.type }, { name: "guided-front.jpg", type: "image/jpeg" });
  assert.ok(file.size > 1000, `a real frame (${file.size} bytes)`);
  assert.deepEqual(await page.evaluate(() => window.tracks.map((t) => t.readyState)), ["ended"], "the camera is off");
  assert.equal(await page.locator("[data-guided-panel]").isVisible(), false);
  assert.ok(await page.locator("[data-guided-shot]").isVisible(), "the frame taken is shown");
  assert.match(await page.locator("[data-guided-status]").innerText(), /photo taken/i);
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), "Upload photo", "the focus goes to sending it");

  // The plain form sends it: the photo is added, as large as the camera's frame.
  await submit(page, /upload photo/i);
  await assert.doesNotReject(page.getByText(/the photo was added/i).first().waitFor());
  assert.equal(await page.locator("#photos ~ ul img").count(), 2, "the baseline and the guided photo");
  const id = patientUrl.split("/").pop();
  const list = await page.evaluate(async (u) => (await fetch(u)).json(), `/api/v1/patients/${id}/photos`);
  const taken = list.photos[0];
  assert.deepEqual({ view: taken.view, stage: taken.stage, width: taken.width, height: taken.height },
    { view: "front", stage: "session", width: frame.width, height: frame.height });
  await ctx.close();
});

test("staff: without a camera's permission, or without a camera API, the plain file input is all there is", async () => {
  const ctx = await context(browser, PHONE);
  const page = await ctx.newPage();
  await page.goto(server.base + "/login");
  await page.locator("#email").fill(ADMIN.email);
  await page.locator("#password").fill(ADMIN.password);
  await Promise.all([page.waitForURL(/\/staff/), page.locator("#password").press("Enter")]);
  // Refused: the camera does not open and the page says to use the Photo field.
  await page.addInitScript(() => {
    navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException("refused", "NotAllowedError"));
  });
  await page.goto(patientUrl + "#photos");
  await page.locator("summary", { hasText: /add a photo/i }).click();
  await page.getByRole("button", { name: /use the guided camera/i }).click();
  await assert.doesNotReject(page.getByText(/the camera could not be opened/i).first().waitFor());
  assert.equal(await page.locator("[data-guided-panel]").isVisible(), false);
  assert.ok(await page.locator("#photo-file").isEnabled());
  // No camera API at all: no button.
  const bare = await ctx.newPage();
  await bare.addInitScript(() => { Object.defineProperty(navigator, "mediaDevices", { value: undefined }); });
  await bare.goto(patientUrl + "#photos");
  await bare.locator("summary", { hasText: /add a photo/i }).click();
  assert.equal(await bare.getByRole("button", { name: /use the guided camera/i }).count(), 0);
  assert.ok(await bare.locator("#photo-file").isVisible());
  await ctx.close();
});

test("patient on a 375 px phone, under the page's CSP: their front baseline guides a photo sent with a check-in", async () => {
  await staffPage.goto(patientUrl);
  await submit(staffPage, /invite/i);
  await assert.doesNotReject(staffPage.getByText(/on its way to/i).first().waitFor());
  const link = server.inviteLink(patientUrl.split("/").pop());
  // Not the shared context(): this one keeps the content security policy, and records breaches.
  const ctx = await browser.newContext({ ...PHONE, locale: "en-GB" });
  ctx.setDefaultTimeout(15000);
  await ctx.addInitScript(() => {
    window.cspBreaches = [];
    document.addEventListener("securitypolicyviolation", (e) => window.cspBreaches.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  const page = await ctx.newPage();
  await page.goto(link);
  await submit(page, /open my care plan/i);
  await page.waitForURL(/\/me$/);
  await page.goto(server.base + "/me/check-in");
  await page.locator("#symptom-redness").check();
  await page.locator("#severity-redness-mild").check();
  await page.locator("#trend-redness-improving").check();
  const answer = await Promise.all([page.waitForNavigation(), page.getByRole("button", { name: /send my check-in/i }).click()]);
  assert.match(answer[0].headers()["content-security-policy"], /default-src 'self'/, "the page has its CSP");

  await openCamera(page);
  const over = await guideOverVideo(page);
  assert.equal(over.src, baselineImage, "the patient's own front baseline, from their photo list");
  assert.ok(over.same && over.onTop, "the guide lies over the video");
  await page.getByRole("button", { name: /^take photo$/i }).click();
  await page.waitForFunction(() => document.querySelector("#check-in-photo").files.length === 1);
  assert.deepEqual(await page.evaluate(() => window.cspBreaches), [], "nothing breached the CSP");
  await submit(page, /send the photo/i);
  await assert.doesNotReject(page.getByText(/your photo was sent to your clinic/i).first().waitFor());
  await ctx.close();
});
