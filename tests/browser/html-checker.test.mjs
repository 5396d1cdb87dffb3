// The Nu HTML checker (vnu, the W3C's checker, from the npm package vnu-jar, run with Java) finds
// no errors in any page kind of the table, as served after its steps (a form's answer included),
// inline SVG and all. All pages go to one run of the checker, since Java is slow to start.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { openEntry, testOptions, useSiteAndBrowser } from './lib/harness.mjs';
import { PAGES } from './lib/pages.mjs';

const env = useSiteAndBrowser();
const require = createRequire(import.meta.url);
const VNU_JAR = require.resolve('vnu-jar/build/dist/vnu.jar');

/** Runs vnu on these files; returns its messages by file name. */
function check(files) {
  let output;
  try {
    output = execFileSync('java', ['-Xss1m', '-jar', VNU_JAR, '--format', 'json', '--stdout', ...files],
      { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    // vnu exits 1 when it reports errors; its report is still on stdout.
    if (!error.stdout) throw error;
    output = error.stdout;
  }
  const byFile = new Map(files.map((f) => [f, []]));
  for (const message of JSON.parse(output).messages) {
    const file = decodeURIComponent(new URL(message.url).pathname);
    byFile.get(file)?.push(message);
  }
  return byFile;
}

describe('the Nu HTML checker finds no errors', () => {
  test('every page kind of the table', testOptions(), async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'irinfo-vnu-'));
    try {
      const files = [];
      const context = await env.browser.newContext({ viewport: { width: 1280, height: 900 } });
      try {
        for (const entry of PAGES) {
          const page = await context.newPage();
          const response = await openEntry(page, env.baseUrl, entry);
          const file = join(scratch, `${entry.name}.html`);
          writeFileSync(file, await response.text());
          files.push(file);
          await page.close();
        }
      } finally {
        await context.close();
      }
      const problems = [];
      for (const [file, messages] of check(files)) {
        for (const m of messages.filter((message) => message.type === 'error')) {
          problems.push(`${file.split('/').pop()}:${m.lastLine}:${m.lastColumn}: ${m.message}`);
        }
      }
      assert.deepEqual(problems, [], `vnu reported ${problems.length} error(s)`);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});
