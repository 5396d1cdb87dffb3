// The checkers catch what they are there to catch: a deliberately broken page fails axe, a page
// too wide for the screen fails the 320 px check, an invisible focus fails the focus check, and
// JavaScript really is off when a test switches it off. Without these, a check that always
// passed would look the same as a site that is fine.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import {
  axeViolations, focusStops, horizontalOverflow, REPO_ROOT, skipReason, useSiteAndBrowser, withPage,
} from './lib/harness.mjs';

const env = useSiteAndBrowser();
const options = { skip: skipReason() };

const BROKEN_PAGE = readFileSync(join(REPO_ROOT, 'tests/fixtures/broken-a11y/broken-page.html'), 'utf8');

describe('the checkers are live', () => {
  test('axe reports the image without alt and the field without a label in the broken fixture', options, async () => {
    await withPage(env.browser, {}, async (page) => {
      await page.setContent(BROKEN_PAGE);
      const ids = (await axeViolations(page)).map((v) => v.id);
      assert.ok(ids.includes('image-alt'), `image-alt should be reported; got ${ids.join(', ')}`);
      assert.ok(ids.includes('label'), `label should be reported; got ${ids.join(', ')}`);
    });
  });

  test('axe reports a real page once its header search label and an image alt are broken', options, async () => {
    await withPage(env.browser, {}, async (page) => {
      await page.goto(`${env.baseUrl}/procedures/angioplasty`);
      assert.deepEqual(await axeViolations(page), [], 'the real page starts clean');
      // What a careless template edit would do: drop the label's `for`, add an image without alt.
      await page.evaluate(() => {
        // The header search is behind the "Menu" control on small screens; open it so axe sees it.
        document.querySelector('details.menu').open = true;
        document.querySelector('label[for="header-search-q"]').removeAttribute('for');
        const img = document.createElement('img');
        img.src = '/static/favicon.svg';
        document.querySelector('main h1').after(img);
      });
      const ids = (await axeViolations(page)).map((v) => v.id).sort();
      assert.deepEqual(ids, ['image-alt', 'label']);
    });
  });

  test('the 320 px check reports a page wider than the screen, and what sticks out', options, async () => {
    await withPage(env.browser, { viewport: { width: 320, height: 600 } }, async (page) => {
      await page.setContent('<main><p>Fits.</p><pre class="too-wide">' + 'x'.repeat(200) + '</pre></main>');
      const { overflow, culprits } = await horizontalOverflow(page);
      assert.ok(overflow > 0, 'the page should be reported as too wide');
      assert.ok(culprits.some((c) => c.name === 'pre.too-wide'), JSON.stringify(culprits));
    });
  });

  test('the focus check reports a link whose focus cannot be seen', options, async () => {
    await withPage(env.browser, {}, async (page) => {
      await page.setContent(
        '<style>a { outline: none !important; } #ok:focus-visible { outline: 3px solid #000 !important; }</style>' +
        '<a id="ok" href="#a">Seen</a> <a id="hidden" href="#b">Not seen</a>');
      const stops = await focusStops(page, { presses: 2 });
      assert.deepEqual(stops.map((s) => [s.name.split(' ')[0], s.indicated]), [['a#ok', true], ['a#hidden', false]]);
    });
  });

  test('a context with JavaScript off runs no page script', options, async () => {
    const html = '<p id="out">off</p><script>document.getElementById("out").textContent = "on";</script>';
    for (const [javaScriptEnabled, expected] of [[true, 'on'], [false, 'off']]) {
      await withPage(env.browser, { javaScriptEnabled }, async (page) => {
        await page.setContent(html);
        assert.equal(await page.locator('#out').innerText(), expected);
      });
    }
  });
});
