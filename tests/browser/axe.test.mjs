// axe-core on every page kind of the table, in light and in dark mode (the site follows the
// system's prefers-color-scheme): zero violations of WCAG 2.2 AA and below, colour contrast
// included, and no console errors (the CSP reports any inline style or script there).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { axeViolations, describeViolations, openEntry, testOptions, useSiteAndBrowser } from './lib/harness.mjs';
import { PAGES } from './lib/pages.mjs';

const env = useSiteAndBrowser();

describe('axe-core finds no WCAG 2.2 AA violations', () => {
  for (const entry of PAGES) {
    for (const colorScheme of ['light', 'dark']) test(`${entry.name} (${entry.kind}) ${entry.path}, ${colorScheme}`, testOptions(entry), async () => {
      const context = await env.browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme });
      const page = await context.newPage();
      const problems = [];
      page.on('pageerror', (error) => problems.push(`script error: ${error.message}`));
      page.on('console', (message) => {
        if (message.type() !== 'error') return;
        // The page's own error status (404, 422) is reported as a failed load; that is expected.
        if (/the server responded with a status of/.test(message.text()) &&
          message.location().url === page.url()) return;
        problems.push(`console: ${message.text()}`);
      });
      try {
        await openEntry(page, env.baseUrl, entry);
        assert.equal(await page.evaluate(() => matchMedia('(prefers-color-scheme: dark)').matches), colorScheme === 'dark');
        const violations = await axeViolations(page);
        assert.equal(violations.length, 0,
          `axe found ${violations.length} violation(s) in ${colorScheme} mode on ${page.url()}:\n${describeViolations(violations)}`);
        assert.deepEqual(problems, [], `the browser reported problems on ${page.url()}`);
      } finally {
        await context.close();
      }
    });
  }
});
