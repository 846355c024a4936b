// 政府信息公开's catalogue in Chromium, as its people meet it: the site administrator, on a phone
// and without script, adds a category of the 办公厅's own (a statutory name is refused, with the
// reason and what was typed kept) and binds a column of the portal to it; the public catalogue
// then offers that category; a reader follows an interpretation in the catalogue to the policy it
// explains and finds, on the policy's own article page, the 政策与解读 links. The pages reached
// pass axe and fit the width; their HTML is returned for the Nu checker.

import { pageChecker } from './check.mjs';

async function submit(page, selector) {
  await Promise.all([page.waitForNavigation(), page.click(selector)]);
}

export async function catalogueFlow({ browser, base, axeSource, dir }) {
  const { check, problems, files, close } = await pageChecker({ browser, axeSource, dir, prefix: 'gk' });
  const staffCtx = await browser.newContext({ locale: 'zh-CN', javaScriptEnabled: false, viewport: { width: 390, height: 900 } });
  const staff = await staffCtx.newPage();
  const readerCtx = await browser.newContext({ locale: 'zh-CN', javaScriptEnabled: false, viewport: { width: 1366, height: 900 } });
  const reader = await readerCtx.newPage();
  try {
    await staff.goto(base + '/admin/login');
    await staff.fill('input[name=username]', 'siteadmin');
    await staff.fill('input[name=password]', 'Zhengwu@2026');
    await submit(staff, 'button[type=submit]');
    await staff.goto(base + '/admin/disclosure/tree');
    await check(staff, '目录类目与栏目', 390);
    const office = await staff.$eval('#t-org', (s) => [...s.options].find((o) => o.textContent.includes('办公厅')).value);

    // A statutory category is refused with its reason; the typed name stays.
    await staff.selectOption('#t-org', office);
    await staff.fill('#t-name', '财政预决算');
    await submit(staff, 'form[action="/admin/disclosure/tree/topics"] button.primary');
    const refused = await staff.content();
    if (!refused.includes('条例规定的类目已有这一项')) problems.push('a statutory category name was not refused with its reason');
    if (await staff.inputValue('#t-name') !== '财政预决算') problems.push('the refused name was not kept');
    await check(staff, '目录类目（有误）', 390);

    await staff.selectOption('#t-org', office);
    await staff.fill('#t-name', '数字政府建设');
    await submit(staff, 'form[action="/admin/disclosure/tree/topics"] button.primary');
    if (!(await staff.content()).includes('数字政府建设')) problems.push('the new category is not listed');

    // The portal's 部门动态 column, bound to it.
    const column = await staff.$eval('#b-topic', (s) => [...s.options].find((o) => o.textContent.trim() === '部门动态')?.value);
    if (!column) throw new Error('no 部门动态 column to bind');
    await staff.selectOption('#b-topic', column);
    await staff.selectOption('#b-org', office);
    await staff.selectOption('#b-category', '数字政府建设');
    await submit(staff, 'form[action="/admin/disclosure/tree/bindings"] button.primary');
    const bound = await staff.$$eval('table tbody tr', (rows) => rows.some((r) => r.textContent.includes('部门动态') && r.textContent.includes('数字政府建设')));
    if (!bound) problems.push('the bound column is not listed');
    await check(staff, '目录类目与栏目（已绑定）', 390);
    await staff.goto(base + '/admin/disclosure/catalogue');
    await check(staff, '公开目录（后台）', 390);

    // The public catalogue offers the category.
    await reader.goto(base + '/gongkai/catalogue');
    const offered = await reader.$$eval('select[name=topic] option', (os) => os.some((o) => o.textContent.trim() === '数字政府建设'));
    if (!offered) problems.push('the public catalogue does not offer the new category');

    // From an interpretation to its policy's article page.
    await reader.goto(base + '/gongkai/catalogue?topic=' + encodeURIComponent('政策解读'));
    const items = await reader.$$eval('a[href^="/gongkai/items/"]', (as) => as.map((a) => a.getAttribute('href')));
    let article = null;
    for (const item of items) {
      await reader.goto(base + item);
      const policy = await reader.$$eval('ul.linked a', (as) => as.map((a) => a.getAttribute('href'))[0]);
      if (!policy) continue;
      await reader.goto(base + policy);
      article = await reader.$eval('a.button', (a) => a.getAttribute('href')).catch(() => null);
      if (article) break;
    }
    if (!article) throw new Error('no interpretation in the catalogue leads to a policy with its article');
    await reader.goto(base + article);
    const links = await reader.$$eval('section.interpretations li', (ls) => ls.map((l) => l.textContent));
    if (!links.length) problems.push(`the policy's article page ${article} lists no interpretation`);
    await check(reader, '信息页（政策与解读）', 1366);
  } catch (e) {
    problems.push(e.message.split('\n')[0]);
  }
  await staffCtx.close();
  await readerCtx.close();
  await close();
  return { problems, files };
}
