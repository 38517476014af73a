// 机构管理: facilities, departments, spoken names, rosters, policies, closures and CSV (ADMIN, HOSPITAL_ADMIN).
// Uses console.js's helpers (el, $, api, put, fill, message).
'use strict';

const DAY = { MONDAY: '一', TUESDAY: '二', WEDNESDAY: '三', THURSDAY: '四', FRIDAY: '五', SATURDAY: '六', SUNDAY: '日' };
const PERIOD = { MORNING: '上午', AFTERNOON: '下午', EVENING: '晚上' };
let adminFacility = null;

function refusalText(r) {
  const d = r.data || {};
  if (d.refusal === 'POLICY_RULES') {
    return d.text + (d.overrideAllowed ? '（管理员可填写越权理由后再保存）' : '（请调整后再保存）');
  }
  if (d.refusal === 'HAS_BOOKINGS') {
    return d.text + '：' + d.sessions.map((s) => s.date + ' ' + (PERIOD[s.period] || s.period) + ' 已约 ' + s.taken).join('，');
  }
  return d.text || ('操作失败（' + r.status + '）');
}

function ruleList(target, r) {
  const d = r.data || {};
  put(target, el('p', { className: 'refusal' }, refusalText(r)),
    d.rules ? el('ul', { className: 'rules' }, d.rules.map((x) => el('li', { 'data-rule': x.rule }, x.rule + '：' + x.text))) : null);
}

async function loadAdmin() {
  const r = await api('GET', '/api/admin/facilities');
  if (!r.ok) return;
  const sel = $('admin-facility');
  const keep = adminFacility || (r.data[0] && r.data[0].id);
  sel.replaceChildren(...r.data.map((f) => el('option', { value: f.id, selected: f.id === keep }, f.name + '（' + f.code + '）')));
  if (keep) { adminFacility = keep; sel.value = String(keep); await loadFacility(); }
}
window.loadAdmin = loadAdmin;

async function loadFacility() {
  const r = await api('GET', '/api/admin/facilities/' + adminFacility);
  if (!r.ok) { $('admin-detail').hidden = true; return; }
  const v = r.data;
  $('admin-detail').hidden = false;
  $('admin-facility-spoken').textContent = v.speakable ? '机构名称语音：已有' : '机构名称语音：缺少（电话菜单暂不提供本机构）';
  fill($('admin-services').tBodies[0], v.services.map((s) => el('tr', { 'data-service-code': s.service.code, 'data-service-id': s.service.id },
    el('td', {}, s.service.code), el('td', {}, s.service.name + (s.service.doctorName ? '，' + s.service.doctorName : '')),
    el('td', {}, s.service.kind === 'VACCINE' ? '疫苗' : '门诊'),
    el('td', { className: 'spoken' }, s.speakable ? (s.name ? '已有（' + (s.name.source === 'TTS' ? '合成' : '录音') + '）' : '已有') : '缺少：电话菜单不提供'),
    el('td', { className: 'roster' }, s.roster.map((l) => '周' + DAY[l.day] + PERIOD[l.period] + ' ' + l.starts.slice(0, 5) + '–' + l.ends.slice(0, 5)
      + ' 现场' + l.onsite + '/社区' + l.community + '/普通' + l.pub).join('；')),
    el('td', {},
      el('button', { className: 'secondary generate-name', onclick: () => generateName(s.service.id) }, '生成语音'), ' ',
      el('label', { className: 'upload' }, '上传录音 ', el('input', { type: 'file', accept: '.wav,audio/wav', className: 'upload-name',
        onchange: (ev) => uploadName(s.service.id, ev.target.files[0]) })),
      s.name ? el('a', { href: '/api/admin/facilities/' + adminFacility + '/names/SERVICE/' + s.service.id + '.wav', target: '_blank' }, ' 试听') : null))));
  const outpatient = v.services.filter((s) => s.service.kind === 'OUTPATIENT' || s.service.kind === 'VACCINE');
  $('roster-service').replaceChildren(...outpatient.map((s) => el('option', { value: s.service.id }, s.service.name)));
  $('closure-service').replaceChildren(el('option', { value: '' }, '全部科室'),
    ...outpatient.map((s) => el('option', { value: s.service.id }, s.service.name)));
  const p = v.policy;
  $('policy-public-days').value = p.publicDaysAhead; $('policy-public-at').value = p.publicOpensAt.slice(0, 5);
  $('policy-community-days').value = p.communityDaysAhead; $('policy-community-at').value = p.communityOpensAt.slice(0, 5);
  $('policy-move-days').value = p.communityToPublicDaysBefore; $('policy-move-at').value = p.communityToPublicAt.slice(0, 5);
  $('policy-close-minutes').value = Math.round(parseDuration(p.closeBefore) / 60);
  $('policy-onsite-at').value = p.phoneToOnsiteAt ? p.phoneToOnsiteAt.slice(0, 5) : '';
  fill($('closure-list').tBodies[0], v.closures.map((c) => el('tr', { 'data-closure-id': c.id },
    el('td', {}, c.date), el('td', {}, c.period ? PERIOD[c.period] : '全天'), el('td', {}, c.serviceId || '全部'),
    el('td', {}, c.reason), el('td', {}, c.createdBy),
    el('td', {}, el('button', { className: 'secondary', onclick: async () => {
      const why = prompt('恢复开放的原因');
      if (!why) return;
      const res = await api('POST', '/api/admin/facilities/' + adminFacility + '/closures/' + c.id + '/reopen', { reason: why });
      message($('closure-result'), res.ok, res.ok ? '已恢复开放' : refusalText(res));
      loadFacility();
    } }, '恢复')))));
  $('csv-export').href = '/api/admin/facilities/' + adminFacility + '/roster.csv';
  const vaccines = await api('GET', '/api/admin/vaccines');
  if (vaccines.ok) {
    $('vsvc-vaccine').replaceChildren(...vaccines.data.map((x) => el('option', { value: x.id }, x.name + '（' + x.doses + ' 剂）')));
  }
}

