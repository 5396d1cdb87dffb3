// The shared harness of the browser tests: starts the real `irinfo` binary on a free loopback
// port, launches Debian's Chromium through playwright-core, runs axe-core in a page, and walks the
// steps of a form flow from the page table (pages.mjs).

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before } from 'node:test';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);

/** The repository's root folder: the binary runs from here, with the shipped site.toml. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** Where screenshots (and the printed PDF) go: under target/, which git ignores. */
export const SCREENSHOT_DIR = join(REPO_ROOT, 'target', 'screenshots');

/** Debian's Chromium; playwright-core downloads no browser of its own. */
export const CHROMIUM = process.env.IRINFO_CHROMIUM || '/usr/bin/chromium';

/** The WCAG levels the site promises (2.2 AA, and everything below it). */
export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

const IN_CI = process.env.CI === 'true' || process.env.CI === '1';

// Each notice is printed once per test file (each file runs in its own process).
let toldNoBrowser = false;

// Tests run as root (no sandbox then) on machines without a GPU. The other flags keep Chromium
// from reaching out to Google's services: there is no network beyond loopback here, and every
// refused connection would slow the browser down.
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/**
 * Why the browser tests must be skipped here, or `false` when they run.
 * Only a developer's machine without Chromium skips (with a notice); in CI a missing browser is
 * a failure, so CI gets `false` and the launch itself fails loudly.
 */
export function skipReason() {
  if (existsSync(CHROMIUM) || IN_CI) return false;
  const reason = `${CHROMIUM} is missing: install it with apt-get install chromium (scripts/test does)`;
  if (!toldNoBrowser) {
    process.stdout.write(`# NOTICE: browser tests skipped: ${reason}\n`);
    toldNoBrowser = true;
  }
  return reason;
}

/** The newest built irinfo binary: IRINFO_BIN, or target/{debug,release}/irinfo. */
export function irinfoBinary() {
  // Relative to where the tests were started; the binary itself runs from the repository root.
  if (process.env.IRINFO_BIN) return resolve(process.env.IRINFO_BIN);
  const built = ['debug', 'release']
    .map((profile) => join(REPO_ROOT, 'target', profile, 'irinfo'))
    .filter((path) => existsSync(path))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  if (built.length === 0) {
    throw new Error('no irinfo binary in target/debug or target/release: run `cargo build` first');
  }
  return built[0];
}

/** A loopback port that nothing listens on right now. */
async function freePort() {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolvePort(port));
    });
  });
}

/**
 * Settings for one test run: the shipped site.toml with the contact form's mail queue moved to
 * `spool` (a temporary folder, so the tests never write into the repository), the feedback
 * database beside it, no review digests (they would land in the spool mid-test) and rate limits
 * the whole suite stays within (one test file sends the form a few dozen times).
 * Only the named keys change; every other setting is the shipped one.
 */
export function testSettings(spool) {
  const overrides = {
    // A public address, as a deployed site has: printed pages name it (never a loopback one).
    site: { base_url: JSON.stringify('https://irinfo.example.org') },
    mail: { spool: JSON.stringify(spool) },
    contact: { rate_per_hour: '100000', burst: '1000' },
    feedback: {
      database: JSON.stringify(join(dirname(spool), 'feedback.sqlite3')),
      digest_every_days: '0',
      rate_per_hour: '100000',
      burst: '1000',
    },
  };
  const lines = readFileSync(join(REPO_ROOT, 'site.toml'), 'utf8').split('\n');
  const out = [];
  const pending = Object.fromEntries(Object.entries(overrides).map(([t, kv]) => [t, { ...kv }]));
  let table = null;
  const flush = () => {
    // Keys the shipped table does not set are added at its end.
    for (const [key, value] of Object.entries(pending[table] ?? {})) out.push(`${key} = ${value}`);
    if (table in pending) pending[table] = {};
  };
  for (const line of lines) {
    const header = /^\s*\[([^\]]+)\]\s*(#.*)?$/.exec(line);
    if (header) {
      flush();
      table = header[1].trim();
      out.push(line);
      continue;
    }
    const key = /^\s*([A-Za-z0-9_]+)\s*=/.exec(line)?.[1];
    if (key && pending[table] && key in pending[table]) {
      out.push(`${key} = ${pending[table][key]}`);
      delete pending[table][key];
    } else {
      out.push(line);
    }
  }
  flush();
  // Tables the shipped file does not have at all.
  for (const [name, kv] of Object.entries(pending)) {
    const rest = Object.entries(kv);
    if (rest.length > 0) out.push('', `[${name}]`, ...rest.map(([k, v]) => `${k} = ${v}`));
  }
  return out.join('\n');
}

