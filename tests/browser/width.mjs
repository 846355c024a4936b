// Measures horizontal overflow of public pages at a given width (a development aid and the
// browser run's layout check): prints each page's scrollWidth and the elements that stick out.
import { chromium } from 'playwright-core';

/** The widest elements sticking out of the viewport, as short selectors. */
export async function overflow(page, width) {
  return page.evaluate((w) => {
    const out = [];
    const sw = document.documentElement.scrollWidth;
    if (sw <= w) return { sw, culprits: out };
    for (const el of document.body.querySelectorAll('*')) {
      const r = el.getBoundingClientRect();
      if (r.right > w + 1 && r.width > 0) {
        const parentOut = el.parentElement && el.parentElement.getBoundingClientRect().right > w + 1;
        if (!parentOut || el.parentElement === document.body) {
          out.push(`${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : ''} → ${Math.round(r.right)}px`);
        }
      }
    }
    return { sw, culprits: out.slice(0, 5) };
  }, width);
}

if (process.argv[1] && process.argv[1].endsWith('width.mjs')) {
  const base = process.argv[2];
  const width = Number(process.argv[3] || 360);
  const paths = process.argv.slice(4);
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  const context = await browser.newContext({ locale: 'zh-CN', viewport: { width, height: 740 }, javaScriptEnabled: false });
  const page = await context.newPage();
  for (const p of paths) {
    await page.goto(base + p);
    const { sw, culprits } = await overflow(page, width);
    console.log(`${sw > width ? '✗' : '✓'} ${p} ${sw}px ${culprits.join(' | ')}`);
  }
  await browser.close();
}
