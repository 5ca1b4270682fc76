import t, { type Test } from 'tap'
import { existsSync } from 'node:fs'
import { chromium, type Browser, type Page } from 'playwright-core'
import { listeningEmulator } from '../helpers/emulator.js'
import { startEmulator, type Emulator, type Status } from '../../src/index.js'

// Debian's Chromium: CI installs it with apt. Without it this file fails; it never skips.
const CHROMIUM = '/usr/bin/chromium'
const STATUSES: Status[] = ['pending', 'ready', 'running', 'backing-off', 'suspended', 'completed']

t.ok(existsSync(CHROMIUM), `${CHROMIUM} exists (apt-get install -y chromium)`)
const browser: Browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync']
})
// Playwright gives each launch a fresh temporary profile, and removes it on close.
t.teardown(() => browser.close())

/** Starts an invocation through the ingress and returns its id. */
async function send (emu: Emulator, path: string, query = ''): Promise<string> {
  const res = await fetch(`${emu.ingressUrl}/${path}/send${query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify('Ada')
  })
  if (res.status !== 202) throw new Error(`send ${path}: ${res.status} ${await res.text()}`)
  return ((await res.json()) as { invocationId: string }).invocationId
}

interface Stats { invocations: number, by_status: Record<Status, number>, last_event_id: number }

async function stats (emu: Emulator, token?: string): Promise<Stats> {
  const res = await fetch(`${emu.adminUrl}/_emulator/stats`, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } })
  return await res.json() as Stats
}

/** Opens the page, failing the test on any script error, and waits until it is live. */
async function openPage (t: Test, emu: Emulator, query = ''): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } })
  t.teardown(() => page.close())
  page.on('pageerror', err => t.fail(`script error on the page: ${err.message}`))
  await page.goto(`${emu.adminUrl}/ui${query}`)
  await page.waitForSelector('[data-testid="connection"][data-state="live"]')
  return page
}

/**
 * The little of the DOM these checks use (the project compiles without the DOM lib). Checks run
 * in the page as functions, not strings: the page's CSP forbids eval, which string predicates need.
 */
interface Dom {
  document: {
    body: { dataset: Record<string, string> }
    querySelectorAll: (selector: string) => ArrayLike<{ dataset: Record<string, string> }>
    getAnimations: () => Array<{ playState: string, effect: { getComputedTiming: () => { endTime: number } } }>
  }
}

/** Waits until the page has applied every event up to `id`. */
async function synced (page: Page, id: number): Promise<void> {
  await page.waitForFunction(id => (globalThis as unknown as Dom).document.body.dataset.lastEventId === String(id), id)
}

const rowIds = async (page: Page): Promise<string[]> =>
  page.evaluate(() => Array.from((globalThis as unknown as Dom).document.querySelectorAll('tbody tr[data-id]'), r => r.dataset.id))

async function rowsAre (page: Page, ids: string[]): Promise<void> {
  await page.waitForFunction(want => Array.from((globalThis as unknown as Dom).document.querySelectorAll('tbody tr[data-id]'), r => r.dataset.id).join() === want, ids.join())
}

async function pageCounts (page: Page): Promise<Record<string, number>> {
  const out: Record<string, number> = {}
  for (const s of ['all', ...STATUSES]) {
    const text = await page.locator(`[data-testid="count-${s}"] b`).textContent()
    out[s] = Number((text ?? '').replace(/,/g, ''))
  }
  return out
}

async function countsMatchStats (t: Test, page: Page, emu: Emulator, token?: string): Promise<void> {
  const s = await stats(emu, token)
  await synced(page, s.last_event_id)
  const counts = await pageCounts(page)
  t.same(counts, { all: s.invocations, ...s.by_status }, 'the counts on the page match GET /_emulator/stats')
}

/** Waits for the page's own finite animations (row flashes, the drawer) to end. */
async function settled (page: Page): Promise<void> {
  await page.waitForFunction(() => (globalThis as unknown as Dom).document.getAnimations()
    .every(a => a.effect.getComputedTiming().endTime === Infinity || a.playState === 'finished'))
}

t.test('the live page: table, live updates, counts, filters, details and actions', async t => {
  const emu = await listeningEmulator(t, { clock: 'manual' })
  const greet = await send(emu, 'Greeter/greet')
  const always = await send(emu, 'Flaky/always')
  const terminal = await send(emu, 'Flaky/terminal')
  const sleepy = await send(emu, 'Flaky/sleepy')
  const first = await send(emu, 'Counter/k1/add')
  const queued = await send(emu, 'Counter/k1/add')
  const delayed = await send(emu, 'Greeter/greet', '?delay=1h')
  emu.clock.advance('20ms')
  const expected: Record<string, Status> = {
    [greet]: 'running', [always]: 'backing-off', [terminal]: 'completed', [sleepy]: 'suspended', [first]: 'running', [queued]: 'pending', [delayed]: 'pending'
  }
  for (const [id, status] of Object.entries(expected)) t.equal(emu.invocations.get(id)?.status, status, `set-up: ${id} is ${status}`)

  const page = await openPage(t, emu)

  t.test('the table shows the invocations, newest first, with their status', async t => {
    await synced(page, emu.events.lastId)
    t.same(await rowIds(page), emu.invocations.list().map(i => i.id))
    for (const [id, status] of Object.entries(expected)) {
      t.equal(await page.getAttribute(`tr[data-id="${id}"]`, 'data-status'), status, `${id} shows ${status}`)
    }
    t.match(await page.locator(`tr[data-id="${terminal}"] td.result`).textContent(), /\[422\] nope/, 'a failure shows its message')
    t.match(await page.locator(`tr[data-id="${always}"] td.result`).textContent(), /\[500\] boom transient/, 'a retrying one shows its last failure')
    t.match(await page.locator(`tr[data-id="${always}"] td.retries`).textContent(), /^1 · in 490ms$/, 'and its retries and next retry')
    t.match(await page.locator(`tr[data-id="${greet}"] td.target`).textContent(), 'Greeter/greet')
    t.match(await page.locator(`tr[data-id="${queued}"] td.target`).textContent(), 'Counter/k1/add')
    t.match(await page.locator('[data-testid="clock"]').textContent(), '2026-01-01 00:00:00.020 UTC', 'the emulated time')
  })

  t.test('a call made after the page loaded appears live and follows its status', async t => {
    const id = await send(emu, 'Greeter/greet')
    await page.waitForSelector(`tr[data-id="${id}"][data-status="running"]`)
    t.equal((await rowIds(page))[0], id, 'the new invocation is on top')
    emu.clock.advance('100ms')
    await page.waitForSelector(`tr[data-id="${id}"][data-status="completed"]`)
    t.match(await page.locator(`tr[data-id="${id}"] td.result`).textContent(), '✓ success')
    t.equal(await page.locator(`tr[data-id="${id}"] td.dur`).textContent(), '100ms')
    await page.waitForSelector(`tr[data-id="${greet}"][data-status="completed"]`)
    t.match(await page.locator('[data-testid="clock"]').textContent(), '00:00:00.120 UTC', 'time moved with the events')
  })

  t.test('the counts match GET /_emulator/stats', async t => {
    await countsMatchStats(t, page, emu)
  })

  t.test('clicking a status filters the rows; clicking it again shows all', async t => {
    const all = await rowIds(page)
    for (const status of ['backing-off', 'pending', 'completed'] as Status[]) {
      await page.click(`[data-testid="count-${status}"]`)
      const want = emu.invocations.list({ status }).map(i => i.id)
      await rowsAre(page, want)
      t.equal(await page.getAttribute(`[data-testid="count-${status}"]`, 'aria-pressed'), 'true')
      t.equal(await page.locator(`tbody tr[data-id]:not([data-status="${status}"])`).count(), 0, `only ${status} rows`)
      t.equal(new URL(page.url()).searchParams.get('status'), status, 'the filter is in the address')
    }
    await page.click('[data-testid="count-completed"]')
    await rowsAre(page, all)
    t.pass('every row is back')
  })

  t.test('a filtered view stays live', async t => {
    await page.click('[data-testid="count-suspended"]')
    await page.waitForSelector(`tr[data-id="${sleepy}"]`)
    await page.click(`tr[data-id="${sleepy}"]`)
    await page.waitForSelector(`[data-testid="drawer"].open[data-id="${sleepy}"]`)
    t.match(await page.locator('[data-testid="drawer-json"]').textContent(), `"id": "${sleepy}"`, 'the drawer shows the full record')
    await page.click('#d-actions button[data-action="resume"]')
    await page.waitForSelector(`tr[data-id="${sleepy}"]`, { state: 'detached' })
    t.pass('a resumed invocation leaves the suspended view')
    await page.click('#d-close')
    await page.click('[data-testid="count-suspended"]')
  })

  t.test('the drawer shows the record and its actions work', async t => {
    await page.click(`tr[data-id="${always}"]`)
    await page.waitForSelector(`[data-testid="drawer"].open[data-id="${always}"]`)
    const json = JSON.parse(await page.locator('[data-testid="drawer-json"]').textContent() ?? '')
    t.same(json, emu.invocations.get(always), 'the full JSON of the invocation')
    t.equal(await page.isDisabled('#d-actions button[data-action="purge"]'), true, 'purge is for completed ones')
    await page.click('#d-actions button[data-action="kill"]')
    await page.waitForSelector(`tr[data-id="${always}"][data-status="completed"]`)
    t.match(emu.invocations.get(always), { status: 'completed', completion_failure: '[409] killed' })
    t.match(await page.locator('[data-testid="drawer-json"]').textContent(), '"completion_failure": "[409] killed"', 'the drawer follows the record')
    await page.waitForSelector('#d-actions button[data-action="purge"]:not([disabled])')
    await page.click('#d-actions button[data-action="purge"]')
    await page.waitForSelector(`tr[data-id="${always}"]`, { state: 'detached' })
    t.equal(emu.invocations.get(always), undefined, 'purged')
    await page.keyboard.press('Escape')
    await page.waitForSelector('[data-testid="drawer"]:not(.open)')
    await countsMatchStats(t, page, emu)
  })

  t.test('pause shows the paused flag; resume clears it', async t => {
    await page.click(`tr[data-id="${first}"]`)
    await page.waitForSelector(`[data-testid="drawer"].open[data-id="${first}"]`)
    await page.click('#d-actions button[data-action="pause"]')
    await page.waitForSelector(`tr[data-id="${first}"][data-status="suspended"] .paused`)
    t.match(emu.invocations.get(first), { status: 'suspended', paused: true })
    t.equal(await page.isDisabled('#d-actions button[data-action="pause"]'), true, 'a paused one cannot be paused again')
    await page.click('#d-actions button[data-action="resume"]')
    await page.waitForSelector(`tr[data-id="${first}"][data-status="running"]`)
    t.equal(await page.locator(`tr[data-id="${first}"] .paused`).count(), 0, 'no paused flag once resumed')
    await page.click('#d-close')
    await page.waitForSelector('[data-testid="drawer"]:not(.open)')
  })

  t.test('a reset empties the page and it carries on live', async t => {
    const res = await fetch(`${emu.adminUrl}/_emulator/reset`, { method: 'POST' })
    t.equal(res.status, 204)
    await page.waitForSelector('tbody tr.empty')
    await countsMatchStats(t, page, emu)
    const id = await send(emu, 'Greeter/greet')
    await page.waitForSelector(`tr[data-id="${id}"][data-status="running"]`)
    await countsMatchStats(t, page, emu)
  })
})

t.test('with an admin token the page uses ?token= and shows when it lacks one', async t => {
  const emu = await listeningEmulator(t, { clock: 'manual', adminToken: 's3cret' })
  const id = await send(emu, 'Greeter/greet')

  const page = await openPage(t, emu, '?token=s3cret')
  await page.waitForSelector(`tr[data-id="${id}"][data-status="running"]`)
  emu.clock.advance('1s')
  await page.waitForSelector(`tr[data-id="${id}"][data-status="completed"]`)
  await countsMatchStats(t, page, emu, 's3cret')

  const denied = await browser.newPage()
  t.teardown(() => denied.close())
  await denied.goto(`${emu.adminUrl}/ui`)
  await denied.waitForSelector('[data-testid="connection"][data-state="unauthorized"]')
  t.pass('without the token the page says so')
})

t.test('demo traffic: a lively page, the traffic toggle, and a screenshot', async t => {
  // The built-in demo fixture, its traffic driven by the manual clock: lively and repeatable.
  const emu = await startEmulator({ clock: 'manual', traffic: 6, seed: 7 })
  t.teardown(() => emu.close())
  emu.clock.advance('40s')
  const page = await openPage(t, emu)
  t.equal(await page.getAttribute('[data-testid="traffic"]', 'aria-pressed'), 'true', 'the toggle shows traffic on')
  emu.clock.advance('2s')
  await countsMatchStats(t, page, emu)
  const s = await stats(emu)
  t.ok(s.invocations > 200, 'plenty of invocations')
  t.equal(await page.locator('tbody tr[data-id]').count(), 150, 'the table is capped')
  await settled(page)
  await page.screenshot({ path: '/tmp/ui.png' })
  await page.locator('tbody tr[data-id]').nth(1).click()
  await page.waitForSelector('[data-testid="drawer"].open')
  await settled(page)
  await page.screenshot({ path: '/tmp/ui-drawer.png' })

  await page.keyboard.press('Escape')
  await page.waitForSelector('[data-testid="drawer"]:not(.open)')
  await page.click('[data-testid="traffic"]')
  await page.waitForSelector('[data-testid="traffic"][aria-pressed="false"]')
  t.equal(emu.core.traffic.status().enabled, false, 'the toggle stopped the traffic')
  await page.click('[data-testid="traffic"]')
  await page.waitForSelector('[data-testid="traffic"][aria-pressed="true"]')
  t.equal(emu.core.traffic.status().enabled, true, 'and started it again')
})
