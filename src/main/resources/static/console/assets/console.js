// The agent console: one page, talks to /api with the session cookie and the CSRF header.
'use strict';

const role = document.body.dataset.role;
const pollMs = Number(document.body.dataset.pollMs) || 3000;
const csrfHeader = document.querySelector('meta[name=csrf-header]').content;
const csrfToken = document.querySelector('meta[name=csrf-token]').content;

const LABEL = {
  reason: { ASKED_FOR_PERSON: '按 0 要求人工', REPEATED_FAILURE: '多次未能操作', REFUSAL: '预约被拒，菜单无法继续',
            NOT_IN_MENU: '菜单无法办理', UNVERIFIED_CALLER: '来电号码无法确认，需人工查询预约',
            LOOKUP_LIMIT: '多次未查到预约，需人工核实', SYSTEM_FAULT: '系统故障，转人工', COMPLAINT: '来电投诉，请受理并记录' },
  pool: { PUBLIC: '普通号源', COMMUNITY: '社区号源', ONSITE: '现场号' },
  status: { ACTIVE: '有效', CANCELLED: '已取消', NO_SHOW: '爽约', ATTENDED: '已就诊' },
  callback: { OPEN: '待回拨', DONE: '已完成', GAVE_UP: '已放弃' },
  outcome: { REACHED: '已接通并处理', NO_ANSWER: '无人接听', BUSY: '占线', SILENCE: '接通无声', WRONG_NUMBER: '号码错误或停机' },
  sms: { PENDING: '排队待发', SENDING: '发送中', IN_DOUBT: '发送中（核对短信中心回执）', SUBMITTED: '已提交短信中心', DELIVERED: '已送达', FAILED: '发送失败',
         EXPIRED: '已过期', CANCELLED: '已撤销' },
  smsKind: { CONFIRMATION: '预约确认', FAMILY_COPY: '家属副本', CANCELLATION: '取消通知', REMINDER: '就诊提醒',
             NEXT_DOSE: '下一剂提醒', REPLY: '回复', AGENT_NOTICE: '坐席提醒' },
};

// ------------------------------------------------------------------ helpers

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

const $ = (id) => document.getElementById(id);

// replaceChildren without the nulls a conditional part leaves (it would print "null")
function put(target, ...children) {
  target.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
}

function when(iso) {
  if (!iso) return '';
  return iso.replace('T', ' ').slice(0, 16);
}

function clock(iso) {
  return iso ? iso.slice(11, 16) : '';
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
  let data = null;
  const text = await res.text();
  if (text) {
    try { data = JSON.parse(text); } catch (e) { data = { text }; }
  }
  if (res.status === 403) {
    // a stale CSRF token (the session ended) or a screen this role may not use
    data = { text: '无权操作，或登录已过期：请刷新页面后重试' };
  }
  return { ok: res.ok, status: res.status, data };
}

function fill(tbody, rows) {
  tbody.replaceChildren(...rows);
}

function message(target, ok, text) {
  target.replaceChildren(el('p', { className: ok ? 'ok' : 'refusal' }, text));
}

// ------------------------------------------------------------------ tabs

const tabs = [...document.querySelectorAll('#tabs button')];
function show(name) {
  for (const b of tabs) b.classList.toggle('active', b.dataset.tab === name);
  for (const s of document.querySelectorAll('main section')) s.classList.toggle('active', s.id === 'tab-' + name);
  if (name === 'audit') loadAudit();
  if (name === 'checkin') $('checkin-code').focus();
  if (name === 'users') loadUsers();
  if (name === 'callbacks') loadCallbacks();
  if (name === 'admin' && window.loadAdmin) window.loadAdmin();
  if (name === 'his' && window.loadHis) window.loadHis();
}
for (const b of tabs) b.addEventListener('click', () => show(b.dataset.tab));
// admin.js (loaded after this file) adds the catalogue screen; the first tab opens once every script ran
window.addEventListener('DOMContentLoaded', () => { if (tabs.length) show(tabs[0].dataset.tab); });

// ------------------------------------------------------------------ transfers (live)

const seenTransfers = new Set();
let firstTransferLoad = true;
let currentTransfer = null; // the call the agent is serving: { transferId, callerNumber, ... }

