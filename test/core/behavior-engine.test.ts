import t from 'tap'
import type { Test } from 'tap'
import type { Fixture, Invocation } from '../../src/index.js'
import type { EmulatorInstance } from '../../src/index.js'
import { checked, manualEmulator, nextEvent } from '../helpers/emulator.js'
import { assertInvocation } from '../helpers/schema.js'

const T0 = Date.parse('2026-01-01T00:00:00.000Z')
const ms = (iso: string | null | undefined): number => Date.parse(iso as string) - T0

/** Sends a call and returns its id (202 checked). */
async function send (emu: EmulatorInstance, url: string, payload?: unknown, headers: Record<string, string> = {}): Promise<string> {
  const res = await checked(o => emu.injectIngress(o), { method: 'POST', url: `${url}/send`, payload: payload === undefined ? undefined : JSON.stringify(payload), headers })
  if (res.statusCode !== 202) throw new Error(`send ${url}: ${res.statusCode} ${res.body}`)
  return res.json().invocationId as string
}

/** Every status an invocation to `target` takes, as `status@ms`. */
function track (emu: EmulatorInstance, target: string): string[] {
  const seen: string[] = []
  emu.core.engine.on(event => {
    if (event.invocation.target !== target || event.type === 'updated') return
    assertInvocation(event.invocation)
    seen.push(`${event.type === 'purged' ? 'purged' : event.invocation.status}@${emu.clock.now() - T0}`)
  })
  return seen
}

async function emulatorWith (t: Test, fixture: Fixture, seed = 1): Promise<EmulatorInstance> {
  return manualEmulator(t, { fixture, seed })
}

async function getInvocation (emu: EmulatorInstance, id: string): Promise<Invocation> {
  const res = await checked(o => emu.injectAdmin(o), { method: 'GET', url: `/invocations/${id}` })
  return res.json() as Invocation
}

t.test('a constant duration: each attempt runs exactly that long', async t => {
  const emu = await emulatorWith(t, { services: [{ name: 'S', handlers: { h: { duration: '1500ms', transient: { firstAttempts: 1 } } } }] })
  const seen = track(emu, 'S/h')
  const id = await send(emu, '/S/h')
  emu.clock.runUntilIdle()
  t.same(seen, ['ready@0', 'running@0', 'backing-off@1500', 'ready@2000', 'running@2000', 'completed@3500'])
  t.match(await getInvocation(emu, id), { running_at: '2026-01-01T00:00:00.000Z', last_start_at: '2026-01-01T00:00:02.000Z', completed_at: '2026-01-01T00:00:03.500Z' })
})

t.test('distributed durations are drawn per attempt from the seeded generator', async t => {
  const fixture: Fixture = { services: [{ name: 'S', handlers: { h: { duration: { uniform: { min: '1s', max: '3s' } } } } }] }
  const run = async (seed: number): Promise<number[]> => {
    const emu = await emulatorWith(t, fixture, seed)
    const ids: string[] = []
    for (let i = 0; i < 200; i++) ids.push(await send(emu, '/S/h'))
    emu.clock.runUntilIdle()
    return Promise.all(ids.map(async id => {
      const r = await getInvocation(emu, id)
      return ms(r.completed_at) - ms(r.running_at)
    }))
  }
  const a = await run(11)
  t.ok(a.every(d => d >= 1000 && d <= 3000), 'within bounds')
  t.ok(new Set(a).size > 150, 'they vary')
  const mean = a.reduce((s, d) => s + d, 0) / a.length
  t.ok(Math.abs(mean - 2000) < 120, `mean ${mean} ≈ 2000`)
  t.same(await run(11), a, 'same seed, same durations')
  t.not(JSON.stringify(await run(12)), JSON.stringify(a), 'another seed, other durations')
})