function parseDuration(iso) { // PT2H, PT90M
  const m = /PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?/.exec(iso || '');
  return m ? (Number(m[1] || 0) * 3600 + Number(m[2] || 0) * 60 + Number(m[3] || 0)) : 0;
}

async function generateName(serviceId) {
  const why = prompt('生成名称语音的原因', '新增科室');
  if (!why) return;
  const r = await api('POST', '/api/admin/facilities/' + adminFacility + '/names/SERVICE/' + serviceId + '/generate', { reason: why });
  message($('name-result'), r.ok, r.ok ? '名称语音已生成' : refusalText(r));
  loadFacility();
}

async function uploadName(serviceId, file) {
  if (!file) return;
  const why = prompt('上传名称录音的原因', '医院录制的名称');
  if (!why) return;
  const res = await fetch('/api/admin/facilities/' + adminFacility + '/names/SERVICE/' + serviceId + '/upload?reason='
    + encodeURIComponent(why), { method: 'POST', credentials: 'same-origin',
    headers: { 'Content-Type': 'audio/wav', [csrfHeader]: csrfToken, Accept: 'application/json' }, body: file });
  const data = await res.json().catch(() => ({}));
  message($('name-result'), res.ok, res.ok ? '录音已转换并保存' : (data.text || '上传失败'));
  loadFacility();
}

$('admin-facility').addEventListener('change', () => { adminFacility = Number($('admin-facility').value); loadFacility(); });

if ($('fac-submit')) {
  $('fac-submit').addEventListener('click', async () => {
    const r = await api('POST', '/api/admin/facilities', { code: $('fac-code').value, name: $('fac-name').value,
      kind: $('fac-kind').value, district: $('fac-district').value, reason: $('fac-reason').value });
    if (!r.ok) { message($('fac-result'), false, refusalText(r)); return; }
    adminFacility = r.data.id;
    let note = '';
    if ($('fac-tts').checked) {
      const n = await api('POST', '/api/admin/facilities/' + r.data.id + '/names/FACILITY/' + r.data.id + '/generate',
        { reason: $('fac-reason').value });
      note = n.ok ? '，名称语音已生成' : '，名称语音未生成：' + refusalText(n);
    }
    message($('fac-result'), true, '已新建机构 ' + $('fac-name').value + note);
    loadAdmin();
  });
}

$('dept-submit').addEventListener('click', async () => {
  const r = await api('POST', '/api/admin/facilities/' + adminFacility + '/departments', { code: $('dept-code').value,
    name: $('dept-name').value, doctorName: $('dept-doctor').value, reason: $('dept-reason').value,
    generateName: $('dept-tts').checked });
  message($('dept-result'), r.ok, r.ok ? ('已新增科室 ' + $('dept-name').value + (r.data.nameProblem ? '；名称语音未生成：' + r.data.nameProblem
    : r.data.namePrompt ? '，名称语音已生成' : '')) : refusalText(r));
  if (r.ok) loadFacility();
});

$('vsvc-submit').addEventListener('click', async () => {
  const r = await api('POST', '/api/admin/facilities/' + adminFacility + '/vaccine-services', {
    vaccineId: Number($('vsvc-vaccine').value), code: $('vsvc-code').value, name: $('vsvc-name').value || null,
    reason: $('vsvc-reason').value, generateName: $('vsvc-tts').checked });
  message($('vsvc-result'), r.ok, r.ok ? ('已新增疫苗服务' + (r.data.nameProblem ? '；名称语音未生成：' + r.data.nameProblem
    : r.data.namePrompt ? '，名称语音已生成' : '')) : refusalText(r));
  if (r.ok) loadFacility();
});