async function loadTransfers() {
  const r = await api('GET', '/api/transfers');
  if (!r.ok) return;
  let fresh = 0;
  const rows = r.data.map((v) => {
    const t = v.context;
    const isNew = !seenTransfers.has(t.transferId);
    if (isNew) { seenTransfers.add(t.transferId); if (!firstTransferLoad) fresh++; }
    return el('tr', { 'data-transfer-id': t.transferId, className: (v.pickedBy ? '' : 'new') +
                      (currentTransfer && currentTransfer.transferId === t.transferId ? ' selected' : '') },
      el('td', {}, when(t.createdAt)),
      el('td', {}, t.callerMasked || '未显示号码'),
      el('td', {}, (t.patientMasked || '未知') + (t.patientAge ? '，' + t.patientAge + ' 岁' : '')),
      el('td', {}, LABEL.reason[t.reason] || t.reason),
      el('td', {}, t.flow + ' / ' + t.node),
      el('td', {}, v.pickedBy || '—'),
      el('td', {}, el('button', { className: 'pickup', onclick: () => openTransfer(t.transferId, true) },
        v.pickedBy ? '查看' : '接听')));
  });
  fill($('transfer-list').tBodies[0], rows);
  firstTransferLoad = false;
  $('transfers-updated').textContent = '（' + new Date().toLocaleTimeString('zh-CN') + ' 更新）';
  const unpicked = r.data.filter((v) => !v.pickedBy).length;
  const badge = $('transfer-badge');
  if (badge) { badge.hidden = unpicked === 0; badge.textContent = unpicked; }
  if (fresh && document.title.indexOf('新来电') < 0) document.title = '（新来电）' + document.title;
}

async function openTransfer(transferId, pickUp) {
  if (pickUp && role === 'AGENT') await api('POST', '/api/transfers/' + encodeURIComponent(transferId) + '/pickup');
  const r = await api('GET', '/api/transfers/' + encodeURIComponent(transferId));
  if (!r.ok) return;
  const t = r.data.transfer.context;
  currentTransfer = t;
  document.title = document.title.replace('（新来电）', '');
  const choices = Object.entries(t.choices || {});
  const panel = $('transfer-detail');
  panel.hidden = false;
  put(panel,
    el('h3', {}, '来电上下文'),
    el('dl', { className: 'context', id: 'transfer-context' },
      el('dt', {}, '来电号码'), el('dd', { id: 'ctx-caller' }, t.callerNumber || '未显示号码'),
      el('dt', {}, '患者'), el('dd', { id: 'ctx-patient' }, (t.patientMasked || '未知') +
        (t.patientAge ? '，' + t.patientAge + ' 岁' : '')),
      el('dt', {}, '转人工原因'), el('dd', { id: 'ctx-reason' }, LABEL.reason[t.reason] || t.reason),
      el('dt', {}, '停在'), el('dd', { id: 'ctx-where' }, t.flow + ' / ' + t.node),
      el('dt', {}, '已选择'), el('dd', { id: 'ctx-choices' }, choices.length
        ? el('ul', {}, choices.map(([k, v]) => el('li', {}, k + '：' + v))) : '（无）'),
      el('dt', {}, '接听人'), el('dd', {}, r.data.transfer.pickedBy || '—')),
    el('h3', {}, '该号码未就诊的预约'),
    r.data.callerBookings.length
      ? el('ul', { id: 'ctx-bookings' }, r.data.callerBookings.map((b) => el('li', {},
          b.code + ' ' + b.facilityName + ' ' + b.serviceName + ' ' + when(b.startsAt))))
      : el('p', { className: 'muted' }, '（无）'),
    role === 'AGENT' ? el('button', { id: 'book-for-caller', onclick: () => bookForCaller(t) }, '为此来电预约') : null,
    role === 'AGENT' ? el('button', { className: 'secondary', onclick: () => {
      show('find'); $('find-phone').value = t.callerNumber || ''; findBookings(); } }, '查此号码的预约') : null);
  loadTransfers();
}

function bookForCaller(t) {
  $('book-calling').value = t.callerNumber || '';
  if (/^1[3-9]\d{9}$/.test(t.callerNumber || '') && !$('book-sms').value) $('book-sms').value = t.callerNumber;
  showBookContext();
  show('book');
}