/** The messages the contact form has queued in a spool folder (its `queue/` files). */
export function queuedMessages(spool) {
  const queue = join(spool, 'queue');
  return existsSync(queue) ? readdirSync(queue) : [];
}

/**
 * Starts `irinfo serve` on a free 127.0.0.1 port from the repository root (its content and
 * static files) with the test settings of `testSettings`, and waits until it answers.
 * Returns `{ baseUrl, spool, stop, output }`; `stop` also removes the temporary folder.
 * `content`, a folder relative to the repository root, replaces the shipped content.
 */
export async function startSite({ content } = {}) {
  const binary = irinfoBinary();
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const scratch = mkdtempSync(join(tmpdir(), 'irinfo-browser-'));
  const spool = join(scratch, 'spool');
  const settings = join(scratch, 'site.toml');
  writeFileSync(settings, testSettings(spool));
  // The admin address (metrics) on any free port, so that servers started at once never collide.
  const args = ['serve', '--config', settings, '--addr', `127.0.0.1:${port}`,
    '--admin-addr', '127.0.0.1:0'];
  if (content) args.push('--content', content);
  const child = spawn(binary, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG || 'irinfo=warn,tower_http=warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => { output += chunk; });
  child.stderr.on('data', (chunk) => { output += chunk; });
  let exited = null;
  const exit = new Promise((resolveExit) => {
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      resolveExit(exited);
    });
    // A binary that cannot be started at all (a wrong IRINFO_BIN) fails at once, not after 60 s.
    child.on('error', (error) => {
      exited = { error: error.message };
      resolveExit(exited);
    });
  });

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) {
      rmSync(scratch, { recursive: true, force: true });
      throw new Error(`${binary} exited (${JSON.stringify(exited)}) before answering:\n${output}`);
    }
    try {
      const response = await fetch(`${baseUrl}/`, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      rmSync(scratch, { recursive: true, force: true });
      throw new Error(`${binary} did not answer on ${baseUrl} within 60 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  const stop = async () => {
    if (!exited) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exit;
      clearTimeout(timer);
    }
    rmSync(scratch, { recursive: true, force: true });
  };
  return { baseUrl, spool, stop, output: () => output };
}

/** Launches headless Chromium. */
export async function launchBrowser() {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing; CI never skips the browser tests: apt-get install chromium`);
  }
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

/**
 * Registers before/after hooks that start the site and the browser once for a test file, and
 * returns an object whose `baseUrl` and `browser` are set once they are up. `options` go to
 * `startSite`.
 */
export function useSiteAndBrowser(options = {}) {
  const env = { baseUrl: null, browser: null, site: null };
  if (skipReason()) return env;
  before(async () => {
    env.site = await startSite(options);
    env.baseUrl = env.site.baseUrl;
    env.browser = await launchBrowser();
  });
  after(async () => {
    await env.browser?.close();
    await env.site?.stop();
  });
  return env;
}

/**
 * Runs `fn` with a page in a new browser context made with `contextOptions` (a viewport, JavaScript
 * off), and closes the context afterwards, whether `fn` passed or threw.
 */
export async function withPage(browser, contextOptions, fn) {
  const context = await browser.newContext(contextOptions);
  const page = await context.newPage();
  try {
    await fn(page);
  } finally {
    await context.close();
  }
}

/** Node's test options for one page of the table: skipped (with a notice) only without a browser. */
export function testOptions() {
  return { skip: skipReason() };
}

// ---------------------------------------------------------------------------------------------
// Pages and steps

/**
 * Opens a page of the table in `page` and walks its steps (filling and submitting forms).
 * Checks the status of every navigation; returns the last navigation's response.
 */
export async function openEntry(page, baseUrl, entry) {
  let response = await page.goto(new URL(entry.path, baseUrl).href);
  if (!response) throw new Error(`no response for ${entry.path}`);
  for (const step of entry.steps ?? []) {
    response = (await runStep(page, step)) ?? response;
  }
  const wanted = entry.status ?? 200;
  if (!statusMatches(wanted, response.status())) {
    throw new Error(`${entry.name}: expected status ${wanted} at ${page.url()}, got ${response.status()}`);
  }
  await checkExpectations(page, entry.name, entry.expect);
  return response;
}

/** Whether a status is the one wanted: a number, or a list of the acceptable ones. */
function statusMatches(wanted, got) {
  return Array.isArray(wanted) ? wanted.includes(got) : wanted === got;
}

/** A locator for a step's target: a CSS selector, or `{ label: /text/ }` for a labelled field. */
function locate(page, target) {
  if (typeof target === 'string') return page.locator(target);
  if (target.label) return page.getByLabel(target.label);
  throw new Error(`unknown target ${JSON.stringify(target)}`);
}

/** One step of a form flow. Returns the navigation response when the step navigated. */
async function runStep(page, step) {
  if (step.fill !== undefined) {
    const field = locate(page, step.fill).first();
    // On a phone the header's search box is behind the "Menu" control: open it as a reader would.
    if (!(await field.isVisible())) {
      const menu = field.locator('xpath=ancestor::details[1]/summary');
      if (await menu.count() > 0) await menu.click();
    }
    await field.fill(step.value);
    return null;
  }
  if (step.choose !== undefined) {
    // A choice may be a <select> or radio buttons; take the first real option either way.
    const field = locate(page, step.choose).first();
    const tag = await field.evaluate((el) => el.tagName.toLowerCase());
    if (tag === 'select') {
      const value = await field.evaluate((el) => [...el.options].find((o) => o.value !== '')?.value);
      await field.selectOption(step.value ?? value);
    } else {
      await field.check();
    }
    return null;
  }
  if (step.submit !== undefined) {
    const form = locate(page, step.submit).first();
    // `button` picks one of several submit buttons (Yes or No); without it, the form's first.
    const button = form.locator(step.button ?? 'button[type=submit], button:not([type]), input[type=submit]').first();
    // The browser's own validation would stop the form before the server could answer with its
    // error summary; say so plainly rather than time out waiting for a page that never comes.
    const blocked = await form.evaluate((f, b) => (f.noValidate || b.formNoValidate ? [] : [...f.elements]
      .filter((e) => e.willValidate && !e.checkValidity())
      .map((e) => `${e.name || e.id}: ${e.validationMessage}`)), await button.elementHandle());
    if (blocked.length > 0) {
      throw new Error(`the browser's own validation blocks submitting ${step.submit} (${blocked.join('; ')}): ` +
        'GOV.UK-style forms set novalidate so that the server shows its error summary');
    }
    const [response] = await Promise.all([page.waitForNavigation({ timeout: 15_000 }), button.click()]);
    if (!response) throw new Error(`submitting ${step.submit} did not load a page`);
    if (step.status !== undefined && !statusMatches(step.status, response.status())) {
      throw new Error(`submitting ${step.submit}: expected status ${step.status}, got ${response.status()}`);
    }
    if (step.expect) await checkExpectations(page, `after submitting ${step.submit}`, step.expect);
    return response;
  }
  throw new Error(`unknown step ${JSON.stringify(step)}`);
}

/** Checks what a page of the table says it shows once its steps are done. */
export async function checkExpectations(page, name, expect) {
  if (!expect) return;
  const url = new URL(page.url());
  if (expect.path && url.pathname !== expect.path) {
    throw new Error(`${name}: expected to be at ${expect.path}, but at ${url.pathname}`);
  }
  if (expect.visible) {
    const count = await page.locator(expect.visible).count();
    if (count === 0 || !(await page.locator(expect.visible).first().isVisible())) {
      throw new Error(`${name}: expected ${expect.visible} to be shown at ${page.url()}`);
    }
  }
  if (expect.onFirstScreen) {
    const top = await page.locator(expect.onFirstScreen).first()
      .evaluate((el) => ({ top: el.getBoundingClientRect().top + window.scrollY, height: window.innerHeight }));
    if (top.top >= top.height) {
      throw new Error(`${name}: ${expect.onFirstScreen} should start on the first screen ` +
        `(${top.height} px high), but starts at ${Math.round(top.top)} px`);
    }
  }
  if (expect.text) {
    const text = await page.locator('main').innerText();
    if (!expect.text.test(text)) {
      throw new Error(`${name}: main content does not match ${expect.text}:\n${text.slice(0, 600)}`);
    }
  }
  if (expect.errorSummary !== undefined) {
    const shown = (await page.locator('.error-summary').count()) > 0;
    if (shown !== expect.errorSummary) {
      throw new Error(`${name}: expected ${expect.errorSummary ? 'an' : 'no'} error summary at ${page.url()}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// axe-core

const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/**
 * Runs axe-core in the page for the WCAG 2.2 AA tags and returns the violations.
 * The script is evaluated through the DevTools protocol, which the site's CSP (rightly) does not
 * govern, so the page keeps its real security headers during the test.
 */
export async function axeViolations(page) {
  const loaded = await page.evaluate(() => typeof window.axe === 'object');
  if (!loaded) await page.evaluate(AXE_SOURCE);
  return page.evaluate(async (tags) => {
    const results = await window.axe.run(document, {
      runOnly: { type: 'tag', values: tags },
      resultTypes: ['violations'],
    });
    return results.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target.join(' '), summary: n.failureSummary })),
    }));
  }, AXE_TAGS);
}

/** A readable account of axe violations for a failed assertion. */
export function describeViolations(violations) {
  return violations
    .map((v) => {
      const nodes = v.nodes
        .slice(0, 5)
        .map((n) => `    at ${n.target}\n      ${n.summary.replace(/\n/g, '\n      ')}`)
        .join('\n');
      const more = v.nodes.length > 5 ? `\n    ...and ${v.nodes.length - 5} more` : '';
      return `  ${v.id} (${v.impact}): ${v.help}\n${nodes}${more}`;
    })
    .join('\n');
}

// ---------------------------------------------------------------------------------------------
// Small screens

/**
 * How far the document is wider than the viewport, with the elements that stick out furthest,
 * so a failure says what to fix.
 */
export async function horizontalOverflow(page) {
  return page.evaluate(() => {
    const root = document.documentElement;
    const viewport = root.clientWidth;
    const overflow = Math.max(root.scrollWidth, document.body.scrollWidth) - viewport;
    const culprits = [];
    if (overflow > 0) {
      for (const el of document.body.querySelectorAll('*')) {
        // An element sticks out when its box does, or when its content spills out of it.
        const rect = el.getBoundingClientRect();
        const spills = el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX === 'visible';
        const right = (spills ? rect.left + el.scrollWidth : rect.right) + window.scrollX;
        if (right > viewport + 0.5) {
          const name = el.tagName.toLowerCase() + (el.id ? `#${el.id}` : '') +
            (el.classList.length ? `.${[...el.classList].join('.')}` : '');
          culprits.push({ name, right: Math.round(right) });
        }
      }
    }
    return { viewport, overflow, culprits: culprits.slice(-8) };
  });
}

