import t from 'tap'
import type { Test } from 'tap'
import type { EmulatorInstance, Fixture, Invocation } from '../../src/index.js'
import { TEST_FIXTURE, checked, manualEmulator } from '../helpers/emulator.js'
import { assertInvocationsIn } from '../helpers/schema.js'

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH'

/** A control/admin request whose invocations are checked against the seed schema. */
function admin (emu: EmulatorInstance) {
  return async (method: Method, url: string, payload?: unknown) =>
    checked(o => emu.injectAdmin(o), { method, url, ...(payload === undefined ? {} : { payload: payload as string }) })
}

async function sendCall (emu: EmulatorInstance, url: string, payload?: unknown): Promise<string> {
  const res = await checked(o => emu.injectIngress(o), { method: 'POST', url, payload: payload === undefined ? undefined : JSON.stringify(payload) })
  if (res.statusCode !== 202) throw new Error(`${url}: ${res.statusCode} ${res.body}`)
  return res.json().invocationId as string
}

const SEED: Invocation = {
  id: 'inv_1ItDxNDQCOiTjfhvlJj6bGR1xVnoSja2w9',
  target: 'Greeter/greet',
  target_service_name: 'Greeter',
  target_handler_name: 'greet',
  target_service_key: null,
  status: 'completed',
  created_at: '2025-12-31T12:00:00.000Z',
  modified_at: '2025-12-31T12:00:00.100Z',
  completed_at: '2025-12-31T12:00:00.100Z',
  completion_result: 'success',
  retry_count: 0,
  last_failure: null,
  next_retry_at: null
}

async function busyEmulator (t: Test, options = {}): Promise<EmulatorInstance> {
  return manualEmulator(t, { fixture: { ...TEST_FIXTURE, invocations: [SEED] }, ...options })
}

t.test('POST /reset returns to the start state: same ids again for the same calls', async t => {
  const emu = await busyEmulator(t)
  const req = admin(emu)
  const script = async (): Promise<string[]> => {
    const ids = [
      await sendCall(emu, '/Greeter/greet/send', 'a'),
      await sendCall(emu, '/Counter/k1/add/send', 1),
      await sendCall(emu, '/Flaky/twice/send'),
      await sendCall(emu, '/Signup/u1/run/send')
    ]
    emu.clock.advance('3s')
    return ids
  }
  const first = await script()
  const listFirst = (await req('GET', '/invocations')).body
  await req('POST', '/_emulator/faults', { effect: { type: 'latency', by: '1s' } })
  await req('PUT', '/_emulator/fixture', { services: [{ name: 'Other', handlers: { h: {} } }] })
  await req('POST', '/_emulator/traffic', { rate: 50 })
  emu.clock.advance('1m')

  const reset = await emu.injectAdmin({ method: 'POST', url: '/_emulator/reset' })
  t.equal(reset.statusCode, 204)
  t.equal(reset.body, '')
  t.same((await req('GET', '/invocations')).json().invocations.map((i: Invocation) => i.id), [SEED.id], 'only the seed invocations are back')
  t.match((await req('GET', '/_emulator/clock')).json(), { now: '2026-01-01T00:00:00.000Z', pending_timers: 0 })
  t.same((await req('GET', '/_emulator/faults')).json(), { faults: [] })
  t.same((await req('GET', '/_emulator/fixture')).json(), { ...TEST_FIXTURE, invocations: [SEED] }, 'the initial fixture is back')
  t.match((await req('GET', '/_emulator/traffic')).json(), { enabled: false })
  t.match((await req('GET', '/_emulator/stats')).json(), { invocations: 1, seed: 1 })

  const second = await script()
  t.same(second, first, 'the same ids')
  t.equal((await req('GET', '/invocations')).body, listFirst, 'the same records, byte for byte')
  emu.reset()
  t.same(await script(), first, 'the library reset() does the same')
})

t.test('GET /clock describes the clock', async t => {
  const emu = await manualEmulator(t)
  await sendCall(emu, '/Greeter/greet/send')
  const res = await emu.injectAdmin({ method: 'GET', url: '/_emulator/clock' })
  t.equal(res.statusCode, 200)
  t.same(res.json(), { mode: 'manual', now: '2026-01-01T00:00:00.000Z', pending_timers: 1, next_timer_at: '2026-01-01T00:00:00.100Z' })
  const real = await manualEmulator(t, { clock: 'real', speed: 10 })
  t.match((await real.injectAdmin({ method: 'GET', url: '/_emulator/clock' })).json(), { mode: 'real', speed: 10, pending_timers: 0, next_timer_at: null })
})

