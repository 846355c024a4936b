// A screenshot in Chinese at a given width, signed in: node zh-shot.mjs URL OUT WIDTH USER
import { chromium } from 'playwright-core';
const [url, out, width, user] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox'] });
const ctx = await browser.newContext({ locale: 'zh-CN', viewport: { width: Number(width), height: 900 } });
const page = await ctx.newPage();
const base = new URL(url).origin;
await page.goto(base + '/admin/login');
await page.fill('input[name=username]', user);
await page.fill('input[name=password]', 'Zhengwu@2026');
await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
await page.goto(url);
await page.screenshot({ path: out, fullPage: true });
await browser.close();