t.test('suspension: a certain one happens once, for its duration, then the invocation finishes', async t => {
  const emu = await emulatorWith(t, { services: [{ name: 'S', handlers: { h: { duration: '100ms', suspend: { duration: '10m' }, output: { value: 'woke' } } } }] })
  const seen = track(emu, 'S/h')
  const id = await send(emu, '/S/h')
  emu.clock.advance('100ms')
  const suspended = await getInvocation(emu, id)
  t.match(suspended, { status: 'suspended', journal_size: 2 })
  t.notOk('paused' in suspended, 'a sleep is not a pause')
  emu.clock.runUntilIdle()
  t.same(seen, ['ready@0', 'running@0', 'suspended@100', 'ready@600100', 'running@600100', 'completed@600200'])
  const output = await emu.injectIngress({ method: 'GET', url: `/restate/invocation/${id}/output` })
  t.equal(output.json(), 'woke')
})

t.test('suspension probability: about that share of first attempts suspend', async t => {
  const emu = await emulatorWith(t, { services: [{ name: 'S', handlers: { h: { duration: 10, suspend: { probability: 0.3, duration: { exponential: { mean: '1h' } } } } } }] }, 4)
  const ids: string[] = []
  for (let i = 0; i < 2000; i++) ids.push(await send(emu, '/S/h'))
  emu.clock.advance('10ms')
  const suspended = ids.filter(id => emu.invocations.get(id)?.status === 'suspended').length
  t.ok(Math.abs(suspended / 2000 - 0.3) < 0.03, `${suspended}/2000 ≈ 30% suspended`)
  t.equal(ids.filter(id => emu.invocations.get(id)?.status === 'completed').length, 2000 - suspended)
  emu.clock.runUntilIdle()
  t.ok(ids.every(id => emu.invocations.get(id)?.status === 'completed'))
})

t.test('transient.firstAttempts: fails N times with code and message, then succeeds', async t => {
  const emu = await emulatorWith(t, { services: [{ name: 'S', handlers: { h: { duration: 10, transient: { firstAttempts: 3, code: 503, message: 'warming up' }, output: { value: 1 } } } }] })
  const id = await send(emu, '/S/h')
  emu.clock.advance('10ms')
  t.match(await getInvocation(emu, id), { status: 'backing-off', retry_count: 1, last_failure: '[503] warming up', last_failure_error_code: 'RT0007', next_retry_at: '2026-01-01T00:00:00.510Z' })
  emu.clock.runUntilIdle()
  const done = await getInvocation(emu, id)
  t.match(done, { status: 'completed', completion_result: 'success', retry_count: 3, last_failure: '[503] warming up', next_retry_at: null })
  t.equal(ms(done.completed_at), 10 + 500 + 10 + 1000 + 10 + 2000 + 10)
})

t.test('transient and terminal probabilities with code and message, end to end', async t => {
  const emu = await emulatorWith(t, {
    retryPolicy: { maxAttempts: 1000 },
    services: [{ name: 'S', handlers: { h: { duration: 10, transient: { probability: 0.25, code: 502, message: 'bad gateway' }, terminal: { probability: 0.1, code: 402, message: 'declined' } } } }]
  }, 8)
  const ids: string[] = []
  for (let i = 0; i < 2000; i++) ids.push(await send(emu, '/S/h'))
  emu.clock.runUntilIdle()
  const records = ids.map(id => emu.invocations.get(id) as Invocation)
  const retried = records.filter(r => (r.retry_count ?? 0) > 0)
  const declined = records.filter(r => r.completion_result === 'failure')
  t.ok(Math.abs(retried.length / 2000 - 0.25) < 0.03, `${retried.length}/2000 ≈ 25% needed a retry`)
  // Each attempt that is not transient is terminal with 10%: P(terminal) = 0.1 overall.
  t.ok(Math.abs(declined.length / 2000 - 0.1) < 0.02, `${declined.length}/2000 ≈ 10% declined`)
  t.ok(retried.every(r => r.last_failure === '[502] bad gateway'))
  t.ok(declined.every(r => r.completion_failure === '[402] declined'))

  // A sync caller gets the terminal failure as Restate answers it.
  const emu2 = await emulatorWith(t, { services: [{ name: 'S', handlers: { h: { duration: 10, terminal: { code: 422, message: 'invalid order' } } } }] })
  const created = nextEvent(emu2, 'created')
  const pending = emu2.injectIngress({ method: 'POST', url: '/S/h', payload: '{}' })
  await created
  emu2.clock.runUntilIdle()
  const res = await pending
  t.equal(res.statusCode, 422)
  t.same(res.json(), { code: 422, message: 'invalid order', source: 'invocation' })
})