t.test('POST /clock/advance by and to: fires due timers in time order and reports them', async t => {
  const emu = await manualEmulator(t, {
    fixture: { services: [{ name: 'S', handlers: { a: { duration: '3s' }, b: { duration: '1s' }, c: { duration: '2s' }, late: { duration: '1h' } } }] }
  })
  const order: string[] = []
  emu.core.engine.on(e => {
    if (e.type === 'transition' && e.to === 'completed') order.push(`${e.invocation.target_handler_name}@${e.invocation.completed_at}`)
  })
  for (const h of ['a', 'b', 'c', 'late']) await sendCall(emu, `/S/${h}/send`)

  const by = await emu.injectAdmin({ method: 'POST', url: '/_emulator/clock/advance', payload: { by: '2500ms' } })
  t.equal(by.statusCode, 200)
  t.same(by.json(), {
    from: '2026-01-01T00:00:00.000Z',
    to: '2026-01-01T00:00:02.500Z',
    fired: 2,
    truncated: false,
    clock: { mode: 'manual', now: '2026-01-01T00:00:02.500Z', pending_timers: 2, next_timer_at: '2026-01-01T00:00:03.000Z' }
  })
  t.same(order, ['b@2026-01-01T00:00:01.000Z', 'c@2026-01-01T00:00:02.000Z'])

  const to = await emu.injectAdmin({ method: 'POST', url: '/_emulator/clock/advance', payload: { to: '2026-01-01T00:00:10.000Z' } })
  t.match(to.json(), { from: '2026-01-01T00:00:02.500Z', to: '2026-01-01T00:00:10.000Z', fired: 1 })
  t.same(order.at(-1), 'a@2026-01-01T00:00:03.000Z')

  const ms = await emu.injectAdmin({ method: 'POST', url: '/_emulator/clock/advance', payload: { by: 1000 } })
  t.match(ms.json(), { to: '2026-01-01T00:00:11.000Z', fired: 0 }, 'a number is milliseconds')

  const idle = await emu.injectAdmin({ method: 'POST', url: '/_emulator/clock/run-until-idle' })
  t.equal(idle.statusCode, 200)
  t.same(idle.json(), {
    from: '2026-01-01T00:00:11.000Z',
    to: '2026-01-01T01:00:00.000Z',
    fired: 1,
    truncated: false,
    clock: { mode: 'manual', now: '2026-01-01T01:00:00.000Z', pending_timers: 0, next_timer_at: '2026-01-02T00:00:01.000Z' }
  }, 'only retention timers are left, and they do not count as work')
  t.same(order.at(-1), 'late@2026-01-01T01:00:00.000Z')
  t.match((await emu.injectAdmin({ method: 'POST', url: '/_emulator/clock/run-until-idle' })).json(), { fired: 0, to: '2026-01-01T01:00:00.000Z' })
})

