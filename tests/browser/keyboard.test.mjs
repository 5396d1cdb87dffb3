// Keyboard: the skip link is the first stop and moves focus to the main content; every focus
// stop can be seen; after a failed form submission focus is on the error summary, and its links
// move focus to the fields.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  activeElement, focusStops, openEntry, testOptions, useSiteAndBrowser, withPage,
} from './lib/harness.mjs';
import { FAILED_FORMS, PAGES } from './lib/pages.mjs';

const env = useSiteAndBrowser();

async function withEntry(entry, viewport, fn) {
  await withPage(env.browser, { viewport }, async (page) => {
    await openEntry(page, env.baseUrl, entry);
    await fn(page);
  });
}

describe('the skip link moves focus to the main content', () => {
  for (const entry of PAGES) {
    test(`${entry.name} (${entry.kind}) ${entry.path}`, testOptions(entry), async () => {
      await withEntry(entry, { width: 1280, height: 800 }, async (page) => {
        const skip = page.locator('a.skip-link');
        if (entry.steps) {
          // A page reached through a form starts with focus where the form put it (on an error
          // summary, say), so here the skip link is focused directly.
          await skip.focus();
        } else {
          // Start from the top of the page, as a keyboard user arriving there does.
          await page.evaluate(() => document.activeElement?.blur());
          await page.keyboard.press('Tab');
          assert.ok(await skip.evaluate((el) => el === document.activeElement), 'the first Tab should reach the skip link');
        }
        const box = await skip.boundingBox();
        assert.ok(box && box.x >= 0 && box.y >= 0 && box.width > 0, 'the focused skip link should be on screen');

        await page.keyboard.press('Enter');
        const focused = await activeElement(page);
        assert.equal(focused.id, 'main-content', 'Enter on the skip link should focus <main>');
        await page.keyboard.press('Tab');
        assert.ok((await activeElement(page)).afterMainStart,
          'the next Tab should go on from the start of the main content, past the header');
      });
    });
  }
});

describe('focus is visible at every stop', () => {
  for (const entry of PAGES) {
    test(`${entry.name} (${entry.kind}) ${entry.path}`, testOptions(entry), async () => {
      for (const [key, presses] of [['Tab', 60], ['Shift+Tab', 10]]) {
        await withEntry(entry, { width: 1280, height: 800 }, async (page) => {
          await page.evaluate(() => document.activeElement?.blur());
          const stops = await focusStops(page, { presses, key });
          assert.ok(stops.length >= 3, `${key} should reach at least 3 stops, reached ${stops.length}`);
          const unseen = stops.filter((s) => !s.indicated || !s.onScreen).map((s) => s.name);
          assert.deepEqual(unseen, [], `focus cannot be seen at these ${key} stops`);
        });
      }
    });
  }
});

describe('after a failed submission focus is on the error summary', () => {
  for (const entry of FAILED_FORMS) {
    test(`${entry.name} (${entry.kind})`, testOptions(entry), async () => {
      await withEntry(entry, { width: 1280, height: 800 }, async (page) => {
        assert.ok((await activeElement(page)).inErrorSummary, 'focus should be on the error summary');
        const links = page.locator('.error-summary a[href^="#"]');
        const count = await links.count();
        assert.ok(count > 0, 'the error summary should link to the fields in error');
        for (let i = 0; i < count; i += 1) {
          const link = links.nth(i);
          const target = decodeURIComponent((await link.getAttribute('href')).slice(1));
          await link.focus();
          await page.keyboard.press('Enter');
          const moved = await page.evaluate((id) => {
            const field = document.getElementById(id);
            return Boolean(field && (field === document.activeElement || field.contains(document.activeElement)));
          }, target);
          assert.ok(moved, `the error link to #${target} should move focus to that field`);
        }
      });
    });
  }
});
