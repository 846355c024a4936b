// The checks a journey runs on each page it reaches: the HTML saved for the Nu checker (run once
// for all pages), axe-core (WCAG 2.1 AA) on the page as served — a page reached without script is
// checked in a page with script, since axe is itself a script — and no horizontal overflow at the
// width it was used at.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { overflow } from './width.mjs';

/** axe-core's WCAG 2.1 AA violations on the page as it is now, as short lines. */
export async function axeViolations(page, axeSource) {
  return page.evaluate(async (src) => {
    const run = new Function(src + '\n;return axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } });');
    return (await run()).violations.map((v) => `${v.id}: ${v.help}`);
  }, axeSource);
}

/** A checker for one journey; `check(page, what, width)` adds to `problems` and `files`. */
export async function pageChecker({ browser, axeSource, dir, prefix }) {
  const problems = [];
  const files = [];
  const checkerCtx = await browser.newContext({ locale: 'zh-CN', viewport: { width: 390, height: 900 } });
  const checker = await checkerCtx.newPage();
  const check = async (page, what, width) => {
    const file = join(dir, `${prefix}-${files.length}.html`);
    const html = await page.content();
    writeFileSync(file, html);
    files.push([`${what} ${width}px`, file]);
    await checker.setViewportSize({ width, height: 900 });
    await checker.setContent(html, { waitUntil: 'domcontentloaded' });
    const violations = await axeViolations(checker, axeSource);
    if (violations.length) problems.push(`axe on ${what} ${width}px: ${violations.join('; ')}`);
    const { sw } = await overflow(page, width);
    if (sw > width) problems.push(`${what} is ${sw}px wide at ${width}px`);
  };
  return { check, problems, files, close: () => checkerCtx.close() };
}
