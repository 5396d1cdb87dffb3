// A node:test reporter that ends the run with one plain line, "browser: N passed, N failed,
// N skipped", which scripts/test adds to the cargo counts. Suites are not counted, only tests.

export default async function* summaryReporter(source) {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { data } = event;
    if (data.details?.type === 'suite') continue;
    if (data.skip !== undefined || data.todo !== undefined) skipped += 1;
    else if (event.type === 'test:pass') passed += 1;
    else failed += 1;
  }
  yield `browser: ${passed} passed, ${failed} failed, ${skipped} skipped\n`;
}
