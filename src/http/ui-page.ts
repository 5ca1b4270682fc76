/**
 * The live page, self-contained (no build step, no CDN). It takes the counts and the last event
 * id from `GET /_emulator/stats`, then the newest invocations from `GET /invocations`, then
 * resumes `GET /_emulator/events` from that id, so no event is missed or counted twice. Events
 * are queued and applied once per animation frame; the table shows a capped number of rows and
 * reuses their elements. A dropped connection, a `reset` or a `gap` event starts it over.
 * `?token=` is sent as a bearer token (and as `access_token` for the event stream).
 *
 * Written as a raw string: the script uses no template literals and no backslash escapes
 * need doubling.
 */
export const UI_PAGE = String.raw`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="dark">
<title>restate-emulator · live invocations</title>
<link rel="icon" href="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'%3E%3Crect width='32' height='32' rx='8' fill='%237c9cff'/%3E%3Cpath d='M9 22V10h7a4 4 0 0 1 0 8h-7m7 0 5 4' stroke='%230b0d12' stroke-width='3' fill='none' stroke-linecap='round' stroke-linejoin='round'/%3E%3C/svg%3E">
<style>
  :root {
    --bg: #0b0d12; --panel: #12151c; --panel2: #181c26; --line: #232836; --line2: #2d3344;
    --text: #e7e9ee; --muted: #8b93a7; --faint: #5d6478; --accent: #7c9cff;
    --ok: #34d399; --bad: #f87171; --warn: #fbbf24;
    --c-pending: #9aa3b5; --c-ready: #60a5fa; --c-running: #34d399;
    --c-backing-off: #fbbf24; --c-suspended: #a78bfa; --c-completed: #64748b;
    --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace;
  }
  * { box-sizing: border-box; }
  html, body { height: 100%; }
  body { margin: 0; font: 13px/1.45 Inter, system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; background: var(--bg); color: var(--text); display: flex; flex-direction: column; }
  button { font: inherit; color: inherit; }
  .num { font-variant-numeric: tabular-nums; }

  header { display: flex; align-items: center; gap: 18px; padding: 12px 24px; border-bottom: 1px solid var(--line); background: linear-gradient(180deg, #10131a, var(--bg)); flex-wrap: wrap; }
  .brand { display: flex; align-items: center; gap: 10px; }
  .brand svg { width: 26px; height: 26px; }
  .brand h1 { font-size: 15px; margin: 0; font-weight: 650; letter-spacing: .2px; }
  .brand small { display: block; color: var(--muted); font-size: 11px; font-weight: 400; }
  .pill { display: inline-flex; align-items: center; gap: 7px; padding: 4px 10px; border-radius: 999px; border: 1px solid var(--line2); background: var(--panel); font-size: 12px; color: var(--muted); white-space: nowrap; }
  .pill .dot { width: 8px; height: 8px; border-radius: 50%; background: var(--faint); }
  #conn[data-state="live"] { color: var(--ok); }
  #conn[data-state="live"] .dot { background: var(--ok); box-shadow: 0 0 0 0 rgba(52, 211, 153, .6); animation: pulse 2s infinite; }
  #conn[data-state="connecting"] .dot, #conn[data-state="reconnecting"] .dot { background: var(--warn); }
  #conn[data-state="connecting"], #conn[data-state="reconnecting"] { color: var(--warn); }
  #conn[data-state="offline"], #conn[data-state="unauthorized"] { color: var(--bad); }
  #conn[data-state="offline"] .dot, #conn[data-state="unauthorized"] .dot { background: var(--bad); }
  @keyframes pulse { 0% { box-shadow: 0 0 0 0 rgba(52, 211, 153, .55); } 70% { box-shadow: 0 0 0 7px rgba(52, 211, 153, 0); } 100% { box-shadow: 0 0 0 0 rgba(52, 211, 153, 0); } }
  .clock { display: flex; flex-direction: column; line-height: 1.2; }
  .clock b { font-family: var(--mono); font-size: 13px; font-weight: 500; }
  .clock span { color: var(--muted); font-size: 11px; }
  .spacer { flex: 1; }
  .meta { color: var(--muted); font-size: 12px; display: flex; gap: 14px; align-items: center; }
  .meta b { color: var(--text); font-weight: 500; }
  .btn { display: inline-flex; align-items: center; gap: 6px; padding: 6px 12px; border-radius: 8px; border: 1px solid var(--line2); background: var(--panel2); cursor: pointer; font-size: 12px; text-decoration: none; color: var(--text); }
  .btn:hover:not(:disabled) { border-color: var(--accent); }
  .btn:disabled { opacity: .38; cursor: not-allowed; }
  .btn.danger:hover:not(:disabled) { border-color: var(--bad); color: var(--bad); }
  .switch { width: 28px; height: 16px; border-radius: 999px; background: var(--line2); position: relative; transition: background .2s; }
  .switch::after { content: ""; position: absolute; top: 2px; left: 2px; width: 12px; height: 12px; border-radius: 50%; background: var(--muted); transition: transform .2s, background .2s; }
  #traffic[aria-pressed="true"] .switch { background: rgba(52, 211, 153, .35); }
  #traffic[aria-pressed="true"] .switch::after { transform: translateX(12px); background: var(--ok); }

  .summary { padding: 16px 24px 6px; }
  .dist { display: flex; height: 6px; border-radius: 999px; overflow: hidden; background: var(--panel2); margin-bottom: 12px; }
  .dist i { display: block; height: 100%; transition: width .3s ease; }
  .counts { display: grid; grid-template-columns: repeat(7, minmax(120px, 1fr)); gap: 10px; }
  .count { position: relative; text-align: left; background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 10px 14px 10px 16px; cursor: pointer; overflow: hidden; transition: border-color .15s, background .15s; }
  .count::before { content: ""; position: absolute; left: 0; top: 0; bottom: 0; width: 3px; background: var(--c, var(--accent)); }
  .count:hover { border-color: var(--line2); background: var(--panel2); }
  .count[aria-pressed="true"] { border-color: var(--c, var(--accent)); background: color-mix(in srgb, var(--c, var(--accent)) 10%, var(--panel)); }
  .count .label { display: flex; align-items: center; gap: 6px; color: var(--muted); font-size: 12px; }
  .count .label i { width: 8px; height: 8px; border-radius: 50%; background: var(--c, var(--accent)); }
  .count b { display: block; font-size: 24px; font-weight: 600; margin-top: 2px; letter-spacing: -.5px; }

  .toolbar { display: flex; align-items: center; gap: 12px; padding: 10px 24px; }
  .search { flex: 0 1 340px; background: var(--panel); border: 1px solid var(--line); color: var(--text); border-radius: 8px; padding: 7px 10px; font: inherit; outline: none; }
  .search:focus { border-color: var(--accent); }
  #shown { color: var(--muted); font-size: 12px; }
  .chip { display: inline-flex; align-items: center; gap: 6px; padding: 3px 6px 3px 10px; border-radius: 999px; background: var(--panel2); border: 1px solid var(--line2); font-size: 12px; }
  .chip button { border: 0; background: none; cursor: pointer; color: var(--muted); padding: 0 4px; font-size: 14px; line-height: 1; }

  main { flex: 1; min-height: 0; padding: 0 24px 20px; display: flex; }
  .tablewrap { flex: 1; overflow: auto; border: 1px solid var(--line); border-radius: 10px; background: var(--panel); }
  table { width: 100%; border-collapse: collapse; table-layout: fixed; }
  thead th { position: sticky; top: 0; z-index: 1; background: var(--panel2); color: var(--muted); font-weight: 500; font-size: 11px; text-transform: uppercase; letter-spacing: .6px; text-align: left; padding: 9px 12px; border-bottom: 1px solid var(--line); }
  td { padding: 7px 12px; border-bottom: 1px solid var(--line); white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
  tbody tr { cursor: pointer; }
  tbody tr:hover { background: rgba(124, 156, 255, .06); }
  tbody tr.selected { background: rgba(124, 156, 255, .13); }
  tbody tr:last-child td { border-bottom: 0; }
  col.c-id { width: 150px; } col.c-status { width: 170px; } col.c-retry { width: 120px; }
  col.c-created { width: 112px; } col.c-dur { width: 92px; }
  .mono { font-family: var(--mono); font-size: 12px; }
  td.id { color: var(--muted); }
  .svc { font-weight: 550; }
  .key { color: var(--accent); }
  .h { color: var(--muted); }
  .badge { display: inline-flex; align-items: center; gap: 6px; padding: 2px 9px 2px 8px; border-radius: 999px; font-size: 12px; font-weight: 500; color: var(--c); background: color-mix(in srgb, var(--c) 15%, transparent); border: 1px solid color-mix(in srgb, var(--c) 30%, transparent); }
  .badge i { width: 6px; height: 6px; border-radius: 50%; background: var(--c); }
  .badge.running i { animation: blink 1.2s ease-in-out infinite; }
  @keyframes blink { 50% { opacity: .25; } }
  .paused { display: inline-block; margin-left: 6px; padding: 1px 7px; border-radius: 999px; font-size: 11px; color: var(--warn); border: 1px dashed color-mix(in srgb, var(--warn) 60%, transparent); }
  .st-pending { --c: var(--c-pending); } .st-ready { --c: var(--c-ready); } .st-running { --c: var(--c-running); }
  .st-backing-off { --c: var(--c-backing-off); } .st-suspended { --c: var(--c-suspended); } .st-completed { --c: var(--c-completed); }
  .ok { color: var(--ok); } .bad { color: var(--bad); } .warn { color: var(--warn); } .muted { color: var(--faint); }
  td.dur.live { color: var(--muted); font-style: italic; }
  .empty td { text-align: center; color: var(--muted); padding: 48px 12px; cursor: default; white-space: normal; }
  .empty:hover { background: none; }

  aside { position: fixed; top: 0; right: 0; bottom: 0; width: min(560px, 100vw); background: var(--panel); border-left: 1px solid var(--line2); box-shadow: -20px 0 40px rgba(0, 0, 0, .45); transform: translateX(100%); transition: transform .22s ease; display: flex; flex-direction: column; z-index: 5; }
  aside.open { transform: none; }
  aside .top { padding: 16px 20px 12px; border-bottom: 1px solid var(--line); }
  aside .top .row { display: flex; align-items: center; gap: 10px; }
  aside h2 { margin: 0; font-size: 15px; font-weight: 600; flex: 1; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  aside .close { border: 0; background: none; color: var(--muted); font-size: 22px; cursor: pointer; line-height: 1; }
  aside .sub { margin-top: 6px; display: flex; gap: 8px; align-items: center; color: var(--muted); }
  aside .actions { display: flex; gap: 8px; flex-wrap: wrap; margin-top: 12px; }
  aside .facts { display: grid; grid-template-columns: 130px 1fr; gap: 4px 12px; padding: 12px 20px; border-bottom: 1px solid var(--line); font-size: 12px; }
  aside .facts dt { color: var(--muted); } aside .facts dd { margin: 0; font-family: var(--mono); overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  aside pre { margin: 0; padding: 14px 20px; overflow: auto; flex: 1; font: 12px/1.55 var(--mono); color: #cbd3e1; }
  aside .gone { margin: 10px 20px 0; padding: 8px 12px; border-radius: 8px; background: rgba(248, 113, 113, .12); color: var(--bad); font-size: 12px; }
  .j-k { color: #93c5fd; } .j-s { color: #a7f3d0; } .j-n { color: #fcd34d; } .j-b { color: #f0abfc; } .j-z { color: var(--faint); }

  #toasts { position: fixed; left: 50%; bottom: 20px; transform: translateX(-50%); display: flex; flex-direction: column; gap: 8px; z-index: 10; }
  .toast { padding: 9px 14px; border-radius: 8px; background: var(--panel2); border: 1px solid var(--line2); box-shadow: 0 8px 24px rgba(0, 0, 0, .4); font-size: 12px; max-width: 560px; }
  .toast.error { border-color: color-mix(in srgb, var(--bad) 60%, transparent); color: #fecaca; }
  @media (max-width: 1200px) {
    header, .summary, .toolbar { padding-left: 16px; padding-right: 16px; } main { padding: 0 16px 16px; }
    .counts { grid-template-columns: repeat(7, minmax(0, 1fr)); gap: 8px; } .count { padding: 8px 10px 8px 13px; } .count b { font-size: 20px; }
    col.c-id { width: 112px; } col.c-status { width: 136px; } col.c-retry { width: 84px; } col.c-created { width: 98px; } col.c-dur { width: 76px; }
    td, thead th { padding-left: 9px; padding-right: 9px; }
  }
  @media (max-width: 820px) { .counts { grid-template-columns: repeat(4, minmax(0, 1fr)); } .meta { display: none; } }
</style>
</head>
<body>
<header>
  <div class="brand">
    <svg viewBox="0 0 32 32" aria-hidden="true"><rect width="32" height="32" rx="8" fill="#7c9cff"/><path d="M9 22V10h7a4 4 0 0 1 0 8h-7m7 0 5 4" stroke="#0b0d12" stroke-width="3" fill="none" stroke-linecap="round" stroke-linejoin="round"/></svg>
    <h1>restate-emulator <small>live invocations</small></h1>
  </div>
  <span class="pill" id="conn" data-testid="connection" data-state="connecting"><span class="dot"></span><span id="conn-text">connecting…</span></span>
  <div class="clock" title="The emulator's clock (emulated time)">
    <b id="clock" data-testid="clock">—</b>
    <span id="clock-mode">emulated time</span>
  </div>
  <div class="spacer"></div>
  <div class="meta">
    <span><b id="rate" class="num">0</b> events/s</span>
    <span>seed <b id="seed" class="num">—</b></span>
  </div>
  <button class="btn" id="traffic" data-testid="traffic" aria-pressed="false" title="Demo traffic (POST / DELETE /_emulator/traffic)"><span class="switch"></span><span id="traffic-text">Demo traffic</span></button>
  <a class="btn" href="docs" target="_blank" rel="noopener">API docs</a>
</header>

<section class="summary">
  <div class="dist" id="dist" aria-hidden="true"></div>
  <div class="counts" id="counts" role="group" aria-label="Invocations per status"></div>
</section>

<div class="toolbar">
  <input class="search" id="search" type="search" placeholder="Filter by id or target…  ( / )" autocomplete="off" spellcheck="false">
  <span id="filter-chip"></span>
  <span id="shown" class="num"></span>
</div>

<main>
  <div class="tablewrap">
    <table>
      <colgroup><col class="c-id"><col><col class="c-status"><col class="c-retry"><col><col class="c-created"><col class="c-dur"></colgroup>
      <thead><tr><th>Invocation</th><th>Target</th><th>Status</th><th>Retries</th><th>Result</th><th>Created</th><th>Duration</th></tr></thead>
      <tbody id="rows" data-testid="rows"></tbody>
    </table>
  </div>
</main>

<aside id="drawer" data-testid="drawer" aria-hidden="true">
  <div class="top">
    <div class="row"><h2 id="d-title"></h2><button class="close" id="d-close" title="Close (Esc)">×</button></div>
    <div class="sub"><span id="d-status"></span><span class="mono" id="d-id"></span><button class="btn" id="d-copy" style="padding:2px 8px">copy id</button></div>
    <div class="actions" id="d-actions">
      <button class="btn danger" data-action="cancel">Cancel</button>
      <button class="btn danger" data-action="kill">Kill</button>
      <button class="btn" data-action="pause">Pause</button>
      <button class="btn" data-action="resume">Resume</button>
      <button class="btn danger" data-action="purge">Purge</button>
      <button class="btn" data-action="restart-as-new">Restart as new</button>
    </div>
  </div>
  <div id="d-gone"></div>
  <dl class="facts" id="d-facts"></dl>
  <pre id="d-json" data-testid="drawer-json"></pre>
</aside>
<div id="toasts"></div>

<script>
(() => {
  'use strict'
  const STATUSES = ['pending', 'ready', 'running', 'backing-off', 'suspended', 'completed']
  /** Rows on screen, at most; records held in memory, at most. */
  const MAX_ROWS = 150
  const KEEP = 1500
  const EVENT_TYPES = ['created', 'transition', 'updated', 'purged']

  const params = new URLSearchParams(location.search)
  const token = params.get('token')
  const authHeaders = token ? { authorization: 'Bearer ' + token } : {}
  const $ = id => document.getElementById(id)
  const els = {
    conn: $('conn'), connText: $('conn-text'), clock: $('clock'), clockMode: $('clock-mode'), rate: $('rate'), seed: $('seed'),
    traffic: $('traffic'), trafficText: $('traffic-text'), dist: $('dist'), counts: $('counts'), search: $('search'),
    chip: $('filter-chip'), shown: $('shown'), rows: $('rows'), drawer: $('drawer'), toasts: $('toasts')
  }

  /** id -> { inv, seq, ver } */
  const byId = new Map()
  const counts = Object.fromEntries(STATUSES.map(s => [s, 0]))
  const rowEls = new Map()
  let queue = []
  let filter = params.get('status')
  if (!STATUSES.includes(filter)) filter = null
  let search = ''
  let selected = null
  let selectedGone = false
  let es = null
  let generation = 0
  let backoff = 500
  let restartTimer = null
  let seqHigh = 0
  let seqLow = 0
  let lastEventId = 0
  let clock = null
  let eventsThisSecond = 0
  let dirty = { counts: true, rows: true, drawer: false }
  let loaded = false
  let frame = 0

  function esc (v) {
    return String(v == null ? '' : v).replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c])
  }
  function fmtNum (n) { return Number(n).toLocaleString('en-US') }
  function fmtMs (ms) {
    if (!(ms >= 0)) return ''
    if (ms < 1000) return Math.round(ms) + 'ms'
    if (ms < 10000) return (ms / 1000).toFixed(2) + 's'
    if (ms < 60000) return (ms / 1000).toFixed(1) + 's'
    if (ms < 3600000) return Math.floor(ms / 60000) + 'm ' + Math.floor(ms % 60000 / 1000) + 's'
    if (ms < 86400000) return Math.floor(ms / 3600000) + 'h ' + Math.floor(ms % 3600000 / 60000) + 'm'
    return Math.floor(ms / 86400000) + 'd ' + Math.floor(ms % 86400000 / 3600000) + 'h'
  }
  function timeOf (ts) { return ts ? ts.slice(11, 23) : '' }
  function shortId (id) { return id.length > 16 ? id.slice(0, 9) + '…' + id.slice(-6) : id }

  async function api (path, init) {
    const res = await fetch(path, Object.assign({}, init, { headers: Object.assign({}, authHeaders, (init && init.headers) || {}) }))
    const text = await res.text()
    let body = null
    try { body = text ? JSON.parse(text) : null } catch { body = { message: text } }
    if (!res.ok) {
      const err = new Error((body && body.message) || ('HTTP ' + res.status))
      err.status = res.status
      throw err
    }
    return body
  }

  function setConn (state, text) {
    els.conn.dataset.state = state
    els.connText.textContent = text || state
  }

  function emulatedNow () {
    if (!clock) return NaN
    if (clock.mode === 'real') return clock.now + (performance.now() - clock.seenAt) * (clock.speed || 1)
    return clock.now
  }
  function setClock (c) {
    clock = { mode: c.mode, now: Date.parse(c.now), speed: c.speed, seenAt: performance.now() }
    els.clockMode.textContent = c.mode === 'manual' ? 'emulated time · manual clock' : 'emulated time · real clock' + (c.speed && c.speed !== 1 ? ' ×' + c.speed : '')
    paintClock()
  }
  function paintClock () {
    const now = emulatedNow()
    els.clock.textContent = isNaN(now) ? '—' : new Date(now).toISOString().replace('T', ' ').slice(0, 23) + ' UTC'
  }
  function setTraffic (t) {
    els.traffic.setAttribute('aria-pressed', String(t.enabled))
    els.trafficText.textContent = t.enabled ? 'Demo traffic · ' + t.rate + '/s' : 'Demo traffic'
  }

  function restart (delay) {
    clearTimeout(restartTimer)
    restartTimer = setTimeout(start, delay || 0)
  }

  async function start () {
    const gen = ++generation
    if (es) { es.close(); es = null }
    queue = []
    setConn('connecting', 'connecting…')
    try {
      const [stats, c, traffic] = await Promise.all([api('_emulator/stats'), api('_emulator/clock'), api('_emulator/traffic')])
      // The list is taken after the stats: replaying the events after the stats' id brings every
      // listed record up to date, and the counts get each event exactly once.
      const list = await api('invocations?limit=' + Math.min(1000, KEEP))
      if (gen !== generation) return
      byId.clear()
      loaded = true
      rowEls.clear()
      for (const s of STATUSES) counts[s] = stats.by_status[s] || 0
      lastEventId = stats.last_event_id
      document.body.dataset.lastEventId = String(lastEventId)
      els.seed.textContent = stats.seed
      setClock(c)
      setTraffic(traffic)
      seqHigh = 0
      seqLow = 0
      list.invocations.forEach((inv, i) => byId.set(inv.id, { inv, seq: -i, ver: 1 }))
      seqLow = -list.invocations.length
      if (selected && !byId.has(selected)) selectedGone = true
      if (filter) loadFiltered(filter)
      dirty = { counts: true, rows: true, drawer: true }
      schedule()
      connect(gen)
    } catch (err) {
      if (gen !== generation) return
      if (err.status === 401) setConn('unauthorized', 'needs ?token=')
      else setConn('offline', 'offline — retrying')
      if (!loaded) {
        renderCounts()
        els.rows.innerHTML = '<tr class="empty"><td colspan="7">' + (err.status === 401
          ? 'This emulator has an admin token: open this page as <b>/ui?token=&lt;admin token&gt;</b>.'
          : 'Cannot reach the emulator (' + esc(err.message) + '); retrying…') + '</td></tr>'
      }
      restart(err.status === 401 ? 10000 : backoff)
      backoff = Math.min(backoff * 2, 8000)
    }
  }

  function connect (gen) {
    const url = '_emulator/events?last_event_id=' + lastEventId + (token ? '&access_token=' + encodeURIComponent(token) : '')
    const source = new EventSource(url)
    es = source
    source.onopen = () => { if (gen === generation) { setConn('live', 'live'); backoff = 500 } }
    source.onerror = () => {
      if (gen !== generation) return
      // Start over rather than let the browser resume: the server may have restarted since.
      source.close()
      es = null
      setConn('reconnecting', 'reconnecting…')
      restart(backoff)
      backoff = Math.min(backoff * 2, 8000)
    }
    const onEvent = m => {
      if (gen !== generation) return
      queue.push(m.data)
      eventsThisSecond++
      // In a hidden tab frames stop: keep the state current without painting.
      if (queue.length > 5000) applyQueue()
      schedule()
    }
    for (const type of EVENT_TYPES) source.addEventListener(type, onEvent)
    source.addEventListener('reset', () => { if (gen === generation) restart(0) })
    source.addEventListener('gap', () => { if (gen === generation) restart(0) })
  }

  function applyQueue () {
    const batch = queue
    queue = []
    for (const data of batch) apply(JSON.parse(data))
  }

  function apply (ev) {
    const inv = ev.invocation
    if (ev.id <= lastEventId) return
    lastEventId = ev.id
    const held = byId.get(inv.id)
    if (ev.type === 'purged') {
      counts[inv.status] = Math.max(0, counts[inv.status] - 1)
      byId.delete(inv.id)
      if (inv.id === selected) { selectedGone = true; dirty.drawer = true }
    } else {
      if (ev.type === 'created') counts[inv.status]++
      else if (ev.type === 'transition') { counts[ev.from] = Math.max(0, counts[ev.from] - 1); counts[ev.to]++ }
      if (held) {
        held.inv = inv
        held.ver++
      } else if (ev.type === 'created' || byId.size < KEEP || inv.status === filter || inv.id === selected) {
        // Older records the page let go of come back only when they may be shown.
        byId.set(inv.id, { inv, seq: ev.type === 'created' ? ++seqHigh : --seqLow, ver: 1, live: true })
      }
      if (inv.id === selected) { selectedGone = false; dirty.drawer = true }
    }
    if (clock && clock.mode === 'manual' && ev.at) {
      const at = Date.parse(ev.at)
      if (at > clock.now) clock.now = at
    }
    dirty.counts = true
    dirty.rows = true
  }

  /** At most this often a paint: under heavy traffic, fewer and larger batches. */
  const MIN_FRAME_MS = 100
  let lastRender = 0
  function schedule () {
    if (frame) return
    const wait = lastRender + MIN_FRAME_MS - performance.now()
    frame = wait > 0 ? setTimeout(() => { frame = requestAnimationFrame(render) }, wait) : requestAnimationFrame(render)
  }

  function render () {
    lastRender = performance.now()
    frame = 0
    if (queue.length > 0) applyQueue()
    document.body.dataset.lastEventId = String(lastEventId)
    if (dirty.counts) renderCounts()
    if (dirty.rows) renderRows()
    if (dirty.drawer) renderDrawer()
    dirty = { counts: false, rows: false, drawer: false }
    paintClock()
  }

  function total () { return STATUSES.reduce((n, s) => n + counts[s], 0) }

  function renderCounts () {
    const all = total()
    if (!els.counts.firstChild) {
      els.counts.innerHTML = ['all'].concat(STATUSES).map(s =>
        '<button class="count' + (s === 'all' ? '' : ' st-' + s) + '" data-status="' + s + '" data-testid="count-' + s + '" aria-pressed="false">' +
        '<span class="label"><i></i>' + (s === 'all' ? 'all' : s) + '</span><b class="num">0</b></button>').join('')
      els.dist.innerHTML = STATUSES.map(s => '<i class="st-' + s + '" style="background:var(--c);width:0" title="' + s + '"></i>').join('')
    }
    for (const el of els.counts.children) {
      const s = el.dataset.status
      el.querySelector('b').textContent = loaded ? fmtNum(s === 'all' ? all : counts[s]) : '—'
      el.setAttribute('aria-pressed', String(s === 'all' ? filter === null : filter === s))
    }
    STATUSES.forEach((s, i) => {
      const bar = els.dist.children[i]
      bar.style.width = all ? (counts[s] / all * 100) + '%' : '0'
      bar.title = s + ': ' + fmtNum(counts[s])
    })
  }

  function visibleRows () {
    const q = search
    const list = []
    for (const entry of byId.values()) {
      const inv = entry.inv
      if (filter && inv.status !== filter) continue
      if (q && inv.id.toLowerCase().indexOf(q) < 0 && inv.target.toLowerCase().indexOf(q) < 0) continue
      list.push(entry)
    }
    list.sort(newestFirst)
    return list
  }
  function newestFirst (a, b) {
    const ca = a.inv.created_at || ''
    const cb = b.inv.created_at || ''
    return ca < cb ? 1 : ca > cb ? -1 : b.seq - a.seq
  }

  function targetHtml (inv) {
    const svc = inv.target_service_name || inv.target.split('/')[0]
    const key = inv.target_service_key
    const handler = inv.target_handler_name || inv.target.split('/').pop()
    return '<span class="svc">' + esc(svc) + '</span>' + (key != null ? '<span class="key">/' + esc(key) + '</span>' : '') + '<span class="h">/' + esc(handler) + '</span>'
  }
  function badgeHtml (inv) {
    return '<span class="badge st-' + esc(inv.status) + ' ' + esc(inv.status) + '"><i></i>' + esc(inv.status) + '</span>' + (inv.paused ? '<span class="paused">paused</span>' : '')
  }
  function retriesHtml (inv, now) {
    const n = inv.retry_count || 0
    let html = '<span class="num' + (n ? '' : ' muted') + '">' + n + '</span>'
    if (inv.status === 'backing-off' && inv.next_retry_at) {
      const left = Date.parse(inv.next_retry_at) - now
      html += ' <span class="muted">· ' + (left > 0 ? 'in ' + fmtMs(left) : 'now') + '</span>'
    }
    return html
  }
  function resultHtml (inv) {
    if (inv.completion_result === 'success') return '<span class="ok">✓ success</span>'
    if (inv.completion_result === 'failure') return '<span class="bad" title="' + esc(inv.completion_failure) + '">✗ ' + esc(inv.completion_failure || 'failure') + '</span>'
    if (inv.last_failure) return '<span class="warn" title="' + esc(inv.last_failure) + '">⚠ ' + esc(inv.last_failure) + '</span>'
    if (inv.scheduled_start_at && inv.status === 'pending') return '<span class="muted">scheduled ' + esc(timeOf(inv.scheduled_start_at)) + '</span>'
    return '<span class="muted">—</span>'
  }
  function durationOf (inv, now) {
    const created = Date.parse(inv.created_at)
    if (inv.completed_at) return { text: fmtMs(Date.parse(inv.completed_at) - created), live: false }
    return { text: isNaN(now) ? '' : fmtMs(Math.max(0, now - created)), live: true }
  }

  function fillRow (tr, inv, now) {
    tr.dataset.id = inv.id
    tr.dataset.status = inv.status
    tr.innerHTML = cellsHtml(inv, now)
  }
  function cellsHtml (inv, now) {
    const d = durationOf(inv, now)
    return '<td class="id mono" title="' + esc(inv.id) + '">' + esc(shortId(inv.id)) + '</td>' +
      '<td class="target" title="' + esc(inv.target) + '">' + targetHtml(inv) + '</td>' +
      '<td class="status">' + badgeHtml(inv) + '</td>' +
      '<td class="retries">' + retriesHtml(inv, now) + '</td>' +
      '<td class="result">' + resultHtml(inv) + '</td>' +
      '<td class="created mono" title="' + esc(inv.created_at) + '">' + esc(timeOf(inv.created_at)) + '</td>' +
      '<td class="dur num' + (d.live ? ' live' : '') + '">' + esc(d.text) + '</td>'
  }

  function renderRows () {
    const now = emulatedNow()
    const list = visibleRows()
    const shown = list.slice(0, MAX_ROWS)
    let stale = 0
    for (const entry of shown) {
      const tr = rowEls.get(entry.inv.id)
      if (!tr || tr._ver !== entry.ver) stale++
    }
    // Under heavy traffic most rows change between paints: then one parse of the whole table is
    // cheaper than many small ones, and highlighting every row would be noise.
    if (stale > 40) rebuildRows(shown, now)
    else updateRows(shown, now)
    const of = filter ? counts[filter] : total()
    els.shown.textContent = list.length > MAX_ROWS || of > shown.length
      ? 'showing the newest ' + fmtNum(shown.length) + ' of ' + fmtNum(of) + (search ? ' (filtered)' : '')
      : fmtNum(shown.length) + ' shown'
    if (els.chip.dataset.filter !== String(filter)) {
      els.chip.dataset.filter = String(filter)
      els.chip.innerHTML = filter ? '<span class="chip">status: <b class="st-' + filter + '" style="color:var(--c)">' + filter + '</b><button data-clear title="Show every status">×</button></span>' : ''
    }
    trim(new Set(rowEls.keys()))
  }
  function rebuildRows (shown, now) {
    els.rows.innerHTML = shown.map(e => '<tr data-id="' + esc(e.inv.id) + '" data-status="' + esc(e.inv.status) + '"' +
      (e.inv.id === selected ? ' class="selected"' : '') + '>' + cellsHtml(e.inv, now) + '</tr>').join('')
    rowEls.clear()
    const children = els.rows.children
    shown.forEach((e, i) => {
      const tr = children[i]
      tr._ver = e.ver
      tr._selected = e.inv.id === selected
      rowEls.set(e.inv.id, tr)
    })
  }
  function updateRows (shown, now) {
    const trs = []
    const keep = new Set()
    const changed = []
    for (const entry of shown) {
      const id = entry.inv.id
      keep.add(id)
      let tr = rowEls.get(id)
      if (!tr) {
        tr = document.createElement('tr')
        rowEls.set(id, tr)
        fillRow(tr, entry.inv, now)
        tr._ver = entry.ver
        if (entry.live) changed.push(tr)
      } else if (tr._ver !== entry.ver) {
        fillRow(tr, entry.inv, now)
        tr._ver = entry.ver
        changed.push(tr)
      }
      if (tr._selected !== (id === selected)) {
        tr._selected = id === selected
        tr.classList.toggle('selected', tr._selected)
      }
      trs.push(tr)
    }
    changed.forEach(flash)
    for (const id of rowEls.keys()) if (!keep.has(id)) rowEls.delete(id)
    placeRows(trs)
  }
  /** Puts the rows in order, moving only those out of place (new rows arrive on top). */
  function placeRows (trs) {
    const body = els.rows
    if (trs.length === 0) {
      if (!body.firstChild || !body.firstChild.classList.contains('empty')) body.innerHTML = emptyHtml()
      return
    }
    if (body.firstChild && body.firstChild.classList.contains('empty')) body.textContent = ''
    const placed = new Set(trs)
    let next = body.firstChild
    for (const tr of trs) {
      while (next && !placed.has(next)) {
        const gone = next
        next = next.nextSibling
        gone.remove()
      }
      if (next === tr) next = next.nextSibling
      else body.insertBefore(tr, next)
    }
    while (next) {
      const gone = next
      next = next.nextSibling
      gone.remove()
    }
  }
  function emptyHtml () {
    const what = filter ? 'No ' + filter + ' invocations' + (search ? ' match the filter' : '') + '.' : search ? 'No invocation matches the filter.' : 'No invocations yet. Call a handler on the ingress, or turn on demo traffic.'
    return '<tr class="empty"><td colspan="7">' + esc(what) + '</td></tr>'
  }
  function flash (tr) {
    if (tr._flash && tr._flash.playState === 'running') tr._flash.currentTime = 0
    else if (tr.animate) tr._flash = tr.animate([{ backgroundColor: 'rgba(124, 156, 255, .22)' }, { backgroundColor: 'rgba(124, 156, 255, 0)' }], { duration: 900, easing: 'ease-out' })
  }

  /** Forgets the oldest records beyond KEEP (never one on screen or open in the drawer). */
  function trim (onScreen) {
    if (byId.size <= KEEP) return
    const all = [...byId.values()].sort(newestFirst)
    for (let i = all.length - 1; i >= 0 && byId.size > KEEP * 0.8; i--) {
      const id = all[i].inv.id
      if (!onScreen.has(id) && id !== selected) byId.delete(id)
    }
  }

  /** A status filter may want older records than the page holds: fetch them once. */
  async function loadFiltered (status) {
    try {
      const gen = generation
      const body = await api('invocations?status=' + status + '&limit=' + MAX_ROWS)
      if (gen !== generation) return
      // A record already held is at least as fresh (or its newer events are on their way).
      for (const inv of body.invocations) if (!byId.has(inv.id)) byId.set(inv.id, { inv, seq: --seqLow, ver: 1 })
      dirty.rows = true
      schedule()
    } catch (err) { toast(err.message, true) }
  }

  function setFilter (status) {
    filter = status === 'all' || status === filter ? null : status
    const url = new URL(location.href)
    if (filter) url.searchParams.set('status', filter)
    else url.searchParams.delete('status')
    history.replaceState(null, '', url)
    if (filter) loadFiltered(filter)
    dirty.counts = true
    dirty.rows = true
    schedule()
  }

  const FACTS = [
    ['target', 'target'], ['service type', 'target_service_ty'], ['invoked by', 'invoked_by'], ['created', 'created_at'],
    ['modified', 'modified_at'], ['scheduled start', 'scheduled_start_at'], ['inboxed', 'inboxed_at'], ['running since', 'running_at'],
    ['last attempt', 'last_start_at'], ['completed', 'completed_at'], ['retries', 'retry_count'], ['next retry', 'next_retry_at'],
    ['last failure', 'last_failure'], ['idempotency key', 'idempotency_key'], ['deployment', 'deployment_id'], ['trace', 'trace_id']
  ]
  const ACTIONS = {
    cancel: inv => inv.status !== 'completed',
    kill: inv => inv.status !== 'completed',
    pause: inv => (inv.status === 'running' || inv.status === 'backing-off' || inv.status === 'suspended') && !inv.paused,
    resume: inv => inv.status === 'suspended' || inv.status === 'backing-off',
    purge: inv => inv.status === 'completed',
    'restart-as-new': inv => inv.status === 'completed'
  }

  function openDrawer (id) {
    selected = id
    selectedGone = !byId.has(id)
    els.drawer.classList.add('open')
    els.drawer.setAttribute('aria-hidden', 'false')
    renderDrawer()
    dirty.rows = true
    schedule()
  }
  function closeDrawer () {
    selected = null
    els.drawer.classList.remove('open')
    els.drawer.setAttribute('aria-hidden', 'true')
    dirty.rows = true
    schedule()
  }
  let drawerShown = null
  function renderDrawer () {
    if (!selected) return
    const entry = byId.get(selected)
    if (entry) drawerShown = entry.inv
    const inv = drawerShown && drawerShown.id === selected ? drawerShown : null
    $('d-gone').innerHTML = selectedGone ? '<div class="gone">This invocation is gone (purged, expired or the emulator was reset).</div>' : ''
    if (!inv) return
    els.drawer.dataset.id = inv.id
    $('d-title').innerHTML = targetHtml(inv)
    $('d-status').innerHTML = badgeHtml(inv)
    $('d-id').textContent = inv.id
    for (const b of $('d-actions').children) b.disabled = selectedGone || !ACTIONS[b.dataset.action](inv)
    $('d-facts').innerHTML = FACTS.filter(f => inv[f[1]] !== undefined && inv[f[1]] !== null)
      .map(f => '<dt>' + f[0] + '</dt><dd title="' + esc(inv[f[1]]) + '">' + esc(inv[f[1]]) + '</dd>').join('')
    $('d-json').innerHTML = highlight(JSON.stringify(inv, null, 2))
  }
  function highlight (json) {
    return esc(json).replace(/(&quot;(?:[^&]|&(?!quot;))*?&quot;)(\s*:)?|\b(true|false)\b|\bnull\b|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g, (m, str, colon, bool) => {
      if (str) return colon ? '<span class="j-k">' + str + '</span>' + colon : '<span class="j-s">' + str + '</span>'
      if (bool) return '<span class="j-b">' + m + '</span>'
      if (m === 'null') return '<span class="j-z">null</span>'
      return '<span class="j-n">' + m + '</span>'
    })
  }

  async function act (action) {
    const id = selected
    if (!id) return
    try {
      const body = await api('invocations/' + encodeURIComponent(id) + '/' + action, { method: 'PATCH' })
      toast(action + ': done for ' + shortId(id))
      if (body && body.new_invocation_id) openDrawer(body.new_invocation_id)
    } catch (err) {
      toast(action + ' failed: ' + err.message, true)
    }
  }

  function toast (text, error) {
    const el = document.createElement('div')
    el.className = 'toast' + (error ? ' error' : '')
    el.textContent = text
    els.toasts.appendChild(el)
    setTimeout(() => el.remove(), error ? 6000 : 2500)
  }

  els.counts.addEventListener('click', e => {
    const el = e.target.closest('.count')
    if (el) setFilter(el.dataset.status)
  })
  els.chip.addEventListener('click', e => { if (e.target.closest('[data-clear]')) setFilter('all') })
  els.rows.addEventListener('click', e => {
    const tr = e.target.closest('tr[data-id]')
    if (tr) tr.dataset.id === selected ? closeDrawer() : openDrawer(tr.dataset.id)
  })
  els.search.addEventListener('input', () => {
    search = els.search.value.trim().toLowerCase()
    dirty.rows = true
    schedule()
  })
  $('d-close').addEventListener('click', closeDrawer)
  $('d-copy').addEventListener('click', () => { if (selected && navigator.clipboard) navigator.clipboard.writeText(selected).then(() => toast('copied ' + selected)) })
  $('d-actions').addEventListener('click', e => {
    const b = e.target.closest('button[data-action]')
    if (b && !b.disabled) act(b.dataset.action)
  })
  document.addEventListener('keydown', e => {
    if (e.key === 'Escape' && selected) closeDrawer()
    if (e.key === '/' && document.activeElement !== els.search) { e.preventDefault(); els.search.focus() }
  })
  els.traffic.addEventListener('click', async () => {
    const on = els.traffic.getAttribute('aria-pressed') === 'true'
    try {
      setTraffic(on
        ? await api('_emulator/traffic', { method: 'DELETE' })
        : await api('_emulator/traffic', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }))
    } catch (err) { toast('demo traffic: ' + err.message, true) }
  })

  // Real-time housekeeping: the event rate, ages of invocations in flight, the clock.
  setInterval(() => {
    els.rate.textContent = fmtNum(eventsThisSecond)
    eventsThisSecond = 0
    for (const tr of els.rows.children) {
      const entry = byId.get(tr.dataset.id)
      if (!entry || entry.inv.completed_at) continue
      const now = emulatedNow()
      const d = tr.querySelector('td.dur')
      if (d) d.textContent = durationOf(entry.inv, now).text
      if (entry.inv.status === 'backing-off') tr.querySelector('td.retries').innerHTML = retriesHtml(entry.inv, now)
    }
  }, 1000)
  setInterval(paintClock, 250)
  // A manual clock can move without any event; the traffic can be toggled elsewhere.
  let polls = 0
  setInterval(async () => {
    polls++
    if (!es || document.hidden || !clock || (clock.mode === 'real' && polls % 5 !== 0)) return
    try {
      const [c, t] = await Promise.all([api('_emulator/clock'), api('_emulator/traffic')])
      if (c.mode !== 'manual' || Date.parse(c.now) >= clock.now) setClock(c)
      setTraffic(t)
    } catch {
      // The event stream reports trouble; the next poll tries again.
    }
  }, 1000)

  start()
})()
</script>
</body>
</html>
`