function showBookContext() {
  const box = $('book-context');
  const parts = [];
  if (currentTransfer) {
    parts.push(el('p', {}, '正在为来电 ', el('b', {}, currentTransfer.callerMasked || '未显示号码'),
      ' 办理（转接编号 ', el('span', { id: 'book-transfer-id' }, currentTransfer.transferId), '）'));
  }
  if (moving) {
    parts.push(el('p', {}, '改约：原预约 ', el('b', { id: 'moving-code' }, moving.code), '（', moving.facilityName, ' ',
      moving.serviceName, ' ', when(moving.startsAt), '）。请选择新时段并输入患者身份证号。 ',
      el('button', { className: 'secondary', onclick: () => { moving = null; showBookContext(); } }, '放弃改约')));
  }
  box.hidden = parts.length === 0;
  box.replaceChildren(...parts);
  $('book-submit').textContent = moving ? '确认改约' : '确认预约';
}

// screen-pop (issue 18): Asterisk connected this agent's phone to a caller (AMI AgentConnect); open that call's
// context at once. The server counts it as this agent's pick-up and gives each pop once.
async function screenPop() {
  const r = await api('GET', '/api/transfers/pop');
  if (r.ok && r.data && r.data.transferId) {
    show('transfers');
    await openTransfer(r.data.transferId, false);
    const panel = $('transfer-detail');
    if (panel) panel.dataset.popped = r.data.transferId;
  }
}

if ($('transfer-list') && (role === 'AGENT' || role === 'SUPERVISOR')) {
  loadTransfers();
  setInterval(loadTransfers, pollMs);
  if (role === 'AGENT') { screenPop(); setInterval(screenPop, Math.min(pollMs, 1500)); }
}

// ------------------------------------------------------------------ slots and booking

let chosenSlot = null;
let moving = null; // the booking being moved, when in move mode

// Each list is loaded for what is selected above it; an answer that arrives after the agent chose
// something else is dropped, so a slow response never overwrites a newer choice.
async function loadFacilities() {
  const kind = $('book-kind').value;
  const r = await api('GET', '/api/catalogue/facilities?kind=' + kind);
  if (!r.ok || $('book-kind').value !== kind) return;
  $('book-facility').replaceChildren(...r.data.map((f) => el('option', { value: f.id }, f.name)));
  await loadServices();
}

async function loadServices() {
  const kind = $('book-kind').value;
  const f = $('book-facility').value;
  if (!f) { $('book-service').replaceChildren(); return loadDates(); }
  const r = await api('GET', '/api/catalogue/facilities/' + f + '/services?kind=' + kind);
  if (!r.ok || $('book-facility').value !== f || $('book-kind').value !== kind) return;
  $('book-service').replaceChildren(...r.data.map((s) => el('option', { value: s.id },
    s.name + (s.doctorName ? '（' + s.doctorName + '）' : ''))));
  await loadDates();
}

async function loadDates() {
  const s = $('book-service').value;
  if (!s) { $('book-date').replaceChildren(); return loadSlots(); }
  const r = await api('GET', '/api/catalogue/services/' + s + '/dates');
  if (!r.ok || $('book-service').value !== s) return;
  $('book-date').replaceChildren(...r.data.map((d) => el('option', { value: d }, d)));
  await loadSlots();
}

async function loadSlots() {
  const s = $('book-service').value;
  const d = $('book-date').value;
  chosenSlot = null;
  $('book-slot-chosen').textContent = '（未选）';
  $('book-submit').disabled = true;
  if (!s || !d) {
    fill($('slot-list').tBodies[0], [el('tr', {}, el('td', { colspan: 4, className: 'muted' }, '没有可约时段'))]);
    return;
  }
  const r = await api('GET', '/api/catalogue/services/' + s + '/slots?date=' + d);
  if (!r.ok || $('book-service').value !== s || $('book-date').value !== d) return;
  fill($('slot-list').tBodies[0], r.data.length ? r.data.map((o) => el('tr', { 'data-slot-id': o.slotId },
    el('td', {}, clock(o.startsAt) + '–' + clock(o.endsAt)),
    el('td', {}, LABEL.pool[o.pool] || o.pool),
    el('td', {}, o.free),
    el('td', {}, el('button', { className: 'secondary choose-slot', onclick: (ev) => chooseSlot(o, ev) }, '选择')))) :
    [el('tr', {}, el('td', { colspan: 4, className: 'muted' }, '没有可约时段'))]);
}