t.test('outputs through a sync call: fixed value, echo, template with input fields and the key', async t => {
  const emu = await emulatorWith(t, {
    services: [
      { name: 'Fixed', handlers: { h: { output: { value: { ok: true, items: [1, 2] } } } } },
      { name: 'Echo', handlers: { h: { output: { echo: true } } } },
      { name: 'Cart', type: 'virtual_object', handlers: { checkout: { output: { template: 'order for {{key}}: {{input.qty}} x {{input.sku}} (attempt {{attempt}})' } } } },
      { name: 'Nothing', handlers: { h: {} } }
    ]
  })
  const call = async (url: string, payload?: unknown): Promise<unknown> => {
    const created = nextEvent(emu, 'created')
    const pending = emu.injectIngress({ method: 'POST', url, payload: payload === undefined ? undefined : JSON.stringify(payload) })
    await created
    emu.clock.runUntilIdle()
    const res = await pending
    t.equal(res.statusCode, 200, url)
    return res.json()
  }
  t.same(await call('/Fixed/h'), { ok: true, items: [1, 2] })
  t.same(await call('/Echo/h', { a: [1, { b: 'c' }] }), { a: [1, { b: 'c' }] })
  t.equal(await call('/Cart/cust-9/checkout', { qty: 2, sku: 'SKU-1' }), 'order for cust-9: 2 x SKU-1 (attempt 1)')
  t.equal(await call('/Nothing/h'), null)
})

t.test('retry policy per handler: exact timing capped at maxInterval, then pause → suspended + paused', async t => {
  const emu = await emulatorWith(t, {
    services: [{
      name: 'S',
      handlers: { h: { duration: 0, transient: { probability: 1, message: 'down' }, retryPolicy: { maxInterval: '3s', maxAttempts: 7, onMaxAttempts: 'pause' } } }
    }]
  })
  const seen = track(emu, 'S/h')
  const id = await send(emu, '/S/h')
  emu.clock.runUntilIdle()
  const backoffs = seen.filter(s => s.startsWith('backing-off')).map(s => Number(s.split('@')[1]))
  const retries = seen.slice(1).filter(s => s.startsWith('ready')).map(s => Number(s.split('@')[1]))
  t.same(retries.map((r, i) => r - backoffs[i]), [500, 1000, 2000, 3000, 3000, 3000])
  const paused = await getInvocation(emu, id)
  t.match(paused, { status: 'suspended', paused: true, retry_count: 6, last_failure: '[500] down', next_retry_at: null })
  t.notOk('completed_at' in paused)
  t.equal(seen.at(-1), `suspended@${500 + 1000 + 2000 + 3000 * 3}`)

  // Resume gives it a fresh attempt (still failing, so it pauses again at once).
  const resumed = await emu.injectAdmin({ method: 'PATCH', url: `/invocations/${id}/resume` })
  t.equal(resumed.statusCode, 200)
  emu.clock.runUntilIdle()
  t.match(emu.invocations.get(id), { status: 'suspended', paused: true })
})

t.test('retry policy kill: completes with the last failure after maxAttempts', async t => {
  const emu = await emulatorWith(t, {
    services: [{ name: 'S', handlers: { h: { duration: 10, transient: { probability: 1, code: 503, message: 'unavailable' }, retryPolicy: { initialInterval: '100ms', maxAttempts: 3, onMaxAttempts: 'kill' } } } }]
  })
  const created = nextEvent(emu, 'created')
  const pending = emu.injectIngress({ method: 'POST', url: '/S/h' })
  const { id } = await created
  emu.clock.runUntilIdle()
  const res = await pending
  t.equal(res.statusCode, 503)
  t.match(res.json(), { code: 503, message: 'unavailable' })
  const record = await getInvocation(emu, id)
  t.match(record, { status: 'completed', completion_result: 'failure', completion_failure: '[503] unavailable', retry_count: 2 })
  t.equal(ms(record.completed_at), 10 + 100 + 10 + 200 + 10)
})

