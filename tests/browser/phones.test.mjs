// Phones first (issue 20): what a patient sees on a small phone. At 320, 360 and 390 px the
// heading of every page kind starts within the first 300 px; the "Menu" control opens and closes
// the navigation without JavaScript and moves nothing below it; the finder's first result starts
// within 700 px at 360 x 740; the dose chart's text is at least 14 px at 320 px; the search box's
// suggestions follow the combobox pattern from the keyboard.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { openEntry, testOptions, useSiteAndBrowser, withPage } from './lib/harness.mjs';
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
        await withPage(env.browser, { viewport }, async (page) => {
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
        });
      }
    });
  }
});

describe('the Menu control', () => {
  for (const javaScriptEnabled of [false, true]) {
    test(`opens and closes the navigation, moving nothing below it (JavaScript ${javaScriptEnabled ? 'on' : 'off'})`, testOptions(), async () => {
      await withPage(env.browser, { viewport: { width: 320, height: 640 }, javaScriptEnabled }, async (page) => {
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
      });
    });
  }

  test('at 1280 px the navigation is shown without a Menu control', testOptions(), async () => {
    await withPage(env.browser, { viewport: { width: 1280, height: 800 } }, async (page) => {
      await page.goto(`${env.baseUrl}/`);
      assert.equal(await page.locator('details.menu > summary').isVisible(), false);
      assert.equal(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Conditions' }).isVisible(), true);
      assert.equal(await page.locator('#header-search-q').isVisible(), true);
    });
  });
});

describe('the finder on a phone', () => {
  test('the first result starts within 700 px at 360 x 740, below a one-line search', testOptions(), async () => {
    await withPage(env.browser, { viewport: { width: 360, height: 740 } }, async (page) => {
      await page.goto(`${env.baseUrl}/find?q=Leeds&procedure=&radius=50`);
      const top = await topOf(page, 'main ol.entry-list .entry-card');
      assert.ok(top <= 700, `the first result starts at ${top} px (at most 700)`);
      const change = page.locator('details.change-search > summary');
      assert.match(await change.innerText(), /You searched for Leeds.*Change search/s);
      assert.equal(await page.locator('#q').isVisible(), false, 'the form waits behind "Change search"');
      await change.click();
      assert.equal(await page.locator('#q').isVisible(), true, '"Change search" opens the form');
      assert.equal(await page.locator('#q').inputValue(), 'Leeds');
      const text = await page.locator('main').innerText();
      assert.doesNotMatch(text, /\d\.\d+ (km|mile)/, 'distances are whole miles and km');
      // Long web addresses wrap inside the card.
      const overflow = await page.evaluate(() => [...document.querySelectorAll('.web-address')]
        .filter((a) => a.getBoundingClientRect().right > document.documentElement.clientWidth).length);
      assert.equal(overflow, 0);
    });
  });
});

describe('the dose chart and table on a phone', () => {
  test('chart text is 14 px or more at 320 px, inside the chart, and no line crosses it', testOptions(), async () => {
    await withPage(env.browser, { viewport: { width: 320, height: 640 } }, async (page) => {
      for (const path of ['/radiation/doses', '/radiation/compare?items=chest-x-ray&items=ct-abdomen-pelvis&items=angiogram&items=mammogram']) {
        await page.goto(`${env.baseUrl}${path}`);
        const report = await page.evaluate(() => [...document.querySelectorAll('svg.dose-chart')].map((svg) => {
          const box = svg.getBoundingClientRect();
          const texts = [...svg.querySelectorAll('text')].map((t) => ({
            text: t.textContent, size: t.getBoundingClientRect().height, rect: t.getBoundingClientRect(),
            px: parseFloat(getComputedStyle(t).fontSize) * (box.width / svg.viewBox.baseVal.width),
          }));
          const lines = [...svg.querySelectorAll('line')].map((l) => l.getBoundingClientRect());
          const crossing = [];
          for (const t of texts) {
            for (const l of lines) {
              const overlaps = l.left <= t.rect.right && l.right >= t.rect.left && l.top <= t.rect.bottom && l.bottom >= t.rect.top;
              if (overlaps) crossing.push(t.text);
            }
          }
          return {
            smallest: Math.min(...texts.map((t) => t.px)),
            outside: texts.filter((t) => t.rect.left < box.left - 0.5 || t.rect.right > box.right + 0.5).map((t) => t.text),
            crossing,
            key: texts.some((t) => /Dashed line/.test(t.text)),
            hasReference: svg.querySelectorAll('.chart-reference line').length > 1,
          };
        }));
        assert.ok(report.length > 0, `${path} has a chart`);
        for (const chart of report) {
          assert.ok(chart.smallest >= 14, `${path}: the smallest chart text is ${chart.smallest.toFixed(1)} px`);
          assert.deepEqual(chart.outside, [], `${path}: text past the chart's edge`);
          assert.deepEqual(chart.crossing, [], `${path}: a line crosses these texts`);
          if (chart.hasReference) assert.ok(chart.key, `${path}: the dashed line is named in the chart`);
        }
      }
      // The table's rows are stacked blocks: nothing scrolls sideways, every figure has its label.
      await page.goto(`${env.baseUrl}/radiation/doses`);
      const table = await page.evaluate(() => {
        const t = document.querySelector('.dose-table');
        const cell = t.querySelector('tbody td');
        return {
          width: t.getBoundingClientRect().width,
          room: t.closest('.table-scroll').clientWidth,
          display: getComputedStyle(t.querySelector('tbody tr')).display,
          label: getComputedStyle(cell, '::before').content,
        };
      });
      assert.ok(table.width <= table.room, `the table is ${table.width} px wide in ${table.room} px`);
      assert.equal(table.display, 'block');
      assert.match(table.label, /Typical dose/);
    });
  });

  test('printed, every chart fits on a page, so none leaves a blank page behind', testOptions(), async () => {
    await withPage(env.browser, { viewport: { width: 794, height: 1123 } }, async (page) => {
      await page.goto(`${env.baseUrl}/radiation/doses`);
      await page.emulateMedia({ media: 'print' });
      // A4 less the 1.5 cm margins of @page, in CSS px (96 per inch).
      const printable = ((29.7 - 3) / 2.54) * 96;
      const heights = await page.locator('figure.dose-figure').evaluateAll((figures) => figures.map((f) => f.getBoundingClientRect().height));
      for (const height of heights) assert.ok(height < printable, `a chart is ${Math.round(height)} px tall; a page holds ${Math.round(printable)}`);
      const pdf = await page.pdf({ format: 'A4', printBackground: false });
      // Each page of the PDF has some text: a blank page has an empty content stream.
      const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) || []).length;
      assert.ok(pages > 0 && pages < 20, `${pages} pages`);
    });
  });
});

describe('diagrams', () => {
  test('a sheet shows its diagram with alt text and a description, on screen and in print', testOptions(), async () => {
    await withPage(env.browser, { viewport: { width: 320, height: 640 } }, async (page) => {
      for (const [path, file] of [['/procedures/angioplasty', 'balloon-and-stent'], ['/procedures/nephrostomy', 'nephrostomy']]) {
        await page.goto(`${env.baseUrl}${path}`);
        const img = page.locator('figure.diagram img');
        assert.match(await img.getAttribute('src'), new RegExp(`/static/diagrams/${file}\\.svg$`));
        assert.ok((await img.getAttribute('alt')).length > 40, 'alt text');
        assert.ok((await page.locator('figure.diagram figcaption').innerText()).length > 100, 'a longer description');
        const loaded = await img.evaluate((el) => el.complete && el.naturalWidth > 0);
        assert.ok(loaded, `${file}.svg loads`);
        const box = await img.boundingBox();
        assert.ok(box.width <= 288 && box.width > 200, `fits the phone: ${box.width}`);
        await page.emulateMedia({ media: 'print' });
        assert.ok(await img.isVisible(), 'printed too');
        await page.emulateMedia({ media: 'screen' });
      }
    });
  });
});