$('roster-submit').addEventListener('click', async () => {
  const r = await api('POST', '/api/admin/facilities/' + adminFacility + '/services/' + $('roster-service').value + '/roster', {
    day: $('roster-day').value, period: $('roster-period').value, starts: $('roster-starts').value, ends: $('roster-ends').value,
    slotMinutes: Number($('roster-minutes').value), onsite: Number($('roster-onsite').value),
    community: Number($('roster-community').value), pub: Number($('roster-public').value),
    reason: $('roster-reason').value, overrideReason: $('roster-override').value || null });
  if (r.ok) {
    const g = r.data.regenerated;
    message($('roster-result'), true, (r.data.overridden ? '已越权保存排班（理由已记录）' : '已保存排班')
      + (g ? '：新增 ' + g.sessionsAdded + ' 个出诊时段，调整 ' + g.sessionsChanged + ' 个，保留已有预约的号 ' + g.slotsKeptForBookings + ' 个' : ''));
    loadFacility();
  } else if (r.status === 422) ruleList($('roster-result'), r);
  else message($('roster-result'), false, refusalText(r));
});

$('policy-submit').addEventListener('click', async () => {
  const r = await api('POST', '/api/admin/facilities/' + adminFacility + '/policy', {
    publicDaysAhead: Number($('policy-public-days').value), publicOpensAt: $('policy-public-at').value,
    communityDaysAhead: Number($('policy-community-days').value), communityOpensAt: $('policy-community-at').value,
    communityToPublicDaysBefore: Number($('policy-move-days').value), communityToPublicAt: $('policy-move-at').value,
    closeBeforeMinutes: Number($('policy-close-minutes').value), phoneToOnsiteAt: $('policy-onsite-at').value || null,
    reason: $('policy-reason').value, overrideReason: $('policy-override').value || null });
  if (r.ok) { message($('policy-result'), true, r.data.overridden ? '已越权保存放号策略（理由已记录）' : '已保存放号策略'); loadFacility(); }
  else if (r.status === 422) ruleList($('policy-result'), r);
  else message($('policy-result'), false, refusalText(r));
});

$('closure-submit').addEventListener('click', async () => {
  const r = await api('POST', '/api/admin/facilities/' + adminFacility + '/closures', {
    serviceId: $('closure-service').value ? Number($('closure-service').value) : null, date: $('closure-date').value,
    period: $('closure-period').value || null, reason: $('closure-reason').value });
  message($('closure-result'), r.ok, r.ok ? '已停开（关闭已生成的时段 ' + r.data.sessionsClosed + ' 个）' : refusalText(r));
  if (r.status === 409 && r.data.handover) {
    $('closure-result').append(el('p', {}, el('a', { id: 'closure-handover', href: r.data.handover }, '前往停诊（取消该时段预约并通知患者）')));
  }
  if (r.ok) loadFacility();
});

$('csv-submit').addEventListener('click', async () => {
  const file = $('csv-file').files[0];
  if (!file) { message($('csv-report'), false, '请选择 CSV 文件'); return; }
  const text = await file.text();
  const q = '?reason=' + encodeURIComponent($('csv-reason').value) + ($('csv-override').value ? '&overrideReason='
    + encodeURIComponent($('csv-override').value) : '');
  const res = await fetch('/api/admin/facilities/' + adminFacility + '/roster.csv' + q, { method: 'POST', credentials: 'same-origin',
    headers: { 'Content-Type': 'text/csv', [csrfHeader]: csrfToken, Accept: 'application/json' }, body: text });
  const d = await res.json().catch(() => ({ text: '导入失败' }));
  if (res.ok) {
    put($('csv-report'), el('p', { className: 'ok' }, '已导入 ' + d.lines + ' 行：新科室 ' + d.departmentsAdded + '，更新 '
      + d.departmentsUpdated + '，排班 ' + d.rosterLines + '，名称语音 ' + d.namesGenerated));
    loadFacility();
  } else if (d.problems) {
    put($('csv-report'), el('p', { className: 'refusal' }, '未导入：' + d.problems.length + ' 处问题'),
      el('table', { id: 'csv-problems' }, el('thead', {}, el('tr', {}, el('th', {}, '行'), el('th', {}, '列'), el('th', {}, '问题'))),
        el('tbody', {}, d.problems.map((p) => el('tr', {}, el('td', {}, p.line), el('td', {}, p.column), el('td', {}, p.text))))));
  } else message($('csv-report'), false, d.text || '导入失败');
});
