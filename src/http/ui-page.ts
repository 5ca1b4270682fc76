/**
 * The live page, self-contained (no build step, no CDN): it loads the newest invocations from
 * `GET /invocations`, then applies every event of `GET /_emulator/events` as it arrives.
 */
export const UI_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>restate-emulator</title>
<style>
  :root { --bg:#0f1115; --panel:#171a21; --text:#e6e6e6; --muted:#8a93a6; --line:#262b36; }
  * { box-sizing: border-box; }
  body { margin:0; font:14px/1.4 system-ui, -apple-system, Segoe UI, Roboto, sans-serif; background:var(--bg); color:var(--text); }
  header { display:flex; align-items:center; gap:16px; padding:12px 20px; border-bottom:1px solid var(--line); }
  header h1 { font-size:16px; margin:0; font-weight:600; }
  #conn { font-size:12px; color:var(--muted); }
  #conn.live { color:#3ecf8e; }
  .counts { display:flex; gap:10px; padding:12px 20px; flex-wrap:wrap; }
  .count { background:var(--panel); border:1px solid var(--line); border-radius:8px; padding:8px 12px; min-width:110px; cursor:pointer; }
  .count.active { outline:2px solid #6ea8fe; }
  .count b { display:block; font-size:20px; }
  .count span { color:var(--muted); font-size:12px; }
  main { padding:0 20px 20px; }
  table { width:100%; border-collapse:collapse; background:var(--panel); border-radius:8px; overflow:hidden; }
  th, td { text-align:left; padding:6px 10px; border-bottom:1px solid var(--line); white-space:nowrap; }
  th { color:var(--muted); font-weight:500; font-size:12px; }
  td.id { font-family:ui-monospace, monospace; font-size:12px; }
  td.fail { color:#f28b82; max-width:360px; overflow:hidden; text-overflow:ellipsis; }
  .status { display:inline-block; padding:1px 8px; border-radius:10px; font-size:12px; }
  .s-pending { background:#3a3f4b; } .s-ready { background:#2d4a7a; } .s-running { background:#1f6f4a; }
  .s-backing-off { background:#8a5a00; } .s-suspended { background:#5b3f8a; } .s-completed { background:#2f333d; }
  .r-failure { color:#f28b82; } .r-success { color:#3ecf8e; }
  tr.flash td { animation: flash 0.8s ease-out; }
  @keyframes flash { from { background:#2a3550; } to { background:transparent; } }
</style>
</head>
<body>
<header><h1>restate-emulator</h1><span id="conn">connecting…</span><span id="clock" style="color:var(--muted);font-size:12px"></span></header>
<section class="counts" id="counts"></section>
<main>
<table>
<thead><tr><th>id</th><th>target</th><th>status</th><th>retries</th><th>result</th><th>last failure</th><th>created</th><th>modified</th></tr></thead>
<tbody id="rows"></tbody>
</table>
</main>
<script>
(() => {
  const STATUSES = ['pending','ready','running','backing-off','suspended','completed'];
  const MAX_ROWS = 200;
  const token = new URLSearchParams(location.search).get('token');
  const auth = token ? '&access_token=' + encodeURIComponent(token) : '';
  const byId = new Map();
  let filter = null;
  const countsEl = document.getElementById('counts');
  const rowsEl = document.getElementById('rows');
  const connEl = document.getElementById('conn');
  const clockEl = document.getElementById('clock');
  const counts = Object.fromEntries(STATUSES.map(s => [s, 0]));

  function esc(s) { return String(s ?? '').replace(/[&<>"']/g, c => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'}[c])); }
  function renderCounts() {
    countsEl.innerHTML = STATUSES.map(s =>
      '<div class="count' + (filter === s ? ' active' : '') + '" data-status="' + s + '" data-testid="count-' + s + '"><b>' + counts[s] + '</b><span>' + s + '</span></div>').join('');
  }
  countsEl.addEventListener('click', e => {
    const el = e.target.closest('.count');
    if (!el) return;
    filter = filter === el.dataset.status ? null : el.dataset.status;
    renderCounts(); renderRows();
  });
  function row(inv, flash) {
    const result = inv.completion_result ? '<span class="r-' + inv.completion_result + '">' + esc(inv.completion_result) + '</span>' : '';
    return '<tr data-id="' + esc(inv.id) + '"' + (flash ? ' class="flash"' : '') + '><td class="id">' + esc(inv.id) + '</td><td>' + esc(inv.target) +
      '</td><td><span class="status s-' + esc(inv.status) + '">' + esc(inv.status) + (inv.paused ? ' (paused)' : '') + '</span></td><td>' + esc(inv.retry_count ?? 0) +
      '</td><td>' + result + '</td><td class="fail" title="' + esc(inv.completion_failure || inv.last_failure || '') + '">' + esc(inv.completion_failure || inv.last_failure || '') +
      '</td><td>' + esc((inv.created_at || '').slice(11, 23)) + '</td><td>' + esc((inv.modified_at || '').slice(11, 23)) + '</td></tr>';
  }
  let flashId = null;
  function renderRows() {
    const list = [...byId.values()].filter(i => !filter || i.status === filter)
      .sort((a, b) => (b.created_at || '').localeCompare(a.created_at || '')).slice(0, MAX_ROWS);
    rowsEl.innerHTML = list.map(i => row(i, i.id === flashId)).join('');
  }
  let pending = false;
  function schedule() { if (!pending) { pending = true; requestAnimationFrame(() => { pending = false; renderCounts(); renderRows(); }); } }
  async function loadCounts() {
    const r = await fetch('_emulator/stats' + (token ? '?access_token=' + encodeURIComponent(token) : ''));
    if (r.ok) { const s = await r.json(); Object.assign(counts, s.by_status); }
  }
  async function load() {
    const r = await fetch('invocations?limit=' + MAX_ROWS);
    const body = await r.json();
    for (const inv of body.invocations) byId.set(inv.id, inv);
    await loadCounts();
    schedule();
  }
  function apply(ev) {
    const inv = ev.invocation;
    const prev = byId.get(inv.id);
    if (ev.type === 'purged') {
      if (prev || ev.invocation.status) counts[ev.invocation.status] = Math.max(0, counts[ev.invocation.status] - 1);
      byId.delete(inv.id);
    } else {
      if (ev.type === 'created') counts[inv.status]++;
      else if (ev.type === 'transition') { counts[ev.from] = Math.max(0, counts[ev.from] - 1); counts[ev.to]++; }
      byId.set(inv.id, inv);
      flashId = inv.id;
    }
    if (byId.size > MAX_ROWS * 2) {
      const oldest = [...byId.values()].sort((a, b) => (a.created_at || '').localeCompare(b.created_at || '')).slice(0, byId.size - MAX_ROWS);
      for (const o of oldest) byId.delete(o.id);
    }
    clockEl.textContent = ev.at ? 'emulated time ' + ev.at : '';
    schedule();
  }
  function connect(lastId) {
    const es = new EventSource('_emulator/events?' + (lastId ? 'last_event_id=' + lastId : '') + auth);
    es.onopen = () => { connEl.textContent = 'live'; connEl.className = 'live'; };
    es.onerror = () => { connEl.textContent = 'reconnecting…'; connEl.className = ''; };
    for (const type of ['created', 'transition', 'updated', 'purged']) {
      es.addEventListener(type, m => apply(JSON.parse(m.data)));
    }
  }
  load().then(() => connect()).catch(err => { connEl.textContent = 'error: ' + err.message; });
})();
</script>
</body>
</html>
`
