// The schema.org JSON-LD block is data, not script: with the strict CSP (script-src 'self', no
// inline script) the browser reads it, runs nothing and reports no violation.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { testOptions, useSiteAndBrowser } from './lib/harness.mjs';

const env = useSiteAndBrowser();

describe('JSON-LD under the strict CSP', () => {
  for (const path of ['/procedures/angioplasty', '/conditions/abdominal-aortic-aneurysm']) {
    test(path, testOptions(), async () => {
      const context = await env.browser.newContext();
      const page = await context.newPage();
      const problems = [];
      page.on('console', (message) => { if (message.type() === 'error') problems.push(message.text()); });
      page.on('pageerror', (error) => problems.push(error.message));
      try {
        await page.addInitScript(() => {
          window.__violations = [];
          document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(e.violatedDirective));
        });
        const response = await page.goto(env.baseUrl + path);
        const csp = response.headers()['content-security-policy'];
        assert.match(csp, /script-src 'self'(;|$)/);
        assert.doesNotMatch(csp, /unsafe-inline|sha256-/);
        const data = await page.evaluate(() =>
          JSON.parse(document.querySelector('script[type="application/ld+json"]').textContent));
        assert.equal(data['@type'], 'MedicalWebPage');
        assert.equal(data.breadcrumb['@type'], 'BreadcrumbList');
        assert.deepEqual(await page.evaluate(() => window.__violations), []);
        assert.deepEqual(problems, []);
      } finally {
        await context.close();
      }
    });
  }
});