t.test('retry policies layer: fixture, then service, then handler; the default is 70 attempts then pause', async t => {
  const emu = await emulatorWith(t, {
    retryPolicy: { initialInterval: '100ms', maxAttempts: 4 },
    services: [
      {
        name: 'S',
        retryPolicy: { exponentiationFactor: 3 },
        handlers: {
          layered: { duration: 0, transient: { probability: 1 }, retryPolicy: { maxAttempts: 3, onMaxAttempts: 'kill' } },
          service: { duration: 0, transient: { probability: 1 } }
        }
      },
      { name: 'D', handlers: { h: { duration: 0, transient: { probability: 1 } } } }
    ]
  })
  const layered = await send(emu, '/S/layered')
  const service = await send(emu, '/S/service')
  emu.clock.runUntilIdle()
  t.match(emu.invocations.get(layered), { status: 'completed', retry_count: 2, completed_at: '2026-01-01T00:00:00.400Z' })
  t.match(emu.invocations.get(service), { status: 'suspended', paused: true, retry_count: 3, modified_at: '2026-01-01T00:00:01.300Z' })

  const emu2 = await emulatorWith(t, { services: [{ name: 'D', handlers: { h: { duration: 0, transient: { probability: 1 } } } }] })
  const id = await send(emu2, '/D/h')
  emu2.clock.runUntilIdle()
  const waited = 500 + 1000 + 2000 + 4000 + 8000 + 16_000 + 32_000 + 60_000 * 62
  t.match(emu2.invocations.get(id), { status: 'suspended', paused: true, retry_count: 69, modified_at: new Date(T0 + waited).toISOString() })
})

t.test('a per-call behaviour keeps the service retry policy', async t => {
  const emu = await emulatorWith(t, {
    services: [{ name: 'S', retryPolicy: { initialInterval: '2s', maxAttempts: 2, onMaxAttempts: 'kill' }, handlers: { h: { duration: 0 } } }]
  })
  const id = await send(emu, '/S/h', undefined, { 'x-emulator-behavior': 'fail-attempts=5; code=503; message=nope' })
  emu.clock.runUntilIdle()
  t.match(emu.invocations.get(id), { status: 'completed', retry_count: 1, completion_failure: '[503] nope', completed_at: '2026-01-01T00:00:02.000Z' })
})

t.test('a concurrency limit makes `ready` visible and starts waiting invocations in arrival order', async t => {
  const emu = await emulatorWith(t, { services: [{ name: 'Reports', concurrency: 2, handlers: { generate: { duration: '1s' } } }, { name: 'Other', handlers: { h: { duration: '1s' } } }] })
  const ids: string[] = []
  for (let i = 0; i < 5; i++) ids.push(await send(emu, '/Reports/generate'))
  const other = await send(emu, '/Other/h')
  const status = (): string[] => ids.map(id => emu.invocations.get(id)?.status as string)
  t.same(status(), ['running', 'running', 'ready', 'ready', 'ready'])
  t.equal(emu.invocations.get(other)?.status, 'running', 'other services are not limited')
  const list = await checked(o => emu.injectAdmin(o), { method: 'GET', url: '/invocations?status=ready' })
  t.same((list.json().invocations as Invocation[]).map(i => i.id).sort(), ids.slice(2).sort())
  emu.clock.advance('1s')
  t.same(status(), ['completed', 'completed', 'running', 'running', 'ready'])
  emu.clock.advance('1s')
  t.same(status(), ['completed', 'completed', 'completed', 'completed', 'running'])
  emu.clock.advance('1s')
  t.same(ids.map(id => ms(emu.invocations.get(id)?.running_at)), [0, 0, 1000, 1000, 2000])
})

