// The grant cycle in a real browser: a charity registers, applies and submits; an assessor
// scores; an administrator awards; the charity accepts and submits a return; finance authorises
// the first release and pays it through a payment run; a family sends
// feedback from a phone-sized screen; a partner claims visiting costs from a phone, the unit
// certifies and the cash office decides each cost; an official downloads a CSV. axe-core checks every page
// visited and the run fails on any serious or critical violation.
//
//   BASE_URL=http://127.0.0.1:8080 LOGINS=path/to/logins.txt node web/tests/portal.mjs
//
// LOGINS is what `grantfund serve --demo` prints: one "role email password" line per account,
// with a fourth column, the TOTP secret, for staff, whose sign-in asks for a code.
// SCREENSHOTS=dir keeps a picture of each main page there.
import { readFile, mkdir } from "node:fs/promises";
import { createHmac } from "node:crypto";
import { createRequire } from "node:module";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const axeSource = await readFile(require.resolve("axe-core/axe.min.js"), "utf8");

const base = process.env.BASE_URL ?? "http://127.0.0.1:8080";
const shots = process.env.SCREENSHOTS;
const logins = Object.fromEntries(
  (await readFile(process.env.LOGINS, "utf8"))
    .split("\n")
    .map((line) => line.trim().split(/\s+/))
    .filter((parts) => parts.length === 3 || parts.length === 4)
    .map(([role, email, password, secret]) => [role, { email, password, secret }]),
);

/** The code an authenticator app shows now for a base32 secret (RFC 6238: HMAC-SHA-1, 30 s). */
function totp(secret) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of secret.toUpperCase().replace(/=+$/, "")) {
    bits += alphabet.indexOf(c).toString(2).padStart(5, "0");
  }
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const step = Buffer.alloc(8);
  step.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30000)));
  const digest = createHmac("sha1", key).update(step).digest();
  const offset = digest[digest.length - 1] & 15;
  return String((digest.readUInt32BE(offset) & 0x7fffffff) % 1000000).padStart(6, "0");
}
for (const role of ["administrator", "assessor", "official", "finance", "clinician", "cash_office"]) {
  assert.ok(logins[role], `no ${role} login in ${process.env.LOGINS}`);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});

const checked = [];
let failures = 0;

/** Runs axe on the page; serious and critical violations fail the run. */
async function axe(page, name) {
  // Evaluated through the debugging protocol: the portal's CSP rightly refuses inline scripts.
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () =>
    // eslint-disable-next-line no-undef
    axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"] } }),
  );
  const serious = result.violations.filter((v) => ["serious", "critical"].includes(v.impact));
  checked.push(name);
  for (const v of serious) {
    failures += 1;
    console.error(`axe: ${name}: ${v.id} (${v.impact}): ${v.help}`);
    for (const node of v.nodes.slice(0, 5)) console.error(`   ${node.target.join(" ")}`);
  }
}

// The pages shown in the README.
const main = new Set([
  "home", "directory", "register-errors", "application-errors", "scoring", "ranking", "decision",
  "offer", "return", "feedback-link", "family-feedback", "dashboard", "family-claim-lines",
  "cash-office-claim",
]);

/** Checks the page with axe and keeps a screenshot of a main page when asked. */
async function look(page, name) {
  await axe(page, name);
  if (shots && main.has(name)) {
    await mkdir(shots, { recursive: true });
    await page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });
  }
}

async function newPage(options = {}) {
  const context = await browser.newContext({ baseURL: base, acceptDownloads: true, ...options });
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  page.on("pageerror", (error) => {
    failures += 1;
    console.error(`script error on ${page.url()}: ${error.message}`);
  });
  // The pages' own policy must allow everything they use, and every asset must load.
  page.on("console", (message) => {
    const text = message.text();
    const asset = message.location().url?.includes("/assets/");
    if (message.type() === "error" && (text.includes("Content Security Policy") || asset)) {
      failures += 1;
      console.error(`console error on ${page.url()}: ${text} ${message.location().url ?? ""}`);
    }
  });
  return page;
}