/**
 * Photographs the whole page into the screenshot folder, for a person to look at. Headless
 * Chromium now and then answers a full-page capture with "Unable to capture screenshot" (seen
 * once on /a-z, which passed before and after): it is tried again, and then the visible part is
 * taken instead, with a line in the log. A picture is never what a test asserts.
 */
export async function screenshotPage(page, file) {
  const path = screenshotPath(file);
  for (let attempt = 1; attempt <= 2; attempt += 1) {
    try {
      await page.screenshot({ path, fullPage: true });
      return;
    } catch (error) {
      if (!/Unable to capture screenshot/.test(String(error))) throw error;
    }
  }
  console.log(`# ${file}: the full page could not be captured twice; the visible part is saved`);
  await page.screenshot({ path });
}

/** Makes sure the screenshot folder exists and returns the path of one screenshot. */
export function screenshotPath(file) {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return join(SCREENSHOT_DIR, file);
}

// ---------------------------------------------------------------------------------------------
// Keyboard

/**
 * Presses `key` up to `presses` times and records each element that gets focus, with its style
 * while focused and (afterwards) while not focused. Stops when focus leaves the page or comes
 * back round to an element it has seen. Each stop says whether its focus can be seen:
 * a focus outline of 2 px or more, or a box shadow or background that only focus gives.
 */