t.test('a slot freed by a retry, a suspension or a kill goes to the next ready invocation', async t => {
  const emu = await emulatorWith(t, {
    services: [{ name: 'S', concurrency: 1, handlers: { flaky: { duration: '1s', transient: { firstAttempts: 1 } }, sleepy: { duration: '1s', suspend: { duration: '1h' } }, ok: { duration: '1s' } } }]
  })
  const flaky = await send(emu, '/S/flaky')
  const sleepy = await send(emu, '/S/sleepy')
  const ok = await send(emu, '/S/ok')
  emu.clock.advance('1s')
  t.same([flaky, sleepy, ok].map(id => emu.invocations.get(id)?.status), ['backing-off', 'running', 'ready'])
  emu.clock.advance('1s')
  t.same([flaky, sleepy, ok].map(id => emu.invocations.get(id)?.status), ['ready', 'suspended', 'running'], 'the retry waits its turn behind ok')
  emu.clock.runUntilIdle()
  t.ok([flaky, sleepy, ok].every(id => emu.invocations.get(id)?.status === 'completed'))
})

t.test('seed invocations are loaded as given and driven from their status', async t => {
  const base = { target_service_name: 'S', target_handler_name: 'h', target_service_key: null, trace_id: '0123456789abcdef0123456789abcdef', retry_count: 0, last_failure: null, next_retry_at: null }
  const seeds: Invocation[] = [
    { ...base, id: 'inv_1aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', target: 'S/h', status: 'completed', created_at: '2025-12-31T10:00:00.000Z', modified_at: '2025-12-31T10:00:01.000Z', completed_at: '2025-12-31T10:00:01.000Z', completion_result: 'success' },
    { ...base, id: 'inv_1bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', target: 'S/h', status: 'pending', created_at: '2025-12-31T23:00:00.000Z', scheduled_start_at: '2026-01-01T00:00:05.000Z' },
    { ...base, id: 'inv_1ccccccccccccccccccccccccccccccccc', target: 'S/h', status: 'backing-off', created_at: '2025-12-31T23:00:00.000Z', retry_count: 3, last_failure: '[500] x', next_retry_at: '2026-01-01T00:00:02.000Z' },
    { ...base, id: 'inv_1ddddddddddddddddddddddddddddddddd', target: 'S/h', status: 'suspended', paused: true, created_at: '2025-12-31T23:00:00.000Z' },
    { id: 'inv_1eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee', target: 'S/h', status: 'ready' }
  ]
  const emu = await emulatorWith(t, { services: [{ name: 'S', handlers: { h: { duration: '1s' } } }], invocations: seeds })
  for (const seed of seeds.slice(0, 4)) t.same(await getInvocation(emu, seed.id), seed, `${seed.status} as given`)
  t.equal(emu.invocations.get(seeds[4].id)?.status, 'running', 'a ready seed starts at once')
  emu.clock.advance('2s')
  t.match(emu.invocations.get(seeds[2].id), { status: 'running', retry_count: 3, next_retry_at: null }, 'backing-off retries at next_retry_at')
  emu.clock.advance('3s')
  t.match(emu.invocations.get(seeds[1].id), { status: 'running', running_at: '2026-01-01T00:00:05.000Z' }, 'pending starts at scheduled_start_at')
  emu.clock.runUntilIdle()
  t.match(emu.invocations.get(seeds[3].id), { status: 'suspended', paused: true }, 'paused waits for resume')
  t.ok(emu.invocations.get(seeds[0].id), 'history dated before the start is kept for its retention from load')
  emu.clock.advance('1d')
  t.equal(emu.invocations.get(seeds[0].id), undefined, '…and then expires')
})

t.test('seed invocations violating the seed schema stop the emulator with the reason', async t => {
  const services = [{ name: 'S', handlers: { h: {} } }]
  const cases: Array<[unknown, RegExp]> = [
    [{ id: 'inv_1aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', target: 'S/h', status: 'sleeping' }, /fixture\/invocations\/0\/status/],
    [{ id: 'inv_1aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', status: 'ready' }, /fixture\/invocations\/0/],
    [{ id: 'inv_1aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', target: 'S/h', status: 'ready', retry_count: 1.5 }, /fixture\/invocations\/0\/retry_count/],
    [{ id: 'inv_1aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', target: 'S/h', status: 'ready', trace_id: null }, /fixture\/invocations\/0\/trace_id/],
    [{ id: 'nope', target: 'S/h', status: 'ready' }, /fixture\/invocations\/0\/id: 'nope' is not an invocation id/]
  ]
  for (const [record, message] of cases) {
    await t.rejects(manualEmulator(t, { fixture: { services, invocations: [record as Invocation] } }), { name: 'ConfigError', message }, JSON.stringify(record))
  }
})

