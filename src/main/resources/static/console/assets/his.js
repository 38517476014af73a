// 医院系统接入 (ADMIN): hospital systems' FHIR clients, their tokens and push-signing keys (/api/his, docs/his.md).
// Uses console.js's helpers (el, $, api, put, fill, message, when). A secret is shown once, in #his-secret, and
// kept nowhere on the page after the next action.
'use strict';

function hisText(r) {
  return (r.data && r.data.text) || ('操作失败（' + r.status + '）');
}

function showSecrets(title, clientName, secret, pushSecret) {
  const box = $('his-secret');
  put(box, el('h3', {}, title + '：' + clientName),
    el('p', { className: 'note' }, '只显示这一次，关闭或刷新后无法再看到：请立即复制并交给对方系统的管理员。'),
    secret ? el('p', {}, '令牌（Authorization: Bearer …）：', el('code', { id: 'his-secret-token' }, secret)) : null,
    pushSecret ? el('p', {}, '推送签名密钥（X-Hotline-Signature）：', el('code', { id: 'his-secret-push' }, pushSecret)) : null,
    el('button', { className: 'secondary', id: 'his-secret-close', onclick: () => { box.replaceChildren(); box.hidden = true; } },
      '已复制，关闭'));
  box.hidden = false;
}

function tokenLine(c, t) {
  return el('li', { 'data-token-id': t.id, className: t.revokedAt ? 'revoked' : 'valid' },
    t.hint + ' 签发 ' + when(t.createdAt) + '（' + t.createdBy + '）',
    '，最近使用 ' + (t.lastUsedAt ? when(t.lastUsedAt) : '从未'),
    t.revokedAt ? '，已吊销 ' + when(t.revokedAt) + '（' + t.revokedBy + '）' : ' ',
    t.revokedAt ? null : el('button', { className: 'danger his-revoke', onclick: async () => {
      if (!confirm('吊销令牌 ' + t.hint + '？使用它的系统下一次请求即被拒绝（401）。')) return;
      const r = await api('POST', '/api/his/tokens/' + t.id + '/revoke');
      message($('his-action-result'), r.ok, r.ok ? '已吊销令牌 ' + t.hint : hisText(r));
      loadHis();
    } }, '吊销'));
}

async function loadHis() {
  const [r, facilities] = await Promise.all([api('GET', '/api/his/clients'), api('GET', '/api/admin/facilities')]);
  const names = new Map((facilities.ok ? facilities.data : []).map((f) => [f.id, f.name]));
  if (facilities.ok) {
    const ticked = new Set([...document.querySelectorAll('#his-facilities input:checked')].map((i) => i.value));
    $('his-facilities').replaceChildren(...facilities.data.map((f) => el('label', {},
      el('input', { type: 'checkbox', value: f.id, 'data-code': f.code, checked: ticked.has(String(f.id)) }), ' ' + f.name)));
  }
  if (!r.ok) { message($('his-action-result'), false, hisText(r)); return; }
  fill($('his-list').tBodies[0], r.data.map((v) => {
    const c = v.client;
    const valid = v.tokens.filter((t) => !t.revokedAt).length;
    return el('tr', { 'data-client': c.name, 'data-client-id': c.id },
      el('td', {}, c.name), el('td', {}, [...c.facilityIds].map((id) => names.get(id) || ('#' + id)).join('、')),
      el('td', {}, c.pushUrl || '（无）'), el('td', {}, (c.endpointHosts || []).join('、') || '（无）'),
      el('td', {}, c.ratePerMinute),
      el('td', {}, el('ul', { className: 'his-tokens' }, v.tokens.map((t) => tokenLine(c, t)))),
      el('td', { className: 'his-backlog' }, v.backlog ? '待推送 ' + v.backlog.pending + ' 条，最久 '
        + Math.round(v.backlog.oldestSeconds / 60) + ' 分钟，最多重试 ' + v.backlog.maxAttempts + ' 次'
        + (v.backlog.lastError ? '；最近失败：' + v.backlog.lastError : '') : '无'),
      el('td', {},
        el('button', { className: 'secondary his-issue', disabled: valid >= 2, title: valid >= 2 ? '已有两个有效令牌：请先吊销旧令牌' : null,
          onclick: async () => {
            const x = await api('POST', '/api/his/clients/' + c.id + '/tokens');
            if (x.ok) showSecrets('新令牌（旧令牌仍有效，对方换用后请吊销）', c.name, x.data.secret, null);
            message($('his-action-result'), x.ok, x.ok ? '已签发新令牌' : hisText(x));
            loadHis();
          } }, '签发新令牌（轮换）'), ' ',
        el('button', { className: 'secondary his-push-secret', onclick: async () => {
          if (!confirm('更换 ' + c.name + ' 的推送签名密钥？旧密钥立即停用，对方须换用新密钥验签。')) return;
          const x = await api('POST', '/api/his/clients/' + c.id + '/push-secret');
          if (x.ok) showSecrets('新推送签名密钥', c.name, null, x.data.pushSecret);
          message($('his-action-result'), x.ok, x.ok ? '已更换推送签名密钥' : hisText(x));
        } }, '更换推送密钥')));
  }));
}
window.loadHis = loadHis;

$('his-submit').addEventListener('click', async () => {
  const list = (s) => s.split(/[,，\s]+/).map((x) => x.trim()).filter((x) => x);
  const body = { name: $('his-name').value.trim(),
    facilityIds: [...document.querySelectorAll('#his-facilities input:checked')].map((i) => Number(i.value)),
    pushUrl: $('his-push-url').value.trim() || null, endpointHosts: list($('his-hosts').value),
    ratePerMinute: $('his-rate').value ? Number($('his-rate').value) : null };
  const r = await api('POST', '/api/his/clients', body);
  message($('his-result'), r.ok, r.ok ? '已新建接入系统 ' + r.data.client.name : hisText(r));
  if (r.ok) {
    showSecrets('新接入系统的令牌与推送签名密钥', r.data.client.name, r.data.secret, r.data.pushSecret);
    $('his-name').value = '';
    for (const i of document.querySelectorAll('#his-facilities input:checked')) i.checked = false;
    loadHis();
  }
});
