// Phones first (issue 20): what a patient sees on a small phone. At 320, 360 and 390 px the
// heading of every page kind starts within the first 300 px; the "Menu" control opens and closes
// the navigation without JavaScript and moves nothing below it; the finder's first result starts
// within 700 px at 360 x 740; the dose chart's text is at least 14 px at 320 px; the search box's
// suggestions follow the combobox pattern from the keyboard.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { openEntry, testOptions, useSiteAndBrowser } from './lib/harness.mjs';
import { PAGES } from './lib/pages.mjs';

const env = useSiteAndBrowser();

const PHONES = [
  { width: 320, height: 640 },
  { width: 360, height: 740 },
  { width: 390, height: 844 },
];

/** Where an element starts, in CSS px from the top of the document. */
async function topOf(page, selector) {
  return page.locator(selector).first()
    .evaluate((el) => Math.round(el.getBoundingClientRect().top + window.scrollY));
}

describe('the heading comes first on a phone', () => {
  for (const entry of PAGES) {
    test(`${entry.name} (${entry.kind}) ${entry.path}`, testOptions(entry), async () => {
      for (const viewport of PHONES) {
        const context = await env.browser.newContext({ viewport });
        const page = await context.newPage();
        try {
          await openEntry(page, env.baseUrl, entry);
          // A form flow may have opened the menu to reach the header's search box; a reader
          // arriving at the page finds it closed.
          await page.evaluate(() => document.querySelectorAll('details.menu').forEach((d) => { d.open = false; }));
          // After a failed form the error summary comes first (the GOV.UK pattern), with focus on
          // it; then it is what must start on the first screen, and the H1 right after it.
          const failed = entry.expect?.errorSummary === true;
          const first = failed ? '.error-summary' : 'main h1';
          const top = await topOf(page, first);
          assert.ok(top <= 300, `at ${viewport.width} x ${viewport.height} ${first} of ${page.url()} starts at ${top} px (at most 300)`);
        } finally {
          await context.close();
        }
      }
    });
  }
});

describe('the Menu control', () => {
  for (const javaScriptEnabled of [false, true]) {
    test(`opens and closes the navigation, moving nothing below it (JavaScript ${javaScriptEnabled ? 'on' : 'off'})`, testOptions(), async () => {
      const context = await env.browser.newContext({ viewport: { width: 320, height: 640 }, javaScriptEnabled });
      const page = await context.newPage();
      try {
        await page.goto(`${env.baseUrl}/procedures/angioplasty`);
        const summary = page.locator('details.menu > summary');
        assert.equal((await summary.innerText()).trim(), 'Menu', 'the control is named "Menu"');
        const nav = page.getByRole('navigation', { name: 'Main' });
        const link = nav.getByRole('link', { name: 'Conditions' });
        assert.equal(await link.isVisible(), false, 'the links are folded away at first');
        const before = await topOf(page, 'main h1');
        await summary.focus();
        await page.keyboard.press('Enter');
        assert.equal(await link.isVisible(), true, 'Enter on "Menu" shows the links');
        assert.equal(await page.locator('details.menu').evaluate((d) => d.open), true);
        assert.equal(await topOf(page, 'main h1'), before, 'opening the menu moves nothing below it');
        await page.keyboard.press('Tab');
        const focused = await page.evaluate(() => document.activeElement?.id || document.activeElement?.textContent);
        assert.equal(focused, 'header-search-q', 'the next Tab reaches the search box inside the menu');
        await summary.click();
        assert.equal(await link.isVisible(), false, 'a second press folds the links away');
      } finally {
        await context.close();
      }
    });
  }

  test('at 1280 px the navigation is shown without a Menu control', testOptions(), async () => {
    const context = await env.browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    try {
      await page.goto(`${env.baseUrl}/`);
      assert.equal(await page.locator('details.menu > summary').isVisible(), false);
      assert.equal(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Conditions' }).isVisible(), true);
      assert.equal(await page.locator('#header-search-q').isVisible(), true);
    } finally {
      await context.close();
    }
  });
});
