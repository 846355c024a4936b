// 直播 in Chromium, as its users meet it: the person who runs the live pages adds a camera point
// on a phone (a longitude typed as words is refused, with the reason and what was typed kept),
// saves it and has it checked at once — the stream answers, so it shows 在线; a citizen without
// JavaScript finds it on /zhibo/ and opens its page, played by the browser's own player with the
// policy letting the stream's server in and nothing else; a citizen with script watches the
// event's coverage while a reporter's post appears without a reload. The pages reached only by
// these steps pass axe and fit the width; their HTML is returned for the Nu checker.

import { pageChecker } from './check.mjs';

async function submit(page, selector) {
  await Promise.all([page.waitForNavigation(), page.click(selector)]);
}

export async function liveFlow({ browser, base, axeSource, dir }) {
  const { check, problems, files, close } = await pageChecker({ browser, axeSource, dir, prefix: 'zb' });
  const ctx = (js, width) => browser.newContext({ locale: 'zh-CN', javaScriptEnabled: js, viewport: { width, height: 900 } });
  const staffCtx = await ctx(true, 390);
  const staff = await staffCtx.newPage();
  const citizenCtx = await ctx(false, 390);
  const citizen = await citizenCtx.newPage();
  const viewerCtx = await ctx(true, 1366);
  const viewer = await viewerCtx.newPage();
  const blocked = [];
  for (const p of [citizen, viewer]) p.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) blocked.push(m.text()); });
  try {
    // 1. A new point, first with a longitude in words.
    await staff.goto(base + '/admin/login');
    await staff.fill('input[name=username]', 'siteadmin');
    await staff.fill('input[name=password]', 'Zhengwu@2026');
    await submit(staff, 'button[type=submit]');
    await staff.goto(base + '/admin/live/points/new');
    await staff.fill('#f-name', '松花江铁路大桥');
    await staff.fill('#f-area', '道里区');
    await staff.fill('#f-lon', '东经126度');
    await staff.fill('#f-lat', '45.7838');
    // The demo's stand-in for a streaming server: a lesson's video on this very server.
    await staff.fill('#f-stream_url', `${base}/kejian/2/video.mp4`);
    await submit(staff, 'form[action="/admin/live/points/new"] button.primary');
    const refused = await staff.content();
    if (!refused.includes('经度应为') || !refused.includes('value="松花江铁路大桥"')) {
      problems.push('a longitude in words was not refused with the typed name kept');
    }
    await staff.fill('#f-lon', '126.6069');
    await submit(staff, 'form[action="/admin/live/points/new"] button.primary');
    const id = (staff.url().match(/\/admin\/live\/points\/(\d+)/) || [])[1];
    if (!id) throw new Error(`the point was not saved: ${staff.url()}`);
    await submit(staff, `form[action="/admin/live/points/${id}/check"] button`);
    if (!(await staff.textContent('section.card')).includes('在线')) problems.push('the check did not find the stream online');

    // 2. A citizen without script finds it and opens it.
    await citizen.goto(base + '/zhibo/');
    await check(citizen, '直播首页', 390);
    await submit(citizen, `a[href="/zhibo/points/${id}"] >> nth=0`);
    const html = await citizen.content();
    if (!html.includes('<video') || !html.includes(`/kejian/2/video.mp4`)) problems.push('the point page has no player for its stream');
    await check(citizen, '视频点位', 390);

    // 3. The event coverage with script: a reporter's post appears without a reload.
    await viewer.goto(base + '/zhibo/');
    await submit(viewer, 'ul.linked a[href^="/canyu/interviews/"] >> nth=0');
    const event = viewer.url().match(/\/canyu\/interviews\/(\d+)/)[1];
    await viewer.waitForFunction(() => document.getElementById('live-status')?.textContent.includes('实时更新'), null, { timeout: 10000 });
    await staff.setViewportSize({ width: 1366, height: 900 });
    await staff.goto(`${base}/admin/participation/interviews/${event}`);
    await staff.selectOption('select[name=speaker]', 'host');
    await staff.fill('#f-body', '决胜局道里区队 15:12 获胜，夺得冠军！');
    await submit(staff, `form[action="/admin/participation/interviews/${event}/messages"] button.primary`);
    await viewer.waitForFunction(() => document.getElementById('stream').textContent.includes('夺得冠军'), null, { timeout: 10000 })
      .catch(() => problems.push('the reporter\'s post did not reach the viewer without a reload'));
    if (!(await viewer.content()).includes('<video')) problems.push('the coverage page has no video');
    await check(viewer, '活动直播', 1366);
    if (blocked.length) problems.push(`the policy blocked: ${blocked.join('; ')}`);
  } catch (e) {
    problems.push(`live flow: ${e.message}`);
  }
  await staffCtx.close();
  await citizenCtx.close();
  await viewerCtx.close();
  await close();
  return { problems, files };
}
