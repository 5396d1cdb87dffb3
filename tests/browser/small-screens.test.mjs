// Small screens: at 320 px wide no page scrolls sideways, even with WCAG 1.4.12 text spacing. Every page kind is photographed at
// 320 px and 1280 px into target/screenshots/ for a person to look at. The breadcrumbs line up
// with the heading (they once sat centred above a left-aligned page at 1280 px).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  applyTextSpacing, horizontalOverflow, openEntry, screenshotPage, testOptions, useSiteAndBrowser, withPage,
} from './lib/harness.mjs';
import { PAGES } from './lib/pages.mjs';

const env = useSiteAndBrowser();

const WIDTHS = [320, 1280];

describe('no sideways scrolling; screenshots at 320 and 1280 px', () => {
  for (const entry of PAGES) {
    test(`${entry.name} (${entry.kind}) ${entry.path}`, testOptions(entry), async () => {
      for (const width of WIDTHS) {
        await withPage(env.browser, { viewport: { width, height: 800 } }, async (page) => {
          await openEntry(page, env.baseUrl, entry);
          const { viewport, overflow, culprits } = await horizontalOverflow(page);
          await screenshotPage(page, `${entry.name}-${width}.png`);
          assert.equal(viewport, width, `the viewport should be ${width} px wide`);
          assert.equal(overflow, 0,
            `at ${width} px ${page.url()} is ${overflow} px wider than the screen; ` +
            `elements past the edge: ${culprits.map((c) => `${c.name} (to ${c.right} px)`).join(', ')}`);
          // The trail of pages above this one starts where the heading starts, so the eye finds it.
          const offset = await page.evaluate(() => {
            const crumbs = document.querySelector('nav.breadcrumbs ol');
            const heading = document.querySelector('main h1');
            if (!crumbs || !heading) return 0;
            return Math.round(crumbs.getBoundingClientRect().left - heading.getBoundingClientRect().left);
          });
          assert.equal(offset, 0, `at ${width} px the breadcrumbs start ${offset} px away from the heading`);
          if (width === 320) {
            // A reader who needs more space between letters, words and lines still gets a page
            // that fits (WCAG 1.4.12).
            assert.ok(await applyTextSpacing(page) > 0, 'the text spacing should take effect');
            const spaced = await horizontalOverflow(page);
            assert.equal(spaced.overflow, 0,
              `with WCAG text spacing at 320 px ${page.url()} is ${spaced.overflow} px too wide: ` +
              spaced.culprits.map((c) => c.name).join(', '));
          }
        });
      }
    });
  }
});