t.test('demo traffic: arrivals follow the rate, targets follow the mix', async t => {
  const emu = await emulatorWith(t, {
    services: [
      { name: 'A', handlers: { a: { duration: '10ms' } } },
      { name: 'B', handlers: { b: { duration: '10ms' } } },
      { name: 'Obj', type: 'virtual_object', handlers: { o: { kind: 'shared', duration: '10ms' } } }
    ],
    traffic: { rate: 5, mix: [{ target: 'A/a', weight: 1 }, { target: 'B/b', weight: 3 }, { target: 'Obj/o', weight: 1, keys: 4, input: { from: 'traffic' } }] }
  }, 21)
  const created: Invocation[] = []
  emu.core.engine.on(e => { if (e.type === 'created') created.push(structuredClone(e.invocation)) })
  t.equal(emu.clock.runUntilIdle().fired, 0, 'traffic alone never keeps the emulator busy')
  const seconds = 2000
  emu.clock.advance(`${seconds}s`)
  const rate = created.length / seconds
  t.comment(`demo traffic: ${created.length} arrivals in ${seconds}s (rate 5/s): ${rate.toFixed(3)}/s`)
  t.ok(Math.abs(rate - 5) < 0.25, `rate ${rate.toFixed(3)} ≈ 5/s`)
  const share = (service: string): number => created.filter(i => i.target_service_name === service).length / created.length
  t.comment(`mix 1:3:1 → A ${share('A').toFixed(3)} B ${share('B').toFixed(3)} Obj ${share('Obj').toFixed(3)}`)
  t.ok(Math.abs(share('A') - 0.2) < 0.02, 'A ≈ 20%')
  t.ok(Math.abs(share('B') - 0.6) < 0.02, 'B ≈ 60%')
  t.ok(Math.abs(share('Obj') - 0.2) < 0.02, 'Obj ≈ 20%')
  t.same([...new Set(created.filter(i => i.target_service_name === 'Obj').map(i => i.target_service_key))].sort(), ['key-0', 'key-1', 'key-2', 'key-3'])
  // Inter-arrival gaps are exponential: about 1/e of them exceed the mean gap of 200ms.
  const times = created.map(i => Date.parse(i.created_at as string))
  const long = times.slice(1).filter((at, i) => at - times[i] > 200).length
  t.ok(Math.abs(long / (times.length - 1) - Math.exp(-1)) < 0.03, `Poisson arrivals (${(long / (times.length - 1)).toFixed(3)} of gaps > mean)`)
  const status = await emu.injectAdmin({ method: 'GET', url: '/_emulator/traffic' })
  t.match(status.json(), { enabled: true, rate: 5, generated: created.length, rejected: 0 })
})

t.test('demo traffic without a mix spreads over every handler; enabled: false waits for POST /traffic', async t => {
  const emu = await emulatorWith(t, {
    services: [{ name: 'A', handlers: { a: {}, b: {} } }, { name: 'W', type: 'workflow', handlers: { run: {}, get: {} } }],
    traffic: { rate: 10, enabled: false }
  }, 2)
  emu.clock.advance('10s')
  t.equal(emu.invocations.list().length, 0)
  const res = await emu.injectAdmin({ method: 'POST', url: '/_emulator/traffic', payload: {} })
  t.match(res.json(), { enabled: true, rate: 10, mix: [{ target: 'A/a', weight: 1 }, { target: 'A/b', weight: 1 }, { target: 'W/run', weight: 1 }, { target: 'W/get', weight: 1 }] })
  emu.clock.advance('100s')
  const targets = new Set(emu.invocations.list().map(i => `${i.target_service_name}/${i.target_handler_name}`))
  t.same([...targets].sort(), ['A/a', 'A/b', 'W/get', 'W/run'])
})
