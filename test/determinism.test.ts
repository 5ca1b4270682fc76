import t, { type Test } from 'tap'
import { createEmulator, type EmulatorInstance, type Fixture } from '../src/index.js'
import { checked, nextEvent, TEST_FIXTURE } from './helpers/emulator.js'
import { assertInvocationsIn } from './helpers/schema.js'

/** The test fixture plus randomness everywhere: distributions, probabilities, demo traffic. */
const FIXTURE: Fixture = {
  ...TEST_FIXTURE,
  services: [
    ...TEST_FIXTURE.services,
    {
      name: 'Payments',
      concurrency: 3,
      retryPolicy: { initialInterval: '200ms', maxAttempts: 5, onMaxAttempts: 'kill' },
      handlers: {
        charge: {
          duration: { lognormal: { median: '300ms', p99: '3s' } },
          transient: { probability: 0.3, code: 503, message: 'provider timeout' },
          terminal: { probability: 0.1, code: 402, message: 'declined' },
          suspend: { probability: 0.2, duration: { exponential: { mean: '5s' } } },
          output: { template: '{{id}} charged {{input.amount}} on attempt {{attempt}}' }
        },
        refund: { duration: { uniform: { min: '100ms', max: '2s' } }, output: { echo: true } }
      }
    }
  ],
  traffic: { rate: 2, enabled: false, mix: [{ target: 'Payments/charge', input: { amount: 7 } }, { target: 'Counter/add', keys: 3, input: 1 }] }
}

interface Session {
  events: string[]
  list: string
  outputs: string[]
}

/**
 * A scripted session touching every source of ids, times and random draws: sync calls and sends,
 * object queues, a workflow, idempotency, a delayed send, per-call behaviour, fault rules, demo
 * traffic, clock advances, cancel, kill, pause/resume, restart-as-new and purge.
 */
