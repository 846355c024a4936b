// The pre-publication gate as an editor meets it (no script): write an article with a serious
// wording error, submit it, photograph the refusal. node gate-shot.mjs BASE OUT WIDTH
import { chromium } from 'playwright-core';
const [base, out, width] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox'] });
const ctx = await browser.newContext({ locale: 'zh-CN', viewport: { width: Number(width), height: 900 }, javaScriptEnabled: false });
const page = await ctx.newPage();
await page.goto(base + '/admin/login');
await page.fill('input[name=username]', 'editor');
await page.fill('input[name=password]', 'Zhengwu@2026');
await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
await page.goto(base + '/admin/cms/articles/new');
const opt = await page.$$eval('select[name=channel_id] option', (o) => o.map((x) => x.value).filter(Boolean)[0]);
await page.selectOption('select[name=channel_id]', opt);
await page.fill('input[name=title]', '关于开展冬季供热专项检查的通知');
await page.fill('textarea[name=body]', '<p>按照哈尔滨市人民政俯统一部署，既使节假日也不停止检查，详见<a href="/a/99999999.html">原通知</a>。</p><p><img src="/static/none.png"></p>');
await Promise.all([page.waitForNavigation(), page.click('button:has-text("保存")')]);
await Promise.all([page.waitForNavigation(), page.click('button[value=submit]')]);
await page.screenshot({ path: out, fullPage: false });
console.log(page.url());
await browser.close();