function chooseSlot(o, ev) {
  chosenSlot = o;
  for (const tr of $('slot-list').tBodies[0].rows) tr.classList.remove('selected');
  ev.target.closest('tr').classList.add('selected');
  $('book-slot-chosen').textContent = o.date + ' ' + clock(o.startsAt) + '–' + clock(o.endsAt) + '（' +
    (LABEL.pool[o.pool] || o.pool) + '）';
  $('book-submit').disabled = false;
}

function bookingCard(b, title) {
  return el('div', { className: 'panel', id: 'booking-' + b.id },
    el('p', { className: 'ok' }, title, ' 预约码 ', el('span', { className: 'code booking-code' }, b.code)),
    el('p', {}, b.facilityName + ' ' + b.serviceName + ' ' + when(b.startsAt) + '–' + clock(b.endsAt) + '（' +
      (LABEL.pool[b.pool] || b.pool) + '），患者 ' + b.patientMasked),
    el('p', {}, '短信：' + (b.smsPhone || '无') + (b.familyPhones.length ? '；家属：' + b.familyPhones.join('、') : '')),
    el('div', { className: 'sms-status', 'data-booking-id': b.id }, el('span', { className: 'muted' }, '短信状态查询中…')));
}

async function submitBooking() {
  if (!chosenSlot) return;
  const result = $('book-result');
  $('book-submit').disabled = true;
  const transferId = currentTransfer ? currentTransfer.transferId : null;
  let r;
  if (moving) {
    r = await api('POST', '/api/bookings/' + moving.id + '/move', { slotId: chosenSlot.slotId,
      pool: $('book-pool').value || null, residentId: $('book-resident-id').value, transferId });
  } else {
    r = await api('POST', '/api/bookings', {
      slotId: chosenSlot.slotId, pool: $('book-pool').value || null, residentId: $('book-resident-id').value,
      smsPhone: $('book-sms').value, familyPhones: $('book-family').value.split(/[,，、\s]+/).filter(Boolean),
      callingNumber: $('book-calling').value, transferId });
  }
  $('book-submit').disabled = false;
  if (r.ok && r.data.ok) {
    const card = bookingCard(r.data.booking, moving ? '改约成功（原预约 ' + r.data.previous.code + ' 已取消）。' : '预约成功。');
    result.replaceChildren(card);
    // the next booking is for someone else until the agent types otherwise
    $('book-resident-id').value = '';
    $('book-family').value = '';
    moving = null;
    showBookContext();
    loadSlots();
    pollSms(r.data.booking.id, card.querySelector('.sms-status'), 10);
  } else {
    const text = (r.data && r.data.text) || ('操作失败（' + r.status + '）');
    result.replaceChildren(el('p', { className: 'refusal', id: 'book-refusal' }, text));
    if (moving && r.data && r.data.booking) {
      result.append(el('p', {}, '患者现有预约：' + r.data.booking.code));
    }
  }
}

async function showSms(bookingId, target) {
  const r = await api('GET', '/api/bookings/' + bookingId + '/sms');
  if (!r.ok) { target.replaceChildren(el('span', { className: 'refusal' }, '短信状态无法查询')); return null; }
  if (!r.data.messages.length) {
    target.replaceChildren(el('span', { className: 'muted' }, '短信状态：没有短信'));
    return r.data;
  }
  target.replaceChildren(el('table', { className: 'sms-lines' },
    el('thead', {}, el('tr', {}, el('th', {}, '收信人'), el('th', {}, '类型'), el('th', {}, '状态'), el('th', {}, '时间'))),
    el('tbody', {}, r.data.messages.map((m) => el('tr', { 'data-sms-status': m.status, 'data-sms-kind': m.kind },
      el('td', {}, m.recipientMasked), el('td', {}, LABEL.smsKind[m.kind] || m.kind),
      el('td', { className: 'sms-state' }, (LABEL.sms[m.status] || m.status) +
        (m.lastError && !['DELIVERED'].includes(m.status) ? '（' + m.lastError + '）' : '')),
      el('td', {}, when(m.updatedAt)))))));
  return r.data;
}

