// A screenshot of one page as a person sees it, for looking at a change before calling it done:
//   node tests/browser/shot.mjs URL OUT.png [width=1280] [login-user] [js=1]
// Signs in as `login-user` (demo password) first when given.
import { chromium } from 'playwright-core';

const [url, out, width = '1280', user = '', js = '1'] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium' });
// Chinese first, as our users read it (the English locale is chosen with ?lang=en).
const ctx = await browser.newContext({ locale: 'zh-CN', viewport: { width: Number(width), height: 900 }, javaScriptEnabled: js !== '0' });
const page = await ctx.newPage();
if (user) {
  const base = new URL(url).origin;
  await page.goto(base + '/admin/login');
  await page.fill('input[name=username]', user);
  await page.fill('input[name=password]', 'Zhengwu@2026');
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
}
await page.goto(url);
await page.screenshot({ path: out, fullPage: !process.env.SHOT_VIEWPORT });
await browser.close();
