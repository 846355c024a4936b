// 公众参与 in Chromium, as its users meet it: a moderator (the site administrator) and two
// citizens, one with JavaScript and one without. A consultation gets an opinion on selected words
// (script) and one on a chosen paragraph (no script); the moderator refuses one. A survey is
// answered by both (the citizen without script first meets the required-question message), the
// moderator closes it, its results show as charts with tables. An interview goes live: the
// citizen with script watches the stream while the moderator approves the other citizen's
// question and a guest answers — it appears without a reload, as does a photo the moderator then
// posts; the other citizen refreshes to see it. The pages reached only by these steps pass axe at desktop and phone width; their HTML is
// returned for the Nu checker.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { overflow } from './width.mjs';
import { axeViolations } from './check.mjs';

async function solveCaptcha(page) {
  const question = await page.textContent('label[for=f-captcha]');
  const [, a, op, b] = question.match(/(\d+) (加|乘) (\d+)/);
  await page.fill('input[name=captcha]', String(op === '加' ? Number(a) + Number(b) : Number(a) * Number(b)));
}

async function submit(page, selector = 'form.letter-form button[type=submit].primary') {
  await Promise.all([page.waitForNavigation(), page.click(selector)]);
}

export async function participationFlow({ browser, base, axeSource, dir }) {
  const problems = [];
  const files = [];
  // axe needs script: a page reached without it is checked again at its address in a page with it.
  let checker = null;
  const check = async (from, what, width) => {
    let page = from;
    if (from === noJs || from.viewportSize().width !== width) {
      checker = checker || (await (await ctx(true, width)).newPage());
      await checker.setViewportSize({ width, height: 900 });
      await checker.goto(from.url());
      page = checker;
    }
    const file = join(dir, `cy-${files.length}.html`);
    writeFileSync(file, await page.content());
    files.push([`${what} ${width}px`, file]);
    const violations = await axeViolations(page, axeSource);
    if (violations.length) problems.push(`axe on ${what} ${width}px: ${violations.join('; ')}`);
    const { sw } = await overflow(page, width);
    if (sw > width) problems.push(`${what} is ${sw}px wide at ${width}px`);
  };
  var ctx = (js, width = 1366) => browser.newContext({ locale: 'zh-CN', javaScriptEnabled: js, viewport: { width, height: 900 } });
  const mod = await (await ctx(true)).newPage();
  const withJs = await (await ctx(true)).newPage();
  const noJs = await (await ctx(false)).newPage();
  const blocked = [];
  withJs.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) blocked.push(m.text()); });
  try {
    await mod.goto(base + '/admin/login');
    await mod.fill('input[name=username]', 'siteadmin');
    await mod.fill('input[name=password]', 'Zhengwu@2026');
    await submit(mod, 'button[type=submit]');

    // 1. The running consultation (postmoderated).
    const cPath = '/canyu/consultations/1';
    await withJs.goto(base + cPath);
    // Select words of 第九条 (paragraph 12) with the mouse, as a reader would.
    const para = withJs.locator('#draft p[data-no="12"]');
    await para.scrollIntoViewIfNeeded();
    const box = await para.boundingBox();
    await withJs.mouse.move(box.x + 2, box.y + box.height / 2);
    await withJs.mouse.down();
    await withJs.mouse.move(box.x + Math.min(box.width - 4, 220), box.y + box.height / 2, { steps: 5 });
    await withJs.mouse.up();
    await withJs.waitForSelector('#quote-note:not([hidden])', { timeout: 3000 });
    const chosen = await withJs.$eval('select[name=para]', (s) => s.value);
    const quote = await withJs.$eval('input[name=quote]', (i) => i.value);
    if (chosen !== '12' || !quote) problems.push(`selecting words set paragraph ${chosen}, quote “${quote}”`);
    await withJs.fill('textarea[name=body]', '建议明确晚间 20 时以后的音量标准。');
    await solveCaptcha(withJs);
    await submit(withJs);
    if (!withJs.url().includes('sent=visible')) problems.push(`opinion with script landed on ${withJs.url()}`);
    const underPara = await withJs.locator('#p-12 .para-comments').textContent().catch(() => '');
    if (!underPara.includes('晚间 20 时')) problems.push('the opinion on selected words is not under its paragraph');
    // Without script: the paragraph's own link preselects it.
    await noJs.goto(base + cPath);
    await submit(noJs, 'a[href="?para=10#comment-form"]');
    if ((await noJs.$eval('select[name=para]', (s) => s.value)) !== '10') problems.push('the paragraph link did not preselect paragraph 10');
    await noJs.fill('textarea[name=body]', '');
    await noJs.fill('input[name=name]', '周杰');
    await solveCaptcha(noJs);
    await noJs.$eval('textarea[name=body]', (t) => t.removeAttribute('required'));
    await submit(noJs);
    if (!(await noJs.content()).includes('请填写您的意见') || (await noJs.inputValue('input[name=name]')) !== '周杰') problems.push('an empty opinion is not named, or the name was lost');
    await noJs.fill('textarea[name=body]', '收费公园应当每年公布收支情况。广告位招租请联系 13900001111');
    await solveCaptcha(noJs);
    await submit(noJs);
    if (!noJs.url().includes('sent=visible')) problems.push(`opinion without script landed on ${noJs.url()}`);
    await check(noJs, '意见征集（提交后）', 1366);
    // The moderator refuses the advert; it leaves the public page.
    await mod.goto(base + '/admin/participation/consultations/1');
    const row = mod.locator('tr', { hasText: '广告位招租' });
    await Promise.all([mod.waitForNavigation(), row.locator('button[value=rejected]').click()]);
    await noJs.goto(base + cPath);
    if ((await noJs.content()).includes('广告位招租')) problems.push('a refused opinion is still public');

    // 2. The open survey.
    const sPath = '/canyu/surveys/2';
    await withJs.goto(base + sPath);
    await withJs.check('input[name=q1][value="2"]');
    await withJs.check('input[name=q2][value="8"]');
    await withJs.fill('textarea[name=q3]', '增加健身步道和饮水点');
    await submit(withJs, 'form.survey button[type=submit]');
    if (!withJs.url().includes('sent=1')) problems.push(`survey with script landed on ${withJs.url()}`);
    await noJs.goto(base + sPath);
    await noJs.check('input[name=q2][value="6"]');
    await submit(noJs, 'form.survey button[type=submit]');
    if (!(await noJs.content()).includes('此题为必答题')) problems.push('the missing required answer is not named');
    if (!(await noJs.isChecked('input[name=q2][value="6"]'))) problems.push('the given answer was not kept');
    await noJs.check('input[name=q1][value="1"]');
    await submit(noJs, 'form.survey button[type=submit]');
    if (!noJs.url().includes('sent=1')) problems.push(`survey without script landed on ${noJs.url()}`);
    await mod.goto(base + '/admin/participation/surveys/2');
    await Promise.all([mod.waitForNavigation(), mod.click('form[action$="/act"] button')]);
    await noJs.goto(base + sPath);
    const results = await noJs.content();
    if (!results.includes('调查结果') || !results.includes('<svg class="chart"')) problems.push('the closed survey shows no results');
    await check(noJs, '调查结果', 1366);

    // 3. The announced interview goes live.
    const iPath = '/canyu/interviews/2';
    await mod.goto(base + '/admin/participation/interviews/2');
    await Promise.all([mod.waitForNavigation(), mod.click('form[action$="/act"] button')]);
    await withJs.goto(base + iPath);
    await withJs.waitForFunction(() => document.getElementById('live-status')?.textContent.includes('实时更新'), null, { timeout: 5000 });
    await noJs.goto(base + iPath);
    await noJs.fill('textarea[name=body]', '创新券能用于委托高校做检测吗？');
    await noJs.fill('input[name=name]', '钱多多');
    await solveCaptcha(noJs);
    await submit(noJs);
    if (!noJs.url().includes('sent=1')) problems.push(`question landed on ${noJs.url()}`);
    await mod.goto(base + '/admin/participation/interviews/2');
    const q = mod.locator('li', { hasText: '委托高校做检测' });
    await Promise.all([mod.waitForNavigation(), q.locator('button[value=approve]').click()]);
    await mod.selectOption('select[name=speaker]', 'guest');
    await mod.fill('input[name=name]', '孙海涛');
    const qid = await mod.$$eval('select[name=reply_to] option', (os) => os.find((o) => o.textContent.includes('委托高校'))?.value);
    await mod.selectOption('select[name=reply_to]', qid);
    await mod.fill('#console textarea[name=body]', '可以。委托高校和科研院所开展的检测、研发服务都可以使用创新券。');
    await Promise.all([mod.waitForNavigation(), mod.click('#console form[action$="/messages"] button.primary')]);
    // The viewer with script sees the question and the answer arrive without reloading.
    await withJs.waitForFunction(() => document.getElementById('stream').textContent.includes('科研院所开展的检测'), null, { timeout: 5000 });
    if (!(await withJs.locator('#stream').textContent()).includes('钱*')) problems.push('the question is not shown with a masked name');
    // 图文直播: a photo posted from the console arrives in the viewer's stream and loads.
    const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
    await mod.selectOption('select[name=speaker]', 'host');
    await mod.fill('#console textarea[name=body]', '孙海涛处长在演播室回答网友提问。');
    await mod.setInputFiles('#console input[name=photo]', { name: '演播室.png', mimeType: 'image/png', buffer: png });
    await mod.fill('#console input[name=photo_alt]', '孙海涛处长在演播室回答网友提问');
    await Promise.all([mod.waitForNavigation(), mod.click('#console form[action$="/messages"] button.primary')]);
    await withJs.waitForFunction(
      () => [...document.querySelectorAll('#stream img.msg-photo')].some((i) => i.alt === '孙海涛处长在演播室回答网友提问' && i.complete && i.naturalWidth > 0),
      null,
      { timeout: 5000 },
    ).catch(() => problems.push('the posted photo did not arrive in the live stream or did not load'));
    await check(withJs, '访谈直播', 1366);
    await noJs.goto(base + iPath);
    if (!(await noJs.content()).includes('科研院所开展的检测')) problems.push('a refresh without script does not show the answer');
    if (blocked.length) problems.push(`CSP blocked: ${blocked.join('; ')}`);
    // The same pages fit a phone and pass axe there.
    const phone = await (await ctx(true, 360)).newPage();
    for (const [what, path] of [['意见征集', cPath], ['调查结果', sPath], ['访谈直播', iPath]]) {
      await phone.goto(base + path);
      await check(phone, what, 360);
    }
  } catch (e) {
    problems.push(`participation: ${e.message.split('\n')[0]}`);
  }
  return { problems, files };
}