async function pollSms(bookingId, target, times) {
  const data = await showSms(bookingId, target);
  const settled = data && data.messages.every((m) => m.done);
  if (!settled && times > 1) setTimeout(() => pollSms(bookingId, target, times - 1), 2000);
}

if ($('book-kind')) {
  $('book-kind').addEventListener('change', loadFacilities);
  $('book-facility').addEventListener('change', loadServices);
  $('book-service').addEventListener('change', loadDates);
  $('book-date').addEventListener('change', loadSlots);
  $('book-submit').addEventListener('click', submitBooking);
  loadFacilities();
}

// ------------------------------------------------------------------ find, cancel, move

async function findBookings() {
  const r = await api('POST', '/api/bookings/search', { code: $('find-code').value, phone: $('find-phone').value,
    residentId: $('find-resident-id').value });
  if (!r.ok) return;
  $('find-result').replaceChildren();
  fill($('booking-list').tBodies[0], r.data.length ? r.data.map((b) => {
    const sms = el('div', { className: 'sms-status' });
    return el('tr', { 'data-booking-id': b.id },
      el('td', { className: 'booking-code' }, b.code),
      el('td', {}, LABEL.status[b.status] || b.status),
      el('td', {}, b.facilityName + ' ' + b.serviceName),
      el('td', {}, when(b.startsAt) + '（' + (LABEL.pool[b.pool] || b.pool) + '）'),
      el('td', {}, b.patientMasked),
      el('td', {}, (b.smsPhone || '无') + (b.familyPhones.length ? ' / ' + b.familyPhones.join('、') : ''), sms),
      el('td', {}, b.status === 'ACTIVE' ? [
        el('button', { className: 'danger cancel-booking', onclick: () => cancelBooking(b) }, '取消'), ' ',
        el('button', { className: 'secondary move-booking', onclick: () => startMove(b) }, '改约'), ' '] : null,
        el('button', { className: 'secondary', onclick: () => showSms(b.id, sms) }, '短信状态')));
  }) : [el('tr', {}, el('td', { colspan: 7, className: 'muted' }, '没有找到预约'))]);
}

async function cancelBooking(b) {
  if (!confirm('确定取消预约 ' + b.code + '？')) return;
  const r = await api('POST', '/api/bookings/' + b.id + '/cancel',
    { transferId: currentTransfer ? currentTransfer.transferId : null });
  if (r.ok && r.data.ok) {
    message($('find-result'), true, '已取消预约 ' + b.code);
    findBookings().then(() => message($('find-result'), true, '已取消预约 ' + b.code));
  } else {
    message($('find-result'), false, (r.data && r.data.text) || '取消失败');
  }
}

function startMove(b) {
  moving = b;
  showBookContext();
  show('book');
}

if ($('find-submit')) $('find-submit').addEventListener('click', findBookings);

// ------------------------------------------------------------------ call-backs

let openCallback = null;

async function loadCallbacks() {
  if (!$('callback-list')) return;
  const status = $('callback-status').value;
  const r = await api('GET', '/api/callbacks?status=' + status);
  if (!r.ok) return;
  fill($('callback-list').tBodies[0], r.data.length ? r.data.map((v) => {
    const c = v.request;
    return el('tr', { 'data-callback-id': c.id, className: openCallback === c.id ? 'selected' : '' },
      el('td', {}, when(c.createdAt)),
      el('td', { className: 'callback-number' }, c.callerNumber),
      el('td', {}, (c.patientMasked || '未知') + (c.patientAge ? '，' + c.patientAge + ' 岁' : '')),
      el('td', {}, c.reason),
      el('td', { className: 'attempt-count' }, v.attempts.length),
      el('td', {}, el('button', { className: 'open-callback', onclick: () => showCallback(c.id) }, '处理')));
  }) : [el('tr', {}, el('td', { colspan: 6, className: 'muted' }, '没有' + LABEL.callback[status] + '的回拨'))]);
  if (status === 'OPEN') {
    const badge = $('callback-badge');
    if (badge) { badge.hidden = r.data.length === 0; badge.textContent = r.data.length; }
  }
}