async function session (emu: EmulatorInstance): Promise<Session> {
  const outputs: string[] = []
  const ingress = (method: 'POST' | 'GET', url: string, payload?: unknown, headers: Record<string, string> = {}) =>
    checked(o => emu.injectIngress(o), { method, url, headers, ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }) })
  const admin = async (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown) => {
    const res = await checked(o => emu.injectAdmin(o), { method, url, ...(payload === undefined ? {} : { payload: payload as string }) })
    if (res.statusCode >= 400) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`)
    return res
  }
  const send = async (url: string, payload?: unknown, headers?: Record<string, string>): Promise<string> => {
    const [path, query] = url.split('?')
    const res = await ingress('POST', `${path}/send${query === undefined ? '' : `?${query}`}`, payload, headers)
    if (res.statusCode !== 202) throw new Error(`${url}: ${res.statusCode} ${res.body}`)
    return res.json().invocationId
  }
  const call = async (url: string, payload?: unknown, headers?: Record<string, string>): Promise<void> => {
    const created = nextEvent(emu, 'created')
    const pending = ingress('POST', url, payload, headers)
    await created
    emu.clock.runUntilIdle()
    const res = await pending
    outputs.push(`${res.statusCode} ${res.body}`)
  }

  await call('/Greeter/greet', 'Ada')
  await call('/Payments/charge', { amount: 10 })
  const charges: string[] = []
  for (let i = 0; i < 25; i++) charges.push(await send('/Payments/charge', { amount: i }))
  for (let i = 0; i < 4; i++) await send('/Counter/c1/add', i)
  await send('/Counter/c2/add', 9, { 'idempotency-key': 'once' })
  await send('/Counter/c2/add', 9, { 'idempotency-key': 'once' })
  await send('/Signup/u1/run')
  await send('/Signup/u1/run')
  const delayed = await send('/Greeter/greet?delay=10m', 'later')
  const toCancel = await send('/Greeter/greet?delay=1h', 'never')
  await send('/Flaky/twice', undefined, { 'x-emulator-behavior': 'fail-attempts=3; duration=75ms' })
  const paused = await send('/Flaky/always')

  await admin('POST', '/_emulator/faults', { target: 'Payments/*', probability: 0.5, count: 6, effect: { type: 'latency', by: '2s' } })
  await admin('POST', '/_emulator/faults', { target: 'Counter/*', key: 'c1', count: 1, effect: { type: 'suspend', for: '30s' } })
  emu.clock.advance('750ms')
  await admin('PATCH', `/invocations/${paused}/pause`)
  await admin('PATCH', `/invocations/${toCancel}/cancel`)
  await admin('PATCH', `/invocations/${charges[24]}/cancel`)
  await admin('PATCH', `/invocations/${charges[23]}/kill`)
  await admin('POST', '/_emulator/traffic', { rate: 3 })
  emu.clock.advance('20s')
  await admin('DELETE', '/_emulator/traffic')
  await admin('POST', '/_emulator/faults', { target: 'Flaky/always', effect: { type: 'terminal', code: 410, message: 'gone' } })
  await admin('PATCH', `/invocations/${paused}/resume`)
  await call('/Counter/c3/add', 5)
  await admin('POST', '/_emulator/clock/advance', { by: '15m' })
  // Restate restarts any completed invocation but a workflow's.
  const done = emu.invocations.list({ status: 'completed' }).filter(i => i.target_service_ty !== 'workflow').slice(-1)[0]
  await admin('PATCH', `/invocations/${done.id}/restart-as-new`)
  emu.clock.runUntilIdle()
  await admin('PATCH', `/invocations/${delayed}/purge`)
  outputs.push((await ingress('GET', `/restate/invocation/${charges[0]}/output`)).body)

  const list = await admin('GET', '/invocations?limit=1000')
  assertInvocationsIn(list.json())
  const events = emu.events.all().map(e => e.data)
  for (const data of events) assertInvocationsIn(JSON.parse(data))
  return { events, list: list.body, outputs }
}

async function run (t: Test, seed: number): Promise<Session> {
  const emu = await createEmulator({ clock: 'manual', seed, fixture: FIXTURE, eventBuffer: 100_000 })
  t.teardown(() => emu.close())
  return session(emu)
}

t.test('the same seed and the same calls give the same history, byte for byte', async t => {
  const a = await run(t, 1234)
  const b = await run(t, 1234)
  t.ok(a.events.length > 300, `a long history (${a.events.length} events)`)
  t.equal(a.events.length, b.events.length)
  const firstDifference = a.events.findIndex((e, i) => e !== b.events[i])
  t.equal(firstDifference, -1, firstDifference === -1 ? 'every event equal' : `event ${firstDifference} differs:\n${a.events[firstDifference]}\n${b.events[firstDifference]}`)
  t.equal(a.events.join('\n'), b.events.join('\n'))
  t.equal(a.list, b.list, 'GET /invocations is byte-equal')
  t.same(a.outputs, b.outputs)

  // The session exercised what it meant to.
  const history = a.events.map(e => JSON.parse(e) as { type: string, to?: string, reason?: string, invocation: { status: string, completion_failure?: string, paused?: boolean } })
  for (const to of ['pending', 'ready', 'running', 'suspended', 'backing-off', 'completed']) {
    t.ok(history.some(e => e.invocation.status === to), `reached ${to}`)
  }
  t.ok(history.some(e => e.invocation.completion_failure === '[409] Cancelled'), 'a cancel')
  t.ok(history.some(e => e.invocation.completion_failure === '[409] killed'), 'a kill')
  t.ok(history.some(e => e.invocation.completion_failure === '[410] gone'), 'a fault rule after resume')
  t.ok(history.some(e => e.invocation.paused === true), 'a pause')
  t.ok(history.some(e => e.reason === 'purge') && history.some(e => e.reason === 'cancel'), 'purge and a cancelled delayed send')
})

t.test('reset gives the same history again in the same emulator', async t => {
  const emu = await createEmulator({ clock: 'manual', seed: 99, fixture: FIXTURE, eventBuffer: 100_000 })
  t.teardown(() => emu.close())
  const first = await session(emu)
  const res = await emu.injectAdmin({ method: 'POST', url: '/_emulator/reset' })
  t.equal(res.statusCode, 204)
  const second = await session(emu)
  t.equal(second.events.join('\n'), first.events.join('\n'))
  t.equal(second.list, first.list)
})

t.test('another seed gives another history', async t => {
  const a = await run(t, 1234)
  const c = await run(t, 1235)
  t.not(c.events.join('\n'), a.events.join('\n'))
  t.not(c.list, a.list)
  const ids = (s: Session) => new Set(s.events.map(e => (JSON.parse(e) as { invocation: { id: string } }).invocation.id))
  const shared = [...ids(a)].filter(id => ids(c).has(id))
  t.same(shared, [], 'no id in common')
})

t.test('a snapshot restored into another emulator carries on exactly as the original', async t => {
  const drive = async (emu: EmulatorInstance): Promise<string> => {
    for (let i = 0; i < 20; i++) {
      await emu.injectIngress({ method: 'POST', url: '/Payments/charge/send', payload: JSON.stringify({ amount: i }) })
      await emu.injectIngress({ method: 'POST', url: `/Counter/k${i % 3}/add/send`, payload: String(i) })
      emu.clock.advance('700ms')
    }
    emu.clock.runUntilIdle()
    return (await emu.injectAdmin('/invocations?limit=1000')).body
  }
  const original = await createEmulator({ clock: 'manual', seed: 11, fixture: FIXTURE })
  t.teardown(() => original.close())
  await drive(original)
  const snapshot = (await original.injectAdmin('/_emulator/snapshot')).json()
  t.ok(Array.isArray(snapshot.random_state) && snapshot.random_state.length === 4)
  const copy = await createEmulator({ clock: 'manual', seed: 99, fixture: TEST_FIXTURE, startTime: '2030-01-01T00:00:00Z' })
  t.teardown(() => copy.close())
  const put = await copy.injectAdmin({ method: 'PUT', url: '/_emulator/snapshot', payload: snapshot })
  t.equal(put.statusCode, 200)
  t.equal(copy.clock.now(), original.clock.now(), 'the manual clock moves to the snapshot time')
  const [a, b] = [await drive(original), await drive(copy)]
  t.equal(b, a, 'same calls after the restore: same ids, times and outcomes')
  assertInvocationsIn(JSON.parse(a))
})