async function signIn(page, email, password, secret) {
  await page.goto("/sign-in");
  await page.getByLabel("Email address", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  if (secret) {
    // The second page of signing in asks for the code the phone shows.
    await page.getByLabel("Code from your authenticator app", { exact: true }).fill(totp(secret));
    await page.getByRole("button", { name: "Continue" }).click();
  }
  await page.waitForURL((url) => !url.pathname.startsWith("/sign-in"));
}

async function step(name, body) {
  const started = Date.now();
  try {
    await body();
    console.log(`ok   ${name} (${Date.now() - started} ms)`);
  } catch (error) {
    failures += 1;
    console.error(`FAIL ${name}: ${error.stack ?? error}`);
    for (const context of browser.contexts()) {
      for (const page of context.pages()) {
        const problems = await page.locator(".govuk-error-summary a, .govuk-error-summary li, .govuk-main-wrapper h1").evaluateAll((nodes) =>
          nodes.map((n) => `${n.getAttribute("href") ?? ""} ${n.textContent}`),
        );
        console.error(`  on ${page.url()}: ${problems.join(" | ").replace(/\s+/g, " ")}`);
      }
    }
    throw error;
  }
}

const stamp = Date.now().toString(36);
const charity = {
  name: `Bumps Together ${stamp}`,
  email: `lead-${stamp}@bumps-together.example.org`,
  password: "a long test password for the portal",
};
// A grant for the financial year just ended, so that its monitoring return is already due.
const now = new Date();
const fyStart = now.getUTCMonth() >= 3 ? now.getUTCFullYear() : now.getUTCFullYear() - 1;
const lastYear = `${fyStart - 1}-${String(fyStart % 100).padStart(2, "0")}`;
const local = (date) => date.toISOString().slice(0, 16);
const state = {};

try {
  const admin = await newPage();
  const applicant = await newPage();
  const assessor = await newPage();

  await step("the public pages", async () => {
    await applicant.goto("/");
    await look(applicant, "home");
    await applicant.goto("/directory");
    await look(applicant, "directory");
    // With htmx, choosing a board filters at once and the address follows.
    const before = await applicant.locator("#results > p").textContent();
    await applicant.getByLabel("NHS health board", { exact: true }).selectOption("fife");
    await applicant.waitForURL(/health_board=fife/);
    await applicant.waitForFunction((text) => document.querySelector("#results > p").textContent !== text, before);
    await applicant.goto("/rounds");
    await look(applicant, "rounds");
  });

  await step("an administrator sets up a fund, a year, a round and its criteria", async () => {
    await signIn(admin, logins.administrator.email, logins.administrator.password, logins.administrator.secret);
    await admin.goto("/admin/funds");
    await look(admin, "admin-funds");
    await admin.getByText("Set up a new fund").click();
    await admin.getByLabel("Fund name", { exact: true }).fill(`Browser fund ${stamp}`);
    await admin.getByLabel("Code", { exact: true }).fill(`B${stamp.slice(-6).toUpperCase().replace(/[^A-Z0-9]/g, "X")}`);
    await admin.getByLabel("Funder", { exact: true }).fill("Scottish Government");
    await admin.getByLabel("Funder's organisation identifier", { exact: true }).fill("GB-GOR-PC390");
    await admin.getByLabel("Administrator", { exact: true }).fill("Inspiring Scotland");
    await admin.getByLabel("Administrator's organisation identifier", { exact: true }).fill("GB-SC-SC040887");
    await admin.getByLabel("Programme starts", { exact: true }).fill(`${fyStart - 1}-04-01`);
    await admin.getByLabel("Programme ends", { exact: true }).fill(`${fyStart + 2}-03-31`);
    await admin.getByLabel("Reach target", { exact: true }).fill("1000");
    await admin.getByRole("button", { name: "Create fund" }).click();
    await admin.waitForURL(/\/admin\/funds\/\d+$/);
    state.fundUrl = admin.url();

    await admin.getByText("Set a year's limit").click();
    await admin.getByLabel("Financial year", { exact: true }).fill(lastYear);
    await admin.getByLabel("Limit", { exact: true }).fill("100000");
    await admin.getByLabel("The funder has approved this year", { exact: true }).check();
    await admin.getByRole("button", { name: "Save year" }).click();
    await admin.waitForURL(state.fundUrl);
    await assert.doesNotReject(admin.getByRole("cell", { name: lastYear }).waitFor());

    await admin.getByText("Open a new round").click();
    await admin.getByLabel("Round name", { exact: true }).fill(`Core ${stamp}`);
    await admin.getByLabel("Core", { exact: true }).check();
    await admin.getByLabel("Opens (UTC)", { exact: true }).fill(local(new Date(Date.now() - 3600_000)));
    await admin.getByLabel("Closes (UTC)", { exact: true }).fill(local(new Date(Date.now() + 30 * 86400_000)));
    await admin.getByLabel("Financial years it funds", { exact: true }).fill(lastYear);
    await admin.getByLabel("Smallest request per year", { exact: true }).fill("1000");
    await admin.getByLabel("Largest request per year", { exact: true }).fill("50000");
    await admin.getByLabel("Assessments needed before a decision", { exact: true }).fill("1");
    await admin.getByLabel("Annually", { exact: true }).check();
    await admin.getByLabel("Guidance for applicants", { exact: true }).fill("Tell us who you support and how.");
    await look(admin, "admin-fund");
    await admin.getByRole("button", { name: "Create round" }).click();
    await admin.waitForURL(/\/admin\/rounds\/\d+$/);
    state.roundUrl = admin.url();
    state.roundId = state.roundUrl.split("/").pop();

    await admin.getByText("Add a criterion").click();
    await admin.getByLabel("Name", { exact: true }).fill("Need and reach");
    await admin.getByLabel("Guidance for assessors", { exact: true }).fill("How well the project meets a clear need.");
    await admin.getByLabel("Weight", { exact: true }).fill("1");
    await admin.getByLabel("Top score", { exact: true }).fill("5");
    await admin.getByRole("button", { name: "Add criterion" }).click();
    await admin.waitForURL(state.roundUrl);
    await admin.getByRole("cell", { name: "Need and reach" }).waitFor();
  });

  await step("a charity registers, sees every error at once, applies and submits", async () => {
    await applicant.goto("/register");
    await applicant.getByRole("button", { name: "Register" }).click();
    const summary = applicant.locator(".govuk-error-summary");
    await summary.waitFor();
    const errors = await summary.locator("li").count();
    assert.ok(errors >= 5, `expected every failed field listed, saw ${errors}`);
    await look(applicant, "register-errors");

    await applicant.getByLabel("Organisation name", { exact: true }).fill(charity.name);
    await applicant.getByLabel("Scottish charitable incorporated organisation (SCIO)", { exact: true }).check();
    await applicant.getByLabel("Scottish Charity Number", { exact: true }).fill("SC049999");
    await applicant.getByLabel("Income in your last financial year", { exact: true }).fill("85000");
    await applicant.getByLabel("Address", { exact: true }).fill("1 High Street, Kirkcaldy");
    await applicant.getByLabel("Postcode", { exact: true }).fill("KY1 1XX");
    await applicant.getByLabel("NHS Fife", { exact: true }).check();
    await applicant.getByLabel("Contact email address", { exact: true }).fill(charity.email);
    await applicant.getByLabel("Your full name", { exact: true }).fill("Morag Lead");
    await applicant.getByLabel("Your work email address", { exact: true }).fill(charity.email);
    await applicant.getByLabel("Choose a password", { exact: true }).fill(charity.password);
    await applicant.getByRole("button", { name: "Register" }).click();
    await applicant.waitForURL((url) => url.pathname === "/");
    await applicant.getByRole("heading", { name: /Welcome/ }).waitFor();

    await applicant.goto(`/rounds/${state.roundId}`);
    await look(applicant, "round");
    await applicant.getByRole("button", { name: "Start an application" }).click();
    await applicant.waitForURL(/\/apply$/);
    await applicant.getByRole("button", { name: "Submit application" }).click();
    await applicant.locator(".govuk-error-summary").waitFor();
    // With a title the draft is kept, and every rule the submission breaks is listed at once.
    await applicant.getByLabel("Project title", { exact: true }).fill("Peer support for new parents in Fife");
    await applicant.getByRole("button", { name: "Submit application" }).click();
    await applicant.getByRole("heading", { name: "Your draft application" }).waitFor();
    const broken = await applicant.locator(".govuk-error-summary li").count();
    assert.ok(broken >= 4, `expected every broken rule listed, saw ${broken}`);
    assert.equal(await applicant.locator(".govuk-error-message").count(), broken);
    await look(applicant, "application-errors");

    await applicant.getByLabel("Summary", { exact: true }).fill("Weekly peer groups and one-to-one support for parents with a baby under one.");
    await applicant.getByLabel("What you will do", { exact: true }).fill("Trained peer supporters run groups in four towns.");
    await applicant.getByLabel(`Financial year ${lastYear}`, { exact: true }).fill("30000");
    await applicant.getByLabel("Mothers and birthing parents", { exact: true }).check();
    await applicant.getByLabel("NHS Fife", { exact: true }).check();
    await applicant.getByLabel("Peer support", { exact: true }).check();
    await applicant.getByLabel("Yes", { exact: true }).check();
    const reach = { women: "120", partners: "60", infants: "100", families: "90" };
    for (const [group, count] of Object.entries(reach)) {
      await applicant.locator(`[id="expected_reach.${group}"]`).fill(count);
    }
    await applicant.getByLabel("Equality impact", { exact: true }).fill("Groups in areas of high deprivation, with interpreters.");
    await applicant.getByRole("button", { name: "Submit application" }).click();
    await applicant.waitForURL(/\/applications\/\d+\?submitted=1$/);
    state.applicationId = applicant.url().match(/applications\/(\d+)/)[1];
    await applicant.getByText("Your application is submitted.").waitFor();
    await look(applicant, "application-submitted");
  });

  await step("the administrator verifies the charity and assigns the assessor", async () => {
    await admin.goto(`/admin/applications/${state.applicationId}`);
    await admin.getByRole("button", { name: /Mark .* as verified/ }).click();
    await admin.getByText("Organisation verified").waitFor();
    const option = admin.locator("#assessor_id option", { hasText: logins.assessor.email });
    await admin.getByLabel("Assign another assessor", { exact: true }).selectOption(await option.getAttribute("value"));
    await admin.getByRole("button", { name: "Assign", exact: true }).click();
    await admin.waitForURL(/\/admin\/applications\/\d+$/);
  });

  await step("an assessor declares no conflict and scores", async () => {
    await signIn(assessor, logins.assessor.email, logins.assessor.password, logins.assessor.secret);
    await assessor.goto("/assessments");
    await look(assessor, "assessments");
    await assessor.getByRole("link", { name: "Peer support for new parents in Fife" }).click();
    await assessor.getByLabel("No, I have no conflict of interest", { exact: true }).check();
    await look(assessor, "conflict-declaration");
    await assessor.getByRole("button", { name: "Continue" }).click();
    await assessor.getByLabel("Score for Need and reach", { exact: true }).selectOption("4");
    await assessor.getByLabel("Why this score", { exact: true }).fill("A clear need, well evidenced.");
    await look(assessor, "scoring");
    await assessor.getByRole("button", { name: "Submit assessment" }).click();
    await assessor.getByText("Assessment submitted").waitFor();
  });

  await step("the administrator ranks and awards within the year's budget", async () => {
    await admin.goto(`/admin/rounds/${state.roundId}/ranking`);
    await admin.getByRole("link", { name: "Peer support for new parents in Fife" }).waitFor();
    await look(admin, "ranking");
    await admin.goto(`/admin/applications/${state.applicationId}`);
    await admin.getByLabel("Award a grant", { exact: true }).check();
    await admin.getByLabel(`Amount for ${lastYear}`, { exact: true }).fill("28000");
    await admin.getByLabel("Conditions of the grant (optional)", { exact: true }).fill("Quarterly contact with the fund manager.");
    await look(admin, "decision");
    await admin.getByRole("button", { name: "Record decision" }).click();
    await admin.getByText("Awarded", { exact: true }).first().waitFor();
    await admin.goto(state.fundUrl);
    await admin.getByRole("cell", { name: "£72,000" }).waitFor();
  });

  await step("the charity accepts the offer and submits a return", async () => {
    await applicant.goto("/awards");
    await look(applicant, "awards");
    await applicant.getByRole("link", { name: /^B/ }).first().click();
    await look(applicant, "offer");
    await applicant.getByRole("button", { name: "Accept the offer" }).click();
    await applicant.getByRole("heading", { name: "Monitoring returns" }).waitFor();
    state.awardUrl = applicant.url();
    await applicant.locator("a[href^='/returns/']").first().click();
    await applicant.getByLabel("Spent in the period", { exact: true }).fill("0");
    const counts = {
      "reached.women": 40, "reached.partners": 12, "reached.infants": 35, "reached.kinship_carers": 2,
      "reached.families": 30, "reached.new": 28, "reached.continuing": 12,
      sessions: 24, peer_supporters: 6, volunteers: 4,
    };
    for (const [field, count] of Object.entries(counts)) {
      await applicant.locator(`[id="${field}"]`).fill(String(count));
    }
    await applicant.getByLabel("What changed for the people you supported", { exact: true }).fill("Parents said they felt less alone.");
    await look(applicant, "return");
    await applicant.getByRole("button", { name: "Submit return" }).click();
    await applicant.getByText("Your return is submitted.").waitFor();
    state.returnUrl = applicant.url().replace(/\?.*$/, "");
  });

  await step("the charity uploads its accounts and watches the upload go", async () => {
    await applicant.goto("/organisation");
    await applicant.getByRole("link", { name: "Your organisation's documents" }).click();
    await applicant.waitForURL(/\/documents\/organisation\/\d+$/);
    const documentsUrl = applicant.url();
    // Without a file the answer comes back into the page, with the message beside the field.
    await applicant.getByLabel("Annual accounts", { exact: true }).check();
    await applicant.getByRole("button", { name: "Upload", exact: true }).click();
    await applicant.locator("#file-error").getByText("Select a file to upload").waitFor();
    assert.equal(await applicant.locator(".govuk-error-summary").count(), 1);
    // Every progress event the page receives, as the person sees it.
    await applicant.evaluate(() => {
      window.uploadProgress = [];
      document.body.addEventListener("htmx:xhr:progress", () => {
        const box = document.querySelector("[data-upload-box]");
        window.uploadProgress.push({
          shown: box !== null && !box.hidden,
          value: box?.querySelector("progress").value,
          status: box?.querySelector("[data-upload-status]").textContent,
        });
      });
    });
    const pdf = Buffer.concat([Buffer.from("%PDF-1.7\n"), Buffer.alloc(4 * 1024 * 1024, 0x20), Buffer.from("\n%%EOF\n")]);
    await applicant.getByLabel("Annual accounts", { exact: true }).check();
    await applicant.getByLabel("For annual accounts: the last day they cover", { exact: true }).fill("2026-03-31");
    await applicant.getByLabel("Upload a file", { exact: true }).setInputFiles({ name: "Accounts 2025-26.pdf", mimeType: "application/pdf", buffer: pdf });
    await applicant.getByRole("button", { name: "Upload", exact: true }).click();
    await applicant.getByText("Your document is uploaded.").waitFor();
    await applicant.getByRole("link", { name: "Accounts 2025-26.pdf" }).waitFor();
    assert.equal(applicant.url(), `${documentsUrl}?uploaded=1`);
    const seen = await applicant.evaluate(() => window.uploadProgress);
    assert.ok(seen.length > 0, "no progress was shown while the file went");
    assert.ok(seen.every((p) => p.shown), "the progress bar was hidden during the upload");
    assert.ok(seen.some((p) => /% uploaded$|checking the file$/.test(p.status)), `progress said ${JSON.stringify(seen.at(-1))}`);
    await look(applicant, "documents");
  });

  await step("the charity gives its bank details and a second person checks them", async () => {
    await applicant.goto("/organisation/bank-details");
    await applicant.getByLabel("Name on the account", { exact: true }).fill("Bumps and Babies");
    await applicant.getByLabel("Sort code", { exact: true }).fill("80-22-60");
    await applicant.getByLabel("Account number", { exact: true }).fill("10203040");
    await applicant.getByRole("button", { name: "Save bank details" }).click();
    await applicant.getByText("****3040").waitFor();
    await look(applicant, "bank-details");
    await admin.goto(`/admin/applications/${state.applicationId}`);
    await admin.getByRole("link", { name: /^Bank details of / }).click();
    await admin.getByRole("button", { name: "Confirm these bank details are correct" }).click();
    // Checking bank details needs a code from the last ten minutes; a long walk asks again.
    await Promise.race([
      admin.getByText("The bank details are checked.").waitFor(),
      admin.waitForURL((url) => url.pathname === "/account/step-up"),
    ]);
    if (new URL(admin.url()).pathname === "/account/step-up") {
      await admin.getByLabel("Code from your authenticator app", { exact: true }).fill(totp(logins.administrator.secret));
      await admin.getByRole("button", { name: "Continue" }).click();
      await admin.getByRole("button", { name: "Confirm these bank details are correct" }).click();
    }
    await admin.getByText("The bank details are checked.").waitFor();
    await look(admin, "bank-details-check");
  });

  await step("the administrator requests the first release and finance pays it in a run", async () => {
    await admin.goto(`/admin/applications/${state.applicationId}`);
    await admin.getByRole("link", { name: "The award and its instalments" }).click();
    await admin.getByRole("button", { name: /^Request release/ }).first().click();
    await admin.getByText("A finance user must now authorise it.").waitFor();
    await look(admin, "award-releases");
    const finance = await newPage();
    await signIn(finance, logins.finance.email, logins.finance.password, logins.finance.secret);
    await finance.goto("/finance/authorisations");
    await look(finance, "authorisations");
    await finance.getByRole("button", { name: /^Authorise/ }).first().click();
    await finance.getByText("It is paid by the next payment run.").waitFor();
    await finance.goto("/finance/payment-runs");
    await look(finance, "payment-runs");
    await finance.getByRole("button", { name: "Build a payment run" }).click();
    await finance.getByText("The payment run is built.").waitFor();
    await look(finance, "payment-run");
    await finance.getByRole("button", { name: /^Close the run/ }).click();
    await finance.getByText("The payment run is closed.").waitFor();
    await finance.getByRole("button", { name: /^Mark paid/ }).first().click();
    await finance.getByText("The line is marked paid.").waitFor();
    await look(finance, "payment-run-paid");
  });

  await step("the charity makes a feedback link with a printable QR code", async () => {
    await applicant.goto(state.awardUrl);
    await applicant.getByLabel("Name of a new link", { exact: true }).fill("Tuesday group, Kirkcaldy");
    await applicant.getByRole("button", { name: "Make a link and QR code" }).click();
    await applicant.locator(".app-qr svg").waitFor();
    state.feedbackUrl = (await applicant.locator("p.govuk-\\!-font-weight-bold").textContent()).trim();
    assert.match(state.feedbackUrl, /\/f\/[A-Za-z0-9_-]+$/);
    await look(applicant, "feedback-link");
  });

  await step("a family gives feedback from a phone", async () => {
    const phone = await newPage({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
    const path = new URL(state.feedbackUrl).pathname;
    await phone.goto(path);
    await look(phone, "family-feedback");
    const width = await phone.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 360, `the form is wider than the phone: ${width}px`);
    await phone.getByLabel("Mum or birthing parent", { exact: true }).check();
    for (const group of await phone.locator("fieldset:has(input[name^='ratings.'])").all()) {
      await group.getByLabel("Strongly agree", { exact: true }).check();
    }
    await phone.getByLabel("What difference did the support make? (optional)", { exact: true }).fill("I made friends and felt calmer.");
    await phone.getByRole("button", { name: "Send feedback" }).click();
    await phone.getByRole("heading", { name: "Thank you" }).waitFor();
    await look(phone, "family-thanks");
  });

  // A photo of a receipt, as a phone's camera gives it: a valid one-pixel PNG.
  const receipt = Buffer.from(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
    "base64",
  );
  const family = await newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const narrow = async (page) => {
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 390, `${page.url()} is wider than the phone: ${width}px`);
  };

  await step("a partner registers from a phone and records the stay", async () => {
    await family.goto("/family/register");
    await look(family, "family-register");
    await family.getByRole("button", { name: "Register" }).click();
    await family.locator(".govuk-error-summary").waitFor();
    await look(family, "family-register-errors");
    await family.getByLabel("Your full name", { exact: true }).fill("Ewan Fraser");
    await family.getByLabel("Your email address", { exact: true }).fill(`ewan-${stamp}@family.example.org`);
    await family.getByLabel("Choose a password", { exact: true }).fill("a long test password for the family");
    await family.getByRole("button", { name: "Register" }).click();
    await family.waitForURL(/\/family\/stays\/new$/);
    await look(family, "family-stay-form");
    await narrow(family);
    await family.getByRole("button", { name: "Save the stay" }).click();
    await family.locator(".govuk-error-summary").waitFor();
    await look(family, "family-stay-errors");
    await family.getByLabel("Her full name", { exact: true }).fill("Eilidh Fraser");
    await family.getByLabel("Her date of birth", { exact: true }).fill("1995-08-21");
    const place = await family.locator("#place option", { hasText: "St John's" }).first().getAttribute("value");
    await family.getByLabel("The unit and ward she is in", { exact: true }).selectOption(place);
    await family.getByLabel("Her consultant's name", { exact: true }).fill("Dr E. Baxter");
    await family.getByLabel("The day she was admitted", { exact: true }).fill("2025-06-01");
    await family.getByLabel("The NHS board you live in", { exact: true }).selectOption("highland");
    await family.locator("[name='children[0].first_name']").fill("Isla");
    await family.locator("[name='children[0].date_of_birth']").fill("2017-04-09");
    await family.getByRole("button", { name: "Save the stay" }).click();
    await family.waitForURL(/\/family\/stays\/\d+\?done=stay$/);
    state.stayUrl = family.url().split("?")[0];
    await family.getByText("Eilidh Fraser, born 21 August 1995").waitFor();
    await look(family, "family-stay");
    await narrow(family);
  });

  await step("the partner asks for a taxi and the unit's clinician approves it", async () => {
    await family.getByText("Ask for a taxi or a flight").click();
    await family.getByLabel("Taxi", { exact: true }).check();
    await family.locator("fieldset:has(input[name='journey.visitor_id'])").getByLabel("Ewan Fraser", { exact: true }).check();
    await family.getByLabel("Day of the journey", { exact: true }).fill(new Date().toISOString().slice(0, 10));
    await family.getByLabel("Where from and to, and why this way", { exact: true }).fill("Home to the unit: no bus after 7pm");
    await family.getByRole("button", { name: "Send the request" }).click();
    await family.waitForURL(/done=journey/);
    const unit = await newPage();
    state.unit = unit;
    await signIn(unit, logins.clinician.email, logins.clinician.password, logins.clinician.secret);
    await unit.goto("/family/queue");
    await look(unit, "clinic-queue");
    const card = unit.locator(".govuk-summary-card", { hasText: "no bus after 7pm" });
    await card.getByRole("button", { name: /^Refuse/ }).click();
    await unit.locator(".govuk-error-summary").waitFor();
    await look(unit, "clinic-queue-errors");
    await unit.locator(".govuk-summary-card", { hasText: "no bus after 7pm" }).getByRole("button", { name: /^Approve/ }).click();
    await unit.waitForURL(/answered=1/);
    await family.goto(state.stayUrl);
    await family.getByText("Approved", { exact: true }).first().waitFor();
  });

  await step("the partner adds costs day by day with a receipt's photo and sends the claim", async () => {
    await family.getByRole("button", { name: "Start a new claim" }).click();
    await family.waitForURL(/\/family\/claims\/\d+$/);
    state.familyClaimUrl = family.url();
    await look(family, "family-claim");
    await narrow(family);
    const cost = async (day, person, kind, fields = {}) => {
      await family.getByLabel("Day", { exact: true }).fill(day);
      await family.locator("fieldset:has(input[name='visitor_id'])").getByLabel(person, { exact: true }).check();
      await family.getByLabel(kind, { exact: true }).check();
      if (fields.amount) await family.getByLabel("Amount spent", { exact: true }).fill(fields.amount);
      if (fields.miles) await family.getByLabel("Car: miles there and back", { exact: true }).fill(fields.miles);
      if (fields.photo) await family.getByLabel("Photo of the receipt", { exact: true }).setInputFiles(fields.photo);
      await family.getByRole("button", { name: "Add this cost" }).click();
    };
    // A car journey without its miles is refused beside the input, and nothing is lost.
    await cost("2025-06-02", "Ewan Fraser", "Car");
    await family.locator("#miles-error").waitFor();
    await look(family, "family-claim-errors");
    await family.getByLabel("Car: miles there and back", { exact: true }).fill("84");
    await family.getByRole("button", { name: "Add this cost" }).click();
    await family.waitForURL(/done=line/);
    await cost("2025-06-02", "Isla", "Food and drink");
    await family.waitForURL(/done=line/);
    await cost("2025-06-03", "Ewan Fraser", "Public transport", {
      amount: "£12.40",
      photo: { name: "bus-ticket.png", mimeType: "image/png", buffer: receipt },
    });
    await family.waitForURL(/done=line/);
    await family.getByText("Costs claimed:").waitFor();
    await family.getByRole("link", { name: "Receipt" }).first().waitFor();
    await look(family, "family-claim-lines");
    await narrow(family);
    await family.getByRole("button", { name: "Send the claim" }).click();
    await family.waitForURL(/done=sent/);
    await family.getByText("Waiting for the unit to confirm the dates").first().waitFor();
  });

  await step("the unit certifies the dates and the cash office decides each cost", async () => {
    const unit = state.unit;
    await unit.goto("/family/queue");
    await unit.locator(`a[href='${new URL(state.familyClaimUrl).pathname}']`).click();
    await look(unit, "clinic-claim");
    await unit.getByRole("button", { name: "Certify" }).click();
    await unit.waitForURL(/done=certified/);
    const board = await newPage();
    await signIn(board, logins.cash_office.email, logins.cash_office.password, logins.cash_office.secret);
    await board.goto("/family/queue");
    await look(board, "cash-office-queue");
    await board.locator(`a[href='${new URL(state.familyClaimUrl).pathname}']`).first().click();
    await look(board, "cash-office-claim");
    await board.locator("input[name^='outcome-'][value='part']").first().check();
    await board.locator("input[name^='amount-']").first().fill("10.00");
    await board.getByRole("button", { name: "Approve the claim" }).click();
    await board.locator(".govuk-error-summary").waitFor();
    await look(board, "cash-office-claim-errors");
    await board.locator("input[name^='reason-']").first().fill("Paid at the mileage of the shortest route");
    await board.getByRole("button", { name: "Approve the claim" }).click();
    await board.waitForURL(/done=approved/);
    await board.goto("/finance/payment-runs");
    await look(board, "cash-office-runs");
    await board.locator("main a[href^='/finance/payment-runs/']").first().click();
    await look(board, "cash-office-run");
    await family.goto(state.familyClaimUrl);
    await family.getByText("Approved, waiting for payment").first().waitFor();
    await family.getByText("Paid at the mileage of the shortest route").waitFor();
    await look(family, "family-claim-approved");
    await family.goto("/family");
    await look(family, "family-home");
  });

  await step("an official reads the dashboard and downloads a CSV", async () => {
    const official = await newPage();
    state.official = official;
    await signIn(official, logins.official.email, logins.official.password, logins.official.secret);
    await official.goto("/dashboard");
    await official.getByLabel("Fund", { exact: true }).selectOption("1");
    await official.waitForURL(/fund=1/);
    await official.getByRole("heading", { name: "Perinatal and Infant Mental Health Third Sector Fund" }).waitFor();
    await official.locator("svg.app-chart").first().waitFor();
    await look(official, "dashboard");
    const [download] = await Promise.all([
      official.waitForEvent("download"),
      official.getByRole("link", { name: "Download the summary (CSV)" }).click(),
    ]);
    const path = await download.path();
    const csv = await readFile(path, "utf8");
    assert.match(csv.split("\n")[0], /financial_year/);
    assert.ok(csv.trim().split("\n").length > 1, "the CSV has no rows");
  });

  await step("an official reads what the family fund paid, small groups withheld", async () => {
    const official = state.official;
    await official.goto("/dashboard?fund=2");
    await official.getByRole("heading", { name: "What the family fund paid" }).waitFor();
    await look(official, "dashboard-family");
    const [download] = await Promise.all([
      official.waitForEvent("download"),
      official.getByRole("link", { name: "Download what the family fund paid (CSV)" }).click(),
    ]);
    const csv = await readFile(await download.path(), "utf8");
    assert.ok(csv.trim().split("\n").length > 1, "the family CSV has no rows");
  });

  await step("the administrator asks for changes, and the charity sends the return again", async () => {
    await admin.goto("/admin/returns");
    await admin.locator("main").getByRole("link", { name: /^B/ }).first().click();
    await admin.getByLabel("Ask for changes", { exact: true }).check();
    await admin.getByRole("button", { name: "Record review" }).click();
    await admin.locator(".govuk-error-summary").waitFor();
    await admin.getByLabel("What should change", { exact: true }).fill("Please say how many sessions were online.");
    await admin.getByRole("button", { name: "Record review" }).click();
    await admin.waitForURL(/\/admin\/returns$/);

    await applicant.goto(state.returnUrl);
    await applicant.getByText("Please say how many sessions were online.").waitFor();
    await applicant
      .getByLabel("What changed for the people you supported", { exact: true })
      .fill("Parents said they felt less alone. 10 of the 24 sessions were online.");
    await applicant.getByRole("button", { name: "Submit return" }).click();
    await applicant.getByText("Your return is submitted.").waitFor();
  });

  await step("the administrator accepts the return and sees the outbox and audit", async () => {
    await admin.goto(state.returnUrl.replace("/returns/", "/admin/returns/"));
    await admin.getByLabel("Accept the return", { exact: true }).check();
    await admin.getByRole("button", { name: "Record review" }).click();
    await admin.waitForURL(/\/admin\/returns$/);
    await admin.goto("/admin/outbox");
    await look(admin, "outbox");
    await admin.goto("/admin/audit");
    await look(admin, "audit");
  });

  await step("the charity asks to end its grant later and the administrator approves it", async () => {
    await applicant.goto(state.awardUrl);
    await applicant.getByRole("button", { name: "Ask for the variation" }).click();
    await applicant.locator(".govuk-error-summary").waitFor();
    await look(applicant, "variation-errors");
    await applicant.getByLabel("End the grant later, without new money", { exact: true }).check();
    await applicant.getByLabel("New last day of the grant", { exact: true }).fill(`${fyStart}-09-30`);
    await applicant.getByLabel("Why is the change needed?", { exact: true }).fill("The groups started three months late.");
    await applicant.getByRole("button", { name: "Ask for the variation" }).click();
    await applicant.getByRole("cell", { name: /^Requested/ }).first().waitFor();
    await admin.goto("/admin/variations");
    await look(admin, "variations");
    await admin.locator("a[href^='/admin/variations/']").first().click();
    await admin.getByLabel("Approve it and change the grant", { exact: true }).check();
    await admin.getByLabel("Your reason", { exact: true }).fill("The delay was outside the charity's control.");
    await look(admin, "variation");
    await admin.getByRole("button", { name: "Record decision" }).click();
    await admin.waitForURL(/\/admin\/variations$/);
    await applicant.goto(state.awardUrl);
    await applicant.getByText(`Ends 30 September ${fyStart}`).first().waitFor();
    await applicant.getByRole("cell", { name: /^Approved/ }).first().waitFor();
    await applicant.getByText("The delay was outside the charity's control.").first().waitFor();
  });

  await step("the administrator reads their account, sessions and sign-in history", async () => {
    await admin.goto("/account");
    await look(admin, "account");
    await admin.goto("/account/sessions");
    await admin.getByText("This website (this session)").waitFor();
    await look(admin, "sessions");
    await admin.goto("/account/sign-ins");
    await look(admin, "sign-ins");
  });
} finally {
  await browser.close();
}

console.log(`axe checked ${checked.length} pages: ${checked.join(", ")}`);
if (failures > 0) {
  console.error(`${failures} failure(s)`);
    process.exit(1);
}
console.log("browser tests passed");
