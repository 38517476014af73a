// 停诊与回访: cancel a session or a day (administrators), phone the elders it affected (administrators, supervisors).
'use strict';

const csrfHeader = document.querySelector('meta[name=csrf-header]').content;
const csrfToken = document.querySelector('meta[name=csrf-token]').content;
const mayCancel = document.body.dataset.mayCancel === 'true';

const PERIOD = { MORNING: '上午', AFTERNOON: '下午', EVENING: '晚上' };
const OFFER = { OPEN: '已发短信，待回复', MOVED: '已回复改约', NONE: '无可约时段', WITHDRAWN: '已撤回' };
const OUTCOME = { REACHED: '已告知', MOVED: '已改约', CANCELLED: '不再预约', NO_ANSWER: '无人接听' };

const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'className') e.className = v;
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

function when(iso) {
  return iso ? iso.replace('T', ' ').slice(0, 16) : '';
}

async function api(method, path, body) {
  const opts = { method, headers: { Accept: 'application/json' }, credentials: 'same-origin' };
  if (body !== undefined) {
    opts.headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body);
  }
  if (method !== 'GET') opts.headers[csrfHeader] = csrfToken;
  const res = await fetch(path, opts);
  if (res.status === 401) {
    location.href = '/login';
    throw new Error('not logged in');
  }
  const text = await res.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch (e) { data = { text }; }
  }
  return { ok: res.ok, status: res.status, data };
}

// the facilities this user may cancel at (an administrator: every one; a hospital's administrator: their own),
// from the administrators' API, which both roles reach (the agents' /api/catalogue is not theirs)
async function loadFacilities() {
  const r = await api('GET', '/api/admin/facilities');
  $('closure-facility').replaceChildren(...(r.data || []).map((f) => el('option', { value: f.id }, f.name)));
  await loadServices();
}

async function loadServices() {
  const id = $('closure-facility').value;
  const options = [el('option', { value: '' }, '全部科室')];
  if (id) {
    const r = await api('GET', '/api/admin/facilities/' + id);
    for (const s of (r.data && r.data.services) || []) options.push(el('option', { value: s.service.id }, s.service.name));
  }
  $('closure-service').replaceChildren(...options);
}

async function submitClosure() {
  const body = {
    facilityId: Number($('closure-facility').value),
    serviceId: $('closure-service').value ? Number($('closure-service').value) : null,
    date: $('closure-date').value || null,
    period: $('closure-period').value || null,
    reason: $('closure-reason').value,
  };
  const what = $('closure-facility').selectedOptions[0].textContent + ' ' + $('closure-service').selectedOptions[0].textContent
    + ' ' + (body.date || '') + ' ' + (body.period ? PERIOD[body.period] : '全天');
  if (!confirm('确定停诊：' + what + '？该出诊的全部预约将被取消。')) return;
  const r = await api('POST', '/api/closures', body);
  const out = $('closure-result');
  if (r.ok) {
    const d = r.data;
    out.replaceChildren(el('p', { className: 'ok', id: 'closure-done' }, '已停诊：出诊 ' + d.sessions + ' 个，时段 ' + d.slots
      + ' 个；取消预约 ' + d.bookingsCancelled + ' 个（已发短信，其中 ' + d.offered + ' 个提供了改约时段），60 岁以上 '
      + d.elders + ' 人，请在下方逐一回访。'));
  } else {
    out.replaceChildren(el('p', { className: 'refusal' }, (r.data && r.data.text) || ('未能停诊（' + r.status + '）')));
  }
  await refresh();
}

async function recordCall(noticeId, outcome, noteInput) {
  const r = await api('POST', '/api/closures/notices/' + noticeId + '/calls', { outcome, note: noteInput.value });
  if (!r.ok) alert((r.data && r.data.text) || '未能记录');
  await refresh();
}

function elderRow(a) {
  const phones = [a.smsPhone ? '短信 ' + a.smsPhone : null, ...(a.familyPhones || []).map((p) => '家属 ' + p),
    a.callingNumber ? '来电 ' + a.callingNumber : null].filter(Boolean);
  const offer = a.offerStatus === 'MOVED' ? '已改约到 ' + when(a.offerStartsAt) + '（新预约码 ' + a.movedCode + '）'
    : (OFFER[a.offerStatus] || a.offerStatus) + (a.offerStatus === 'OPEN' ? '：' + when(a.offerStartsAt) : '');
  const last = a.lastOutcome ? OUTCOME[a.lastOutcome] + '（' + when(a.lastCallAt) + ' ' + a.lastCallBy + '）' : '未回访';
  const note = el('input', { size: 12, maxlength: 200, placeholder: '备注' });
  const done = a.lastOutcome && a.lastOutcome !== 'NO_ANSWER';
  return el('tr', { className: done ? 'muted' : null, 'data-notice': a.noticeId },
    el('td', {}, when(a.startsAt)),
    el('td', {}, a.facilityName + ' ' + a.serviceName),
    el('td', {}, a.patientMasked + '，' + a.age + '岁'),
    el('td', {}, phones.map((p) => el('div', {}, p))),
    el('td', {}, offer),
    el('td', {}, last + (a.calls > 1 ? '，共 ' + a.calls + ' 次' : '')),
    el('td', {}, note, Object.keys(OUTCOME).map((o) =>
      el('button', { className: 'secondary', 'data-outcome': o, onclick: () => recordCall(a.noticeId, o, note) }, OUTCOME[o]))));
}

async function refresh() {
  const elders = await api('GET', '/api/closures/elders');
  $('elder-list').tBodies[0].replaceChildren(...(elders.data || []).map(elderRow));
  const list = await api('GET', '/api/closures');
  $('closure-list').tBodies[0].replaceChildren(...(list.data || []).map((c) => el('tr', {},
    el('td', {}, c.date), el('td', {}, c.facilityName + ' ' + (c.serviceName || '全部科室')),
    el('td', {}, c.period ? PERIOD[c.period] : '全天'), el('td', {}, c.reason), el('td', {}, c.actor),
    el('td', {}, c.bookingsCancelled), el('td', {}, c.moved), el('td', {}, when(c.createdAt)))));
}

if (mayCancel) {
  $('closure-facility').addEventListener('change', loadServices);
  $('closure-submit').addEventListener('click', submitClosure);
  loadFacilities();
}
refresh();
