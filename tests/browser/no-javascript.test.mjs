// Without JavaScript: search, the finder and the contact form complete their whole flow with
// JavaScript switched off in the browser.

import { describe, test } from 'node:test';

import { openEntry, testOptions, useSiteAndBrowser } from './lib/harness.mjs';
import { PAGES } from './lib/pages.mjs';

const env = useSiteAndBrowser();

describe('forms work without JavaScript', () => {
  for (const entry of PAGES.filter((e) => e.noJs)) {
    test(`${entry.name} (${entry.kind}) completes with JavaScript off`, testOptions(entry), async () => {
      const context = await env.browser.newContext({ javaScriptEnabled: false });
      const page = await context.newPage();
      try {
        // openEntry fills and submits the forms, and fails on a wrong status or a missing result.
        await openEntry(page, env.baseUrl, entry);
      } finally {
        await context.close();
      }
    });
  }
});