t.test('POST /clock/advance refuses bad bodies with 400 naming the field, and a real clock with 409', async t => {
  const emu = await manualEmulator(t)
  const cases: Array<[unknown, RegExp]> = [
    [{ by: 'soon' }, /body\/by: 'soon' is not a duration/],
    [{ by: -5 }, /by|body/],
    [{ to: '2025-01-01T00:00:00.000Z' }, /body\/to: 2025-01-01T00:00:00.000Z is before the clock's time 2026-01-01T00:00:00.000Z/],
    [{ to: 'tomorrow' }, /to|body/],
    [{}, /body/],
    [{ by: '1s', to: '2026-02-01T00:00:00.000Z' }, /body/]
  ]
  for (const [payload, message] of cases) {
    const res = await emu.injectAdmin({ method: 'POST', url: '/_emulator/clock/advance', payload: payload as Record<string, unknown> })
    t.equal(res.statusCode, 400, JSON.stringify(payload))
    t.match(res.json(), { message, restate_code: null }, JSON.stringify(payload))
  }
  t.equal(emu.clock.now(), Date.parse('2026-01-01T00:00:00.000Z'), 'time did not move')

  const real = await manualEmulator(t, { clock: 'real' })
  for (const [url, payload] of [['/_emulator/clock/advance', { by: '1s' }], ['/_emulator/clock/run-until-idle', undefined]] as const) {
    const res = await real.injectAdmin({ method: 'POST', url, payload })
    t.equal(res.statusCode, 409, url)
    t.match(res.json().message, /the clock is real/)
  }
})

t.test('GET and PUT /fixture: replace the catalog; a bad fixture is a 400 naming the field', async t => {
  const emu = await manualEmulator(t)
  const req = admin(emu)
  t.same((await req('GET', '/_emulator/fixture')).json(), TEST_FIXTURE)
  const running = await sendCall(emu, '/Greeter/greet/send')
  const next: Fixture = { services: [{ name: 'Billing', concurrency: 1, handlers: { invoice: { duration: '2s', output: { value: 'sent' } } } }] }
  const put = await req('PUT', '/_emulator/fixture', next)
  t.equal(put.statusCode, 200)
  t.same(put.json(), next)
  t.same((await req('GET', '/_emulator/fixture')).json(), next)
  t.same((await emu.injectIngress({ method: 'GET', url: '/restate/health' })).json(), { services: ['Billing'] })
  t.equal((await emu.injectIngress({ method: 'POST', url: '/Greeter/greet/send' })).statusCode, 404, 'old services are gone')
  emu.clock.runUntilIdle()
  t.match(emu.invocations.get(running), { status: 'completed', completion_result: 'success' }, 'in-flight invocations keep their behaviour')

  const bad = await req('PUT', '/_emulator/fixture', { services: [{ name: 'B', handlers: { h: { duration: { uniform: { min: '2s', max: '1s' } } } } }] })
  t.equal(bad.statusCode, 400)
  t.same(bad.json(), { message: 'body/services/0/handlers/h/duration: uniform min is greater than max', restate_code: null })
  const bad2 = await req('PUT', '/_emulator/fixture', { services: [{ name: 'B', handlers: { h: { terminal: { code: 99 } } } }] })
  t.match(bad2.json(), { message: /^body\/services\/0\/handlers\/h\/terminal\/code: / })
  t.same((await req('GET', '/_emulator/fixture')).json(), next, 'a refused fixture changes nothing')
  const withTraffic = await req('PUT', '/_emulator/fixture', { ...next, traffic: { rate: 2 } })
  t.equal(withTraffic.statusCode, 200)
  t.match((await req('GET', '/_emulator/traffic')).json(), { enabled: true, rate: 2 }, 'a fixture with traffic starts it')
})

t.test('GET /fixture/schema serves the JSON Schema of the format', async t => {
  const emu = await manualEmulator(t)
  const res = await emu.injectAdmin({ method: 'GET', url: '/_emulator/fixture/schema' })
  t.equal(res.statusCode, 200)
  t.match(res.json(), { $schema: 'http://json-schema.org/draft-07/schema#', title: 'restate-emulator fixture', required: ['services'] })
})

t.test('POST /invocations inserts records as given: 201; invalid → 400 naming the field; a duplicate → 409', async t => {
  const emu = await manualEmulator(t)
  const req = admin(emu)
  const one = await req('POST', '/_emulator/invocations', SEED)
  t.equal(one.statusCode, 201)
  t.same(one.json(), { invocations: [SEED] })
  t.same((await req('GET', `/invocations/${SEED.id}`)).json(), SEED)

  const inFlight: Invocation[] = [
    { id: 'inv_1bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', target: 'Counter/k9/add', target_service_name: 'Counter', target_handler_name: 'add', target_service_key: 'k9', status: 'backing-off', created_at: '2026-01-01T00:00:00.000Z', retry_count: 2, last_failure: '[500] x', next_retry_at: '2026-01-01T00:00:05.000Z' },
    { id: 'inv_1ccccccccccccccccccccccccccccccccc', target: 'Counter/k9/add', target_service_name: 'Counter', target_handler_name: 'add', target_service_key: 'k9', status: 'pending', created_at: '2026-01-01T00:00:00.000Z', inboxed_at: '2026-01-01T00:00:00.000Z' }
  ]
  const many = await req('POST', '/_emulator/invocations', inFlight)
  t.equal(many.statusCode, 201)
  t.same(many.json().invocations.map((i: Invocation) => i.status), ['backing-off', 'pending'])
  emu.clock.advance('5s')
  t.same(inFlight.map(i => emu.invocations.get(i.id)?.status), ['running', 'pending'], 'the inserted records are driven: the retry holds the key')
  emu.clock.runUntilIdle()
  t.same(inFlight.map(i => emu.invocations.get(i.id)?.status), ['completed', 'completed'])

  const cases: Array<[unknown, RegExp]> = [
    [{ ...SEED, id: 'inv_1ddddddddddddddddddddddddddddddddd', status: 'paused' }, /status/],
    [{ ...SEED, id: 'inv_1ddddddddddddddddddddddddddddddddd', retry_count: -1 }, /retry_count/],
    [{ ...SEED, id: 'inv_1ddddddddddddddddddddddddddddddddd', created_at: 'last week' }, /created_at/],
    [{ ...SEED, id: 'inv_1ddddddddddddddddddddddddddddddddd', target: undefined }, /target/],
    [{ ...SEED, id: 'inv_bad' }, /invocation \/0\/id: 'inv_bad' is not an invocation id/],
    [[{ ...SEED, id: 'inv_1eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee' }, { ...SEED, id: 'inv_1ddddddddddddddddddddddddddddddddd', target_service_key: 5 }], /invocation \/1\/target_service_key/]
  ]
  for (const [payload, message] of cases) {
    const res = await emu.injectAdmin({ method: 'POST', url: '/_emulator/invocations', payload: JSON.parse(JSON.stringify(payload)) })
    t.equal(res.statusCode, 400, JSON.stringify(payload).slice(0, 80))
    t.match(res.json().message, message)
  }
  t.notOk(emu.invocations.get('inv_1eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee'), 'nothing of a refused batch is inserted')
  const twice = await emu.injectAdmin({ method: 'POST', url: '/_emulator/invocations', payload: [{ ...SEED, id: 'inv_1fffffffffffffffffffffffffffffffff' }, { ...SEED, id: 'inv_1fffffffffffffffffffffffffffffffff' }] })
  t.equal(twice.statusCode, 409, 'the same id twice in one batch')
  t.notOk(emu.invocations.get('inv_1fffffffffffffffffffffffffffffffff'))
  const dup = await emu.injectAdmin({ method: 'POST', url: '/_emulator/invocations', payload: SEED as unknown as Record<string, unknown> })
  t.equal(dup.statusCode, 409)
  t.match(dup.json().message, /already exists/)
})

t.test('POST /invocations/{id}/transition: legal moves apply; an illegal one is a 409 naming both statuses', async t => {
  const emu = await manualEmulator(t)
  const req = admin(emu)
  const id = await sendCall(emu, '/Greeter/greet/send')
  const suspended = await req('POST', `/_emulator/invocations/${id}/transition`, { to: 'suspended' })
  t.equal(suspended.statusCode, 200)
  t.match(suspended.json(), { id, status: 'suspended' })
  emu.clock.advance('1h')
  t.equal(emu.invocations.get(id)?.status, 'suspended', 'a forced suspension waits')

  const illegal = await req('POST', `/_emulator/invocations/${id}/transition`, { to: 'backing-off' })
  t.equal(illegal.statusCode, 409)
  t.same(illegal.json(), { message: `Cannot move invocation '${id}' from 'suspended' to 'backing-off'.`, restate_code: null })

  t.match((await req('POST', `/_emulator/invocations/${id}/transition`, { to: 'ready' })).json(), { status: 'running' }, 'ready starts at once when a slot is free')
  const backing = await req('POST', `/_emulator/invocations/${id}/transition`, { to: 'backing-off' })
  t.match(backing.json(), { status: 'backing-off', retry_count: 1, last_failure: '[500] transition forced by the control API' })
  t.match((await req('POST', `/_emulator/invocations/${id}/transition`, { to: 'completed' })).json(), { status: 'completed', completion_result: 'success' })
  for (const to of ['pending', 'ready', 'running', 'suspended', 'backing-off', 'completed']) {
    const res = await req('POST', `/_emulator/invocations/${id}/transition`, { to })
    t.equal(res.statusCode, 409, `completed -> ${to}`)
    t.match(res.json().message, `from 'completed' to '${to}'`)
  }

  const unknown = await req('POST', '/_emulator/invocations/inv_1zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz/transition', { to: 'ready' })
  t.equal(unknown.statusCode, 404)
  t.equal((await req('POST', '/_emulator/invocations/nope/transition', { to: 'ready' })).statusCode, 400)
  const badStatus = await req('POST', `/_emulator/invocations/${id}/transition`, { to: 'paused' })
  t.equal(badStatus.statusCode, 400)
  t.match(badStatus.json().message, /to/)
})

t.test('GET /snapshot → PUT → GET returns the same document, byte for byte', async t => {
  const emu = await busyEmulator(t, { fixture: { ...TEST_FIXTURE, services: [...TEST_FIXTURE.services, { name: 'Slow', concurrency: 1, handlers: { h: { duration: '10s' } } }], invocations: [SEED] } })
  const req = admin(emu)
  await req('POST', '/_emulator/faults', { target: 'Greeter/*', probability: 0.5, count: 5, effect: { type: 'latency', by: '1s' } })
  await sendCall(emu, '/Greeter/greet/send', 'a')
  await sendCall(emu, '/Flaky/always/send')
  await sendCall(emu, '/Flaky/sleepy/send')
  await sendCall(emu, '/Counter/k1/add/send', 1)
  await sendCall(emu, '/Counter/k1/add/send', 2)
  await sendCall(emu, '/Greeter/greet/send?delay=1h', 'later')
  await sendCall(emu, '/Slow/h/send')
  await sendCall(emu, '/Slow/h/send')
  const paused = await sendCall(emu, '/Flaky/always/send')
  emu.clock.advance('50ms')
  await req('PATCH', `/invocations/${paused}/pause`)
  emu.clock.advance('70ms')
  const statuses = new Set(emu.invocations.list().map(i => i.status))
  t.same([...statuses].sort(), ['backing-off', 'completed', 'pending', 'ready', 'running', 'suspended'], 'every status is in the snapshot')

  const first = await req('GET', '/_emulator/snapshot')
  t.equal(first.statusCode, 200)
  t.ok(assertInvocationsIn(first.json()) >= 10)
  const put = await emu.injectAdmin({ method: 'PUT', url: '/_emulator/snapshot', payload: first.body, headers: { 'content-type': 'application/json' } })
  t.equal(put.statusCode, 200)
  t.same(put.json(), { invocations: first.json().invocations.length })
  const second = await req('GET', '/_emulator/snapshot')
  t.equal(second.body, first.body)

  // Restored into a fresh emulator, it carries on exactly as the original does.
  const copy = await manualEmulator(t, { fixture: { services: [] } })
  t.equal((await copy.injectAdmin({ method: 'PUT', url: '/_emulator/snapshot', payload: first.body, headers: { 'content-type': 'application/json' } })).statusCode, 200)
  t.equal((await copy.injectAdmin({ method: 'GET', url: '/_emulator/snapshot' })).body, first.body.replace(/"taken_at":"[^"]+"/, `"taken_at":"${new Date(copy.clock.now()).toISOString()}"`))
})

t.test('PUT /snapshot refuses an invalid document with 400 naming the field and keeps the state', async t => {
  const emu = await busyEmulator(t)
  const req = admin(emu)
  const good = (await req('GET', '/_emulator/snapshot')).json()
  const cases: Array<[unknown, RegExp]> = [
    [{ ...good, format: 'other' }, /snapshot\/format/],
    [{ ...good, version: 2 }, /snapshot\/version/],
    [{ ...good, invocations: [{ invocation: { ...SEED, status: 'zombie' } }] }, /snapshot\/invocations\/0\/invocation/],
    [{ ...good, fixture: { services: [{ name: 'S', handlers: { h: { duration: 'x' } } }] } }, /snapshot\/fixture\/services\/0\/handlers\/h\/duration/],
    ['not json at all', /.+/]
  ]
  for (const [payload, message] of cases) {
    const res = await emu.injectAdmin({ method: 'PUT', url: '/_emulator/snapshot', payload: typeof payload === 'string' ? payload : JSON.stringify(payload), headers: { 'content-type': 'application/json' } })
    t.equal(res.statusCode, 400, String(message))
    t.match(res.json().message, message)
  }
  t.same((await req('GET', '/_emulator/snapshot')).json(), good)
})

t.test('GET, POST and DELETE /traffic turn demo traffic on and off', async t => {
  const emu = await manualEmulator(t)
  const req = admin(emu)
  t.same((await req('GET', '/_emulator/traffic')).json(), { enabled: false, rate: 0, generated: 0, rejected: 0, mix: [] })
  const on = await req('POST', '/_emulator/traffic', { rate: 20, mix: [{ target: 'Greeter/greet', input: 'demo' }, { target: 'Counter/add', weight: 2, keys: 2 }] })
  t.equal(on.statusCode, 200)
  t.same(on.json(), { enabled: true, rate: 20, generated: 0, rejected: 0, mix: [{ target: 'Greeter/greet', weight: 1 }, { target: 'Counter/add', weight: 2 }] })
  emu.clock.advance('10s')
  const status = (await req('GET', '/_emulator/traffic')).json()
  t.ok(status.generated > 150 && status.generated < 250, `~200 arrivals in 10s at 20/s (${status.generated})`)
  const off = await req('DELETE', '/_emulator/traffic')
  t.match(off.json(), { enabled: false, generated: status.generated })
  emu.clock.advance('10s')
  t.equal((await req('GET', '/_emulator/traffic')).json().generated, status.generated, 'no arrivals once off')
  const bad = await req('POST', '/_emulator/traffic', { rate: 5, mix: [{ target: 'Nope/h' }] })
  t.equal(bad.statusCode, 404)
  const badRate = await req('POST', '/_emulator/traffic', { rate: 0 })
  t.equal(badRate.statusCode, 400)
  t.match(badRate.json().message, /rate/)
})

t.test('GET /stats counts invocations per status', async t => {
  const emu = await busyEmulator(t, { seed: 5 })
  await sendCall(emu, '/Greeter/greet/send')
  await sendCall(emu, '/Flaky/sleepy/send')
  emu.clock.advance('20ms')
  const res = await emu.injectAdmin({ method: 'GET', url: '/_emulator/stats' })
  t.equal(res.statusCode, 200)
  t.same(res.json(), {
    invocations: 3,
    by_status: { pending: 0, ready: 0, running: 1, 'backing-off': 0, suspended: 1, completed: 1 },
    seed: 5,
    last_event_id: emu.events.lastId
  })
})

t.test('with an admin token, every control endpoint needs it', async t => {
  const emu = await manualEmulator(t, { adminToken: 's3cret' })
  const endpoints: Array<[Method, string, unknown]> = [
    ['POST', '/_emulator/reset', undefined],
    ['GET', '/_emulator/clock', undefined],
    ['POST', '/_emulator/clock/advance', { by: '1s' }],
    ['POST', '/_emulator/clock/run-until-idle', undefined],
    ['GET', '/_emulator/fixture', undefined],
    ['PUT', '/_emulator/fixture', TEST_FIXTURE],
    ['POST', '/_emulator/invocations', SEED],
    ['GET', '/_emulator/faults', undefined],
    ['POST', '/_emulator/faults', { effect: { type: 'transient' } }],
    ['DELETE', '/_emulator/faults', undefined],
    ['GET', '/_emulator/snapshot', undefined],
    ['GET', '/_emulator/traffic', undefined],
    ['DELETE', '/_emulator/traffic', undefined],
    ['GET', '/_emulator/stats', undefined]
  ]
  for (const [method, url, payload] of endpoints) {
    const denied = await emu.injectAdmin({ method, url, ...(payload === undefined ? {} : { payload: payload as string }) })
    t.equal(denied.statusCode, 401, `${method} ${url} without the token`)
    const allowed = await emu.injectAdmin({ method, url, headers: { authorization: 'Bearer s3cret' }, ...(payload === undefined ? {} : { payload: payload as string }) })
    t.ok(allowed.statusCode < 400, `${method} ${url} with the token: ${allowed.statusCode}`)
  }
})
