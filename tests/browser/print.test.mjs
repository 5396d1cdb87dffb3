// Print: a procedure sheet printed from the browser is a leaflet. Navigation, the header search
// and the footer links are gone; the page's address and its review dates are there.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  openEntry, screenshotPage, screenshotPath, testOptions, useSiteAndBrowser, withPage,
} from './lib/harness.mjs';
import { PAGES } from './lib/pages.mjs';

const env = useSiteAndBrowser();

const HIDDEN_IN_PRINT = {
  'main navigation': 'nav.main-nav',
  'header search': 'form[role=search]',
  'footer links': '.footer-links',
  breadcrumbs: 'nav.breadcrumbs',
};

describe('printed pages', () => {
  for (const entry of PAGES.filter((e) => e.print)) {
    test(`${entry.name} (${entry.kind}) ${entry.path} prints as a leaflet`, testOptions(entry), async () => {
      await withPage(env.browser, { viewport: { width: 800, height: 1000 } }, async (page) => {
        await openEntry(page, env.baseUrl, entry);
        // On screen these are there, so the print check below tests the print styles.
        for (const [what, selector] of Object.entries(HIDDEN_IN_PRINT)) {
          assert.ok(await page.locator(selector).first().isVisible(), `${what} should show on screen`);
        }
        assert.equal(await page.locator('.print-only').first().isVisible(), false,
          'the printed-from line should not show on screen');
        const professionalOnScreen = await page.locator('main section.professional').count() > 0
          && await page.locator('main section.professional').isVisible();

        await page.emulateMedia({ media: 'print' });
        for (const [what, selector] of Object.entries(HIDDEN_IN_PRINT)) {
          assert.equal(await page.locator(selector).first().isVisible(), false, `${what} should not print`);
        }
        assert.ok(await page.locator('main h1').isVisible(), 'the title should print');
        // A sheet's section for professionals is on screen but not in the patient's printout.
        const professional = page.locator('main section.professional');
        if (entry.kind === 'procedure') {
          assert.ok(professionalOnScreen, 'a sheet shows its section for professionals on screen');
          assert.equal(await professional.isVisible(), false, 'the section for professionals should not print');
          assert.ok(await page.locator('main .prose h2').first().isVisible(), 'the patient sections should print');
        }

        const printedFrom = page.locator('.print-only').first();
        assert.ok(await printedFrom.isVisible(), 'the page address should print');
        const path = new URL(entry.path, env.baseUrl).pathname;
        assert.match(await printedFrom.innerText(), new RegExp(`https?://\\S+${path.replace(/[/.-]/g, '\\$&')}\\b`));

        const review = page.locator('main .review-dates').first();
        assert.ok(await review.isVisible(), 'the review dates should print');
        const reviewText = await review.innerText();
        assert.match(reviewText, /not yet been checked by a clinical reviewer|checked by a clinical reviewer \(/i);
        assert.match(reviewText, /version [\d.]+, last changed on \d{1,2} \w+ \d{4}/i);
        assert.match(reviewText, /next review due: \d{1,2} \w+ \d{4}/i);

        // The leaflet keeps what makes it trustworthy: the scale its risk words come from, its
        // risks (once the sheet lists them), its sources with their addresses, and its history.
        assert.ok(await page.locator('main table.risk-scale').isVisible(), 'the scale should print');
        assert.match(await page.locator('main table.risk-scale').innerText(), /Very rare\s+fewer than 1 in 10,000/);
        for (const risk of await page.locator('main .risk-list .risk').all()) {
          assert.ok(await risk.isVisible(), 'each risk should print');
          assert.match(await risk.innerText(), /(Very common|Common|Uncommon|Rare|Very rare|Not known)\b/);
        }
        const sources = page.locator('main .page-sources');
        if (await sources.count() > 0) {
          assert.ok(await sources.isVisible(), 'the sources should print');
          const first = await sources.locator('li').first().evaluate(
            (li) => getComputedStyle(li.querySelector('a[href^="http"]'), '::after').content);
          assert.match(first, /https?:\/\//, 'a printed source shows its address');
        }
        assert.ok(await page.locator('main .page-history').isVisible(), 'the page history should print');

        await screenshotPage(page, `${entry.name}-print.png`);
        await page.pdf({ path: screenshotPath(`${entry.name}-print.pdf`), format: 'A4' });
      });
    });
  }
});
