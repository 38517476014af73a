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
  if ($('admin-vaccines')) loadVaccines();
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
  $('csv-export-policies').href = '/api/admin/facilities/' + adminFacility + '/policies.csv';
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

function closureBody(cancelBookings) {
  return { serviceId: $('closure-service').value ? Number($('closure-service').value) : null, date: $('closure-date').value,
    period: $('closure-period').value || null, reason: $('closure-reason').value, cancelBookings };
}

$('closure-submit').addEventListener('click', async () => {
  const r = await api('POST', '/api/admin/facilities/' + adminFacility + '/closures', closureBody(false));
  message($('closure-result'), r.ok, r.ok ? '已停开（关闭已生成的时段 ' + r.data.sessionsClosed + ' 个）' : refusalText(r));
  if (r.status === 409 && r.data.cancelBookings) {
    const taken = r.data.sessions.reduce((n, s) => n + s.taken, 0);
    $('closure-result').append(el('p', {}, el('button', { id: 'closure-cancel-bookings', className: 'danger', onclick: async () => {
      if (!confirm('停诊：取消这 ' + taken + ' 个预约（医院原因），号源不再放出，并短信通知患者和家属最近可约的时段？')) return;
      const c = await api('POST', '/api/admin/facilities/' + adminFacility + '/closures', closureBody(true));
      if (c.ok) {
        put($('closure-result'), el('p', { className: 'ok', id: 'closure-cancelled' }, '已停诊并停开：取消预约 ' + c.data.bookingsCancelled
          + ' 个（已发短信，其中 ' + c.data.offered + ' 个提供了改约时段），60 岁以上 ' + c.data.elders + ' 人，请逐一回访。'),
          el('p', {}, el('a', { href: c.data.worklist }, '停诊与回访名单')));
        loadFacility();
      } else message($('closure-result'), false, refusalText(c));
    } }, '停诊：取消这些预约并通知患者')));
  }
  if (r.ok) loadFacility();
});

const CSV_PATH = {
  roster: () => '/api/admin/facilities/' + adminFacility + '/roster.csv',
  policies: () => '/api/admin/facilities/' + adminFacility + '/policies.csv',
  facilities: () => '/api/admin/facilities.csv',
  vaccines: () => '/api/admin/vaccines.csv',
};

$('csv-submit').addEventListener('click', async () => {
  const file = $('csv-file').files[0];
  if (!file) { message($('csv-report'), false, '请选择 CSV 文件'); return; }
  const kind = $('csv-kind').value;
  const text = await file.text();
  const q = '?reason=' + encodeURIComponent($('csv-reason').value) + ($('csv-override').value ? '&overrideReason='
    + encodeURIComponent($('csv-override').value) : '');
  const res = await fetch(CSV_PATH[kind]() + q, { method: 'POST', credentials: 'same-origin',
    headers: { 'Content-Type': 'text/csv', [csrfHeader]: csrfToken, Accept: 'application/json' }, body: text });
  const d = await res.json().catch(() => ({ text: '导入失败' }));
  if (res.ok) {
    const what = kind === 'roster' ? '新科室 ' + d.departmentsAdded + '，更新 ' + d.departmentsUpdated + '，排班 ' + d.rosterLines
      : '新增 ' + d.added + '，更新 ' + d.updated;
    put($('csv-report'), el('p', { className: 'ok', id: 'csv-done' }, '已导入 ' + d.lines + ' 行：' + what
      + (d.namesGenerated ? '，名称语音 ' + d.namesGenerated : '') + (d.overridden && d.overridden.length ? '；越权保存 ' + d.overridden.length + ' 处（理由已记录）' : '')));
    if (kind === 'facilities') loadAdmin(); else if (kind === 'vaccines') loadVaccines(); else loadFacility();
  } else if (d.problems) {
    put($('csv-report'), el('p', { className: 'refusal' }, '未导入：' + d.problems.length + ' 处问题'),
      el('table', { id: 'csv-problems' }, el('thead', {}, el('tr', {}, el('th', {}, '行'), el('th', {}, '列'), el('th', {}, '问题'))),
        el('tbody', {}, d.problems.map((p) => el('tr', {}, el('td', {}, p.line), el('td', {}, p.column), el('td', {}, p.text))))));
  } else message($('csv-report'), false, d.text || '导入失败');
});

// 疫苗品种 (ADMIN): a vaccine type and its schedule, created or edited here, checked by the server
let vaccineViews = [];

function scheduleText(v) {
  const parts = [v.vaccine.doses + ' 剂', '间隔 ' + v.vaccine.minIntervalDays + ' 天', v.vaccine.minAgeYears + '–' + v.vaccine.maxAgeYears + ' 岁'];
  if (v.seasonStart) parts.push('接种季 ' + v.seasonStart + ' 至 ' + v.seasonEnd);
  if (v.boosterAfterDays) parts.push('加强 ' + v.boosterAfterDays + ' 天后');
  for (const d of v.perDose) {
    parts.push('第' + d.number + '剂 ' + (d.minIntervalDays ?? '-') + '–' + (d.maxIntervalDays ?? '-') + ' 天'
      + (d.minAgeYears != null || d.maxAgeYears != null ? ' ' + (d.minAgeYears ?? '-') + '–' + (d.maxAgeYears ?? '-') + ' 岁' : ''));
  }
  return parts.join('，');
}

