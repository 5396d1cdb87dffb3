// The authority components (templates/_authority.html) on a sheet that uses all of them: the
// test fixture's balloon sheet has risks, care cards, citations and numbered sources, which the
// shipped sheets gain only as they are rewritten. axe, 320 px, working citation links and print.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  axeViolations, describeViolations, horizontalOverflow, screenshotPage, testOptions, useSiteAndBrowser, withPage,
} from './lib/harness.mjs';

const env = useSiteAndBrowser({ content: 'tests/fixtures/minimal' });
const SHEET = '/procedures/balloon';

describe('a sheet with risks, care cards and sources', () => {
  test('has no axe violations and every part shows', testOptions(), async () => {
    await withPage(env.browser, { viewport: { width: 1280, height: 900 } }, async (page) => {
      await page.goto(new URL(SHEET, env.baseUrl).href);
      const violations = await axeViolations(page);
      assert.equal(violations.length, 0, describeViolations(violations));
      const risks = page.locator('main dl.risk-list .risk');
      assert.equal(await risks.count(), 3);
      assert.match(await risks.first().innerText(), /Bruising where the tube went in\s+Common: about 3 in 100 people\s*\[2\]/);
      assert.ok(await page.locator('main .care-card-emergency h3', { hasText: 'Call 999 or go to A&E now if:' }).isVisible());
      assert.ok(await page.locator('main table.risk-scale').isVisible());
    });
  });

  test('each citation takes the reader to its source', testOptions(), async () => {
    await withPage(env.browser, { viewport: { width: 1280, height: 900 } }, async (page) => {
      await page.goto(new URL(SHEET, env.baseUrl).href);
      const cites = page.locator('main sup.cite a');
      assert.ok(await cites.count() >= 4);
      for (const cite of await cites.all()) {
        const number = await cite.innerText();
        await cite.click();
        const target = page.locator(':target');
        assert.equal(await target.getAttribute('value'), number, `citation ${number} reaches item ${number}`);
        assert.ok(await target.isVisible());
      }
    });
  });

  test('fits 320 px and prints with the sources\' addresses', testOptions(), async () => {
    await withPage(env.browser, { viewport: { width: 320, height: 800 } }, async (page) => {
      await page.goto(new URL(SHEET, env.baseUrl).href);
      const overflow = await horizontalOverflow(page);
      assert.equal(overflow.overflow, 0, JSON.stringify(overflow));
      await screenshotPage(page, 'authority-sheet-320.png');
      await page.emulateMedia({ media: 'print' });
      for (const selector of ['main .care-cards', 'main dl.risk-list', 'main table.risk-scale', 'main .page-sources', 'main .page-history']) {
        assert.ok(await page.locator(selector).isVisible(), `${selector} should print`);
      }
      const after = await page.locator('main .page-sources li a').first().evaluate(
        (a) => getComputedStyle(a, '::after').content);
      assert.match(after, /https:\/\/example\.org\/test-guideline/);
      // Printed in black on white: the card headings keep no coloured background.
      const background = await page.locator('main .care-card-emergency h3').evaluate(
        (h) => getComputedStyle(h).backgroundColor);
      assert.match(background, /rgba\(0, 0, 0, 0\)|transparent/);
    });
  });
});
