import { chromium } from 'playwright-core';
const [width = '1280', user = 'renkou'] = process.argv.slice(2);
const base = 'http://127.0.0.1:8080';
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium' });
const ctx = await browser.newContext({ locale: 'zh-CN', viewport: { width: Number(width), height: 900 } });
const page = await ctx.newPage();
await page.goto(base + '/admin/login');
await page.fill('input[name=username]', user);
await page.fill('input[name=password]', 'Zhengwu@2026');
await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
await page.goto(base + '/admin/data/population');
// no purpose: error kept
await page.selectOption('#f-area', '230103');
await Promise.all([page.waitForNavigation(), page.click('form.form button[type=submit]')]);
await page.screenshot({ path: `/tmp/pop-err-${width}.png`, fullPage: true });
await page.selectOption('#f-purpose', 'assistance');
await page.fill('#f-note', '低保复核 2026-0312 号');
await Promise.all([page.waitForNavigation(), page.click('form.form button[type=submit]')]);
await page.screenshot({ path: `/tmp/pop-list-${width}.png`, fullPage: true });
await Promise.all([page.waitForNavigation(), page.click('table a:text("查看")')]);
await page.screenshot({ path: `/tmp/pop-person-${width}.png`, fullPage: true });
const btn = page.locator('button:text("显示完整信息")');
if (await btn.count()) {
  await Promise.all([page.waitForNavigation(), btn.click()]);
  await page.screenshot({ path: `/tmp/pop-reveal-${width}.png`, fullPage: true });
}
await page.goto(base + '/admin/data/population/stats?purpose=statistics&purpose_note=2026年老龄工作统计&rows=area&cols=age');
await page.screenshot({ path: `/tmp/pop-stats-${width}.png`, fullPage: true });
if (user === 'renkou') {
  await page.goto(base + '/admin/data/population/conflicts');
  await page.screenshot({ path: `/tmp/pop-conf-${width}.png`, fullPage: true });
}
await browser.close();