function doseRows(doses, perDose) {
  const rows = [];
  for (let k = 1; k <= Math.min(Math.max(Number(doses) || 1, 1), 10); k++) {
    const d = (perDose || []).find((x) => x.number === k) || {};
    const input = (key, v, disabled) => el('input', { type: 'number', min: 0, size: 5, 'data-dose': k, 'data-key': key,
      value: v ?? '', disabled });
    rows.push(el('tr', {}, el('td', {}, '第 ' + k + ' 剂'), el('td', {}, input('minIntervalDays', d.minIntervalDays, k === 1)),
      el('td', {}, input('maxIntervalDays', d.maxIntervalDays, k === 1)), el('td', {}, input('minAgeYears', d.minAgeYears)),
      el('td', {}, input('maxAgeYears', d.maxAgeYears))));
  }
  fill($('vac-dose-rules').tBodies[0], rows);
}

async function loadVaccines() {
  const r = await api('GET', '/api/admin/vaccines/schedules');
  if (!r.ok) return;
  vaccineViews = r.data;
  fill($('vaccine-list').tBodies[0], vaccineViews.map((v) => el('tr', { 'data-vaccine-code': v.vaccine.code },
    el('td', {}, v.vaccine.code), el('td', {}, v.vaccine.name), el('td', { className: 'schedule' }, scheduleText(v)),
    el('td', { className: 'spoken' }, v.speakable ? '已有' : '缺少：电话菜单不提供'),
    el('td', {}, el('button', { className: 'secondary', onclick: () => editVaccine(v.vaccine.id) }, '修改'), ' ',
      el('label', { className: 'upload' }, '上传名称录音 ', el('input', { type: 'file', accept: '.wav,audio/wav',
        onchange: (ev) => uploadVaccineName(v.vaccine.id, ev.target.files[0]) }))))));
  const keep = $('vac-select').value;
  $('vac-select').replaceChildren(el('option', { value: '' }, '（新建）'),
    ...vaccineViews.map((v) => el('option', { value: v.vaccine.id, selected: String(v.vaccine.id) === keep }, v.vaccine.name)));
  if (!keep) doseRows($('vac-doses').value, []);
}

async function uploadVaccineName(vaccineId, file) {
  if (!file) return;
  const why = prompt('上传名称录音的原因', '录制的疫苗名称');
  if (!why) return;
  const res = await fetch('/api/admin/vaccines/' + vaccineId + '/name/upload?reason=' + encodeURIComponent(why), {
    method: 'POST', credentials: 'same-origin', headers: { 'Content-Type': 'audio/wav', [csrfHeader]: csrfToken, Accept: 'application/json' },
    body: file });
  const data = await res.json().catch(() => ({}));
  message($('vac-result'), res.ok, res.ok ? '录音已转换并保存' : (data.text || '上传失败'));
  loadVaccines();
}

function editVaccine(id) {
  const v = vaccineViews.find((x) => x.vaccine.id === Number(id));
  $('vac-select').value = v ? String(v.vaccine.id) : '';
  $('vac-code').disabled = !!v;
  $('vac-code').value = v ? v.vaccine.code : '';
  $('vac-name').value = v ? v.vaccine.name : '';
  $('vac-doses').value = v ? v.vaccine.doses : 1;
  $('vac-interval').value = v ? v.vaccine.minIntervalDays : 0;
  $('vac-min-age').value = v ? v.vaccine.minAgeYears : 0;
  $('vac-max-age').value = v ? v.vaccine.maxAgeYears : 150;
  $('vac-season-start').value = (v && v.seasonStart) || '';
  $('vac-season-end').value = (v && v.seasonEnd) || '';
  $('vac-booster').value = (v && v.boosterAfterDays) || '';
  $('vac-bring').value = (v && v.vaccine.bringNote) || '';
  $('vac-tts').checked = !v || !v.speakable;
  doseRows($('vac-doses').value, v ? v.perDose : []);
}

if ($('admin-vaccines')) {
  $('vac-select').addEventListener('change', () => editVaccine($('vac-select').value));
  $('vac-doses').addEventListener('change', () => {
    const v = vaccineViews.find((x) => String(x.vaccine.id) === $('vac-select').value);
    doseRows($('vac-doses').value, v ? v.perDose : []);
  });
  $('vac-submit').addEventListener('click', async () => {
    const perDose = [];
    for (const tr of $('vac-dose-rules').tBodies[0].rows) {
      const d = {};
      let any = false;
      for (const i of tr.querySelectorAll('input')) {
        d.number = Number(i.dataset.dose);
        d[i.dataset.key] = i.value === '' ? null : Number(i.value);
        if (i.value !== '') any = true;
      }
      if (any) perDose.push(d);
    }
    const id = $('vac-select').value;
    const body = { code: $('vac-code').value, name: $('vac-name').value, doses: Number($('vac-doses').value),
      minIntervalDays: Number($('vac-interval').value), minAgeYears: Number($('vac-min-age').value),
      maxAgeYears: Number($('vac-max-age').value), seasonStart: $('vac-season-start').value || null,
      seasonEnd: $('vac-season-end').value || null, boosterAfterDays: $('vac-booster').value ? Number($('vac-booster').value) : null,
      bringNote: $('vac-bring').value || null, perDose, spokenText: $('vac-spoken').value || null,
      generateName: $('vac-tts').checked, reason: $('vac-reason').value };
    const r = await api('POST', '/api/admin/vaccines' + (id ? '/' + id : ''), body);
    if (r.ok) {
      message($('vac-result'), true, (id ? '已修改疫苗品种 ' : '已新建疫苗品种 ') + body.name
        + (r.data.nameProblem ? '；名称语音未生成：' + r.data.nameProblem : r.data.namePrompt ? '，名称语音已生成' : ''));
      if (!id) $('vac-select').value = '';
      await loadVaccines();
      if (id) editVaccine(id); else editVaccine('');
      loadFacility();
    } else {
      message($('vac-result'), false, (r.data && r.data.field ? '（' + r.data.field + '）' : '') + refusalText(r));
    }
  });
}