export async function focusStops(page, { presses, key = 'Tab' }) {
  await page.evaluate(() => {
    window.__irinfoStops = [];
    window.__irinfoLook = (el) => {
      const s = getComputedStyle(el);
      return {
        outlineStyle: s.outlineStyle, outlineWidth: s.outlineWidth, outlineColor: s.outlineColor,
        boxShadow: s.boxShadow, backgroundColor: s.backgroundColor, color: s.color,
      };
    };
  });
  const stops = [];
  for (let i = 0; i < presses; i += 1) {
    await page.keyboard.press(key);
    const stop = await page.evaluate(() => {
      const el = document.activeElement;
      if (!el || el === document.body || window.__irinfoStops.includes(el)) return null;
      window.__irinfoStops.push(el);
      const rect = el.getBoundingClientRect();
      const label = (el.innerText || el.getAttribute('aria-label') || el.id || '').trim().slice(0, 40);
      return {
        name: `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''} "${label}"`,
        focused: window.__irinfoLook(el),
        focusVisible: el.matches(':focus-visible'),
        onScreen: rect.width > 0 && rect.height > 0 && rect.bottom > 0 && rect.right > 0 &&
          rect.top < window.innerHeight && rect.left < window.innerWidth,
      };
    });
    if (!stop) break;
    stops.push(stop);
  }
  await page.evaluate(() => document.activeElement?.blur());
  const unfocused = await page.evaluate(() => window.__irinfoStops.map((el) => window.__irinfoLook(el)));
  return stops.map((stop, i) => {
    const f = stop.focused;
    const u = unfocused[i];
    const transparent = (colour) => colour === 'transparent' || /rgba\(.*,\s*0\)$/.test(colour);
    const outline = f.outlineStyle !== 'none' && parseFloat(f.outlineWidth) >= 2 &&
      !transparent(f.outlineColor) &&
      (u.outlineStyle === 'none' || f.outlineColor !== u.outlineColor || f.outlineWidth !== u.outlineWidth);
    const shadow = f.boxShadow !== 'none' && f.boxShadow !== u.boxShadow;
    const background = !transparent(f.backgroundColor) && f.backgroundColor !== u.backgroundColor;
    return { ...stop, indicated: stop.focusVisible && (outline || shadow || background) };
  });
}

/** The focused element: its tag and id, and where it is on the page. */
export async function activeElement(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    return {
      tag: el?.tagName.toLowerCase() ?? null,
      id: el?.id || null,
      className: el?.className || '',
      // In the main content, or after it (a page whose main content has no link or field).
      afterMainStart: Boolean(el && el.tagName !== 'MAIN' &&
        (document.querySelector('main').compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING)),
      inErrorSummary: Boolean(el?.closest('.error-summary')),
    };
  });
}

/**
 * Applies the text spacing of WCAG 1.4.12 (line height 1.5, paragraph spacing 2, letter spacing
 * 0.12, word spacing 0.16, all relative to the font size), as a reader's own style sheet would.
 * A constructed style sheet is used because the site's CSP rightly refuses an inline <style>.
 * Returns the letter spacing a paragraph then has, in px, to prove the sheet took effect.
 */
export async function applyTextSpacing(page) {
  return page.evaluate(() => {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(`* { line-height: 1.5 !important; letter-spacing: 0.12em !important;
      word-spacing: 0.16em !important; } p { margin-bottom: 2em !important; }`);
    document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
    return parseFloat(getComputedStyle(document.querySelector('main p, main li, main h1')).letterSpacing);
  });
}
