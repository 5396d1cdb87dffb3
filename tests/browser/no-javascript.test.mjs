// Without JavaScript: search, the finder and the contact form complete their whole flow with
// JavaScript switched off in the browser. A sent contact message really is in the mail queue
// (the test server's own temporary spool).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  openEntry, queuedMessages, testOptions, useSiteAndBrowser, withPage,
} from './lib/harness.mjs';
import { PAGES } from './lib/pages.mjs';

const env = useSiteAndBrowser();

describe('forms work without JavaScript', () => {
  for (const entry of PAGES.filter((e) => e.noJs)) {
    test(`${entry.name} (${entry.kind}) completes with JavaScript off`, testOptions(entry), async () => {
      await withPage(env.browser, { javaScriptEnabled: false }, async (page) => {
        const before = queuedMessages(env.site.spool).length;
        // openEntry fills and submits the forms, and fails on a wrong status or a missing result.
        await openEntry(page, env.baseUrl, entry);
        const queued = queuedMessages(env.site.spool).length - before;
        assert.equal(queued, entry.queues ? 1 : 0, `messages queued by ${entry.name}`);
      });
    });
  }
});
