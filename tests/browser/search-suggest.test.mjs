// Search suggestions as you type (static/search-suggest.js): the WAI-ARIA combobox pattern,
// driven from the keyboard as a screen reader user would, checked by the roles and states a
// screen reader reads; misspellings still find the page; with JavaScript off nothing changes.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  axeViolations, describeViolations, testOptions, useSiteAndBrowser, withPage,
} from './lib/harness.mjs';

const env = useSiteAndBrowser();

/** The combobox's states, as the accessibility tree gets them. */
async function states(page) {
  return page.locator('#search-page-q').evaluate((input) => {
    const list = document.getElementById(input.getAttribute('aria-controls'));
    const active = input.getAttribute('aria-activedescendant');
    return {
      role: input.getAttribute('role'),
      expanded: input.getAttribute('aria-expanded'),
      autocomplete: input.getAttribute('aria-autocomplete'),
      listRole: list?.getAttribute('role'),
      listShown: Boolean(list && !list.hidden && list.getBoundingClientRect().height > 0),
      options: list ? [...list.querySelectorAll('[role=option]')].map((o) => o.querySelector('.suggest-title').textContent) : [],
      active: active ? document.getElementById(active)?.querySelector('.suggest-title').textContent : null,
      selected: list ? [...list.querySelectorAll('[aria-selected=true]')].length : 0,
      status: document.querySelector('.search-page-form [role=status]')?.textContent ?? '',
      focused: document.activeElement === input,
    };
  });
}

describe('search suggestions', () => {
  test('a misspelt word offers the page, and the keyboard works the list', testOptions(), async () => {
    await withPage(env.browser, { viewport: { width: 360, height: 740 } }, async (page) => {
      await page.goto(`${env.baseUrl}/search`);
      let now = await states(page);
      assert.equal(now.role, 'combobox');
      assert.equal(now.autocomplete, 'list');
      assert.equal(now.expanded, 'false');
      assert.equal(now.listRole, 'listbox');
      assert.equal(now.listShown, false, 'no list before typing');

      await page.locator('#search-page-q').focus();
      await page.keyboard.type('fibriod', { delay: 30 });
      await page.locator('[role=option]').first().waitFor({ state: 'visible', timeout: 5_000 });
      now = await states(page);
      assert.equal(now.expanded, 'true');
      assert.ok(now.options.includes('Uterine fibroid embolisation'), `offered: ${now.options.join(', ')}`);
      assert.match(now.status, /\d+ pages? suggested/, 'a polite status says how many');
      assert.equal(now.active, null, 'nothing is chosen until the reader moves');
      assert.equal(now.focused, true, 'focus stays in the box');

      await page.keyboard.press('ArrowDown');
      now = await states(page);
      assert.equal(now.active, now.options[0], 'Down chooses the first page');
      assert.equal(now.selected, 1);
      await page.keyboard.press('ArrowDown');
      assert.equal((await states(page)).active, now.options[1], 'Down again, the second');
      await page.keyboard.press('ArrowUp');
      assert.equal((await states(page)).active, now.options[0], 'Up goes back');
      await page.keyboard.press('ArrowUp');
      assert.equal((await states(page)).active, now.options.at(-1), 'Up from the first wraps to the last');

      await page.keyboard.press('Escape');
      now = await states(page);
      assert.equal(now.expanded, 'false', 'Escape closes the list');
      assert.equal(now.listShown, false);
      assert.equal(await page.locator('#search-page-q').inputValue(), 'fibriod', 'and keeps what was typed');

      // Down opens it again; Enter on a chosen page opens that page.
      await page.keyboard.press('ArrowDown');
      now = await states(page);
      assert.equal(now.expanded, 'true');
      const wanted = now.options.indexOf('Uterine fibroid embolisation');
      for (let i = 0; i < wanted; i += 1) await page.keyboard.press('ArrowDown');
      assert.equal((await states(page)).active, 'Uterine fibroid embolisation');
      await Promise.all([page.waitForURL('**/procedures/uterine-fibroid-embolisation'), page.keyboard.press('Enter')]);
    });
  });

  test('Enter without choosing a page searches as before', testOptions(), async () => {
    await withPage(env.browser, { viewport: { width: 1280, height: 800 } }, async (page) => {
      await page.goto(`${env.baseUrl}/search`);
      await page.locator('#search-page-q').focus();
      await page.keyboard.type('nephros', { delay: 30 });
      await page.locator('[role=option]').first().waitFor({ state: 'visible', timeout: 5_000 });
      const violations = await axeViolations(page);
      assert.equal(violations.length, 0, `axe with the list open:\n${describeViolations(violations)}`);
      await Promise.all([page.waitForURL('**/search?q=nephros*'), page.keyboard.press('Enter')]);
    });
  });

  test('without JavaScript the search box is an ordinary search box', testOptions(), async () => {
    await withPage(env.browser, { javaScriptEnabled: false }, async (page) => {
      await page.goto(`${env.baseUrl}/search?q=fibriods`);
      const box = page.locator('#search-page-q');
      assert.equal(await box.getAttribute('role'), null);
      assert.equal(await page.locator('[role=listbox]').count(), 0);
      assert.equal(await page.locator('input[type=search]').count(), 1, 'one search box on the results page');
      assert.equal(await page.locator('main h1').innerText(), 'Results for fibroids');
      await Promise.all([page.waitForURL('**/search?q=fibriods&exact=1'), page.getByRole('link', { name: 'Search instead for fibriods' }).click()]);
      assert.equal(await page.locator('main h1').innerText(), 'Results for fibriods');
    });
  });
});