async function showCallback(id) {
  openCallback = id;
  const r = await api('GET', '/api/callbacks/' + id);
  if (!r.ok) return;
  renderCallback(r.data);
  loadCallbacks();
}

function renderCallback(v) {
  const c = v.request;
  const panel = $('callback-detail');
  panel.hidden = false;
  const note = el('input', { id: 'attempt-note', size: 30 });
  const outcome = el('select', { id: 'attempt-outcome' },
    Object.entries(LABEL.outcome).map(([k, t]) => el('option', { value: k }, t)));
  const result = el('div', { id: 'attempt-result' });
  put(panel,
    el('h3', {}, '回拨 ', el('span', { id: 'callback-number' }, c.callerNumber), '（',
      el('span', { id: 'callback-state' }, LABEL.callback[c.status] || c.status), '）'),
    el('p', {}, '请求原因：' + c.reason + (c.transferId ? '；转接编号 ' + c.transferId : '')),
    el('table', { id: 'attempt-list' },
      el('thead', {}, el('tr', {}, el('th', {}, '时间'), el('th', {}, '坐席'), el('th', {}, '结果'), el('th', {}, '备注'))),
      el('tbody', {}, v.attempts.length ? v.attempts.map((a) => el('tr', {}, el('td', {}, when(a.at)),
        el('td', {}, a.username), el('td', { className: 'attempt-outcome' }, LABEL.outcome[a.outcome] || a.outcome),
        el('td', {}, a.note || ''))) : el('tr', {}, el('td', { colspan: 4, className: 'muted' }, '还没有回拨记录')))),
    c.status === 'OPEN' && role === 'AGENT' ? el('div', { className: 'row' },
      el('label', {}, '本次结果 ', outcome), el('label', {}, '备注 ', note),
      el('label', {}, '\u00a0', el('button', { id: 'attempt-submit', onclick: async () => {
        const r = await api('POST', '/api/callbacks/' + c.id + '/attempts', { outcome: outcome.value, note: note.value });
        if (r.ok) { renderCallback(r.data); loadCallbacks(); message($('attempt-result'), true, '已记录'); }
        else message(result, false, (r.data && r.data.text) || '记录失败');
      } }, '记录本次回拨'))) : null,
    result);
}

async function loadSmsNotices() {
  const r = await api('GET', '/api/sms/notices');
  if (!r.ok) return;
  fill($('notice-list').tBodies[0], r.data.length ? r.data.map((n) => el('tr', {},
    el('td', {}, when(n.createdAt)), el('td', {}, n.phoneMasked), el('td', {}, n.text))) :
    [el('tr', {}, el('td', { colspan: 3, className: 'muted' }, '近 24 小时没有未送达的短信'))]);
}

if ($('callback-status')) {
  $('callback-status').addEventListener('change', loadCallbacks);
  loadCallbacks();
  loadSmsNotices();
  setInterval(() => { loadCallbacks(); loadSmsNotices(); }, pollMs * 2);
}

// ------------------------------------------------------------------ audit and users

async function loadAudit() {
  const q = new URLSearchParams({ limit: 200 });
  if ($('audit-user').value) q.set('username', $('audit-user').value);
  if ($('audit-transfer').value) q.set('transferId', $('audit-transfer').value);
  const r = await api('GET', '/api/audit?' + q);
  if (!r.ok) return;
  fill($('audit-list').tBodies[0], r.data.map((a) => el('tr', {},
    el('td', {}, when(a.at)), el('td', {}, a.username), el('td', {}, a.action), el('td', {}, a.outcome),
    el('td', {}, a.transferId || ''), el('td', {}, a.bookingCode || ''), el('td', {}, a.detail))));
}
if ($('audit-submit')) $('audit-submit').addEventListener('click', loadAudit);

async function loadUsers() {
  const [r, centres, hospitals, clinics, phones] = await Promise.all([api('GET', '/api/users'),
    api('GET', '/api/catalogue/community-centres'), api('GET', '/api/catalogue/facilities?kind=OUTPATIENT'),
    api('GET', '/api/catalogue/facilities?kind=VACCINE'), api('GET', '/api/users/phones')]);
  if (!r.ok) return;
  // screen-pop (issue 18): which queue member's phone each agent answers on
  const phoneOf = new Map((phones.ok && Array.isArray(phones.data) ? phones.data : [])
    .map((p) => [p.username, p.memberInterface]));
  if (centres.ok) {
    // community centres for doctors; hospitals and vaccination clinics for front desks
    const seen = new Set();
    const all = [...centres.data, ...(hospitals.ok ? hospitals.data : []), ...(clinics.ok ? clinics.data : [])]
      .filter((f) => !seen.has(f.id) && seen.add(f.id));
    $('user-facility').replaceChildren(el('option', { value: '' }, '（无）'),
      ...all.map((f) => el('option', { value: f.id }, f.name)));
  }
  fill($('user-list').tBodies[0], r.data.map((u) => el('tr', { 'data-username': u.username },
    el('td', {}, u.username), el('td', {}, u.displayName), el('td', {}, u.role), el('td', {}, u.facilityName || ''),
    el('td', {}, u.enabled ? '启用' : '停用'),
    el('td', {},
      el('button', { className: 'secondary', onclick: async () => {
        const res = await api('POST', '/api/users/' + encodeURIComponent(u.username) + '/enabled', { enabled: !u.enabled });
        if (!res.ok) message($('user-result'), false, res.data.text); else loadUsers();
      } }, u.enabled ? '停用' : '启用'), ' ',
      el('button', { className: 'secondary', onclick: async () => {
        const pw = prompt('新密码（至少 10 个字符）');
        if (!pw) return;
        const res = await api('POST', '/api/users/' + encodeURIComponent(u.username) + '/password', { password: pw });
        message($('user-result'), res.ok, res.ok ? '密码已重置' : res.data.text);
      } }, '重置密码'),
      u.role === 'AGENT' ? ' ' : null,
      u.role === 'AGENT' ? el('button', { className: 'secondary phone', onclick: async () => {
        const iface = prompt('该坐席使用的话机（队列成员，如 PJSIP/agent8001；留空解除绑定）', phoneOf.get(u.username) || '');
        if (iface === null) return;
        const res = await api('POST', '/api/users/' + encodeURIComponent(u.username) + '/phone', { memberInterface: iface });
        if (!res.ok) message($('user-result'), false, res.data.text); else loadUsers();
      } }, '话机：' + (phoneOf.get(u.username) || '未绑定')) : null))));
}

if ($('user-submit')) {
  $('user-submit').addEventListener('click', async () => {
    const r = await api('POST', '/api/users', { username: $('user-username').value, password: $('user-password').value,
      displayName: $('user-display').value, role: $('user-role').value,
      facilityId: $('user-facility').value ? Number($('user-facility').value) : null });
    message($('user-result'), r.ok, r.ok ? '已新建用户 ' + r.data.username : ((r.data && r.data.text) || '新建失败'));
    if (r.ok) { $('user-password').value = ''; loadUsers(); }
  });
}

// ------------------------------------------------------------------ front desk: check-in

async function checkIn() {
  const code = $('checkin-code').value.trim();
  const r = await api('POST', '/api/check-ins', { code });
  const b = r.data && r.data.booking;
  const what = b ? '：' + b.patientMasked + '，' + b.serviceName + '，' + clock(b.startsAt) + '–' + clock(b.endsAt) : '';
  message($('checkin-result'), r.ok, (r.ok ? '已签到 ' + code : ((r.data && r.data.text) || '签到失败')) + what);
  if (r.ok) {
    $('checkin-list').tBodies[0].prepend(el('tr', { 'data-code': b.code },
      el('td', {}, new Date().toTimeString().slice(0, 5)), el('td', {}, b.code), el('td', {}, b.patientMasked),
      el('td', {}, b.serviceName), el('td', {}, clock(b.startsAt) + '–' + clock(b.endsAt))));
    $('checkin-code').value = '';
  }
  $('checkin-code').focus();
}
if ($('checkin-submit')) {
  $('checkin-submit').addEventListener('click', checkIn);
  $('checkin-code').addEventListener('keydown', (e) => { if (e.key === 'Enter') checkIn(); });
}
