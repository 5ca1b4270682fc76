import t from 'tap'
import { FaultRules, type FaultRuleInput } from '../../src/core/faults.js'
import type { AttemptPlan } from '../../src/core/behavior.js'
import { Random } from '../../src/core/random.js'
import type { Invocation } from '../../src/index.js'
import { checked, manualEmulator, nextEvent } from '../helpers/emulator.js'

const PLAN: AttemptPlan = { duration: 100, outcome: { kind: 'success', output: 'ok' } }

t.test('target globs match Service/handler; * is any run of characters; the rest is literal', async t => {
  const cases: Array<[string, string, boolean]> = [
    ['*', 'Pay/charge', true],
    ['Pay/charge', 'Pay/charge', true],
    ['Pay/charge', 'Pay/charges', false],
    ['Pay/*', 'Pay/refund', true],
    ['Pay/*', 'PayX/refund', false],
    ['*/get', 'Cart/get', true],
    ['*/get', 'Cart/getAll', false],
    ['Pay*', 'PaymentService/charge', true],
    ['*Service/c*', 'PaymentService/charge', true],
    ['a.b/c', 'a.b/c', true],
    ['a.b/c', 'axb/c', false],
    ['S/h?', 'S/hx', false],
    ['S/(h)', 'S/(h)', true],
    ['S/[h]', 'S/h', false]
  ]
  for (const [target, name, matches] of cases) {
    const rules = new FaultRules()
    rules.add({ target, effect: { type: 'terminal' } })
    const plan = rules.apply(PLAN, name, null, new Random(1))
    t.equal(plan.outcome.kind === 'terminal', matches, `${target} ${matches ? 'matches' : 'does not match'} ${name}`)
  }
})

t.test('each effect changes the plan as it says', async t => {
  const cases: Array<[FaultRuleInput['effect'], AttemptPlan]> = [
    [{ type: 'transient' }, { duration: 100, outcome: { kind: 'transient', code: 500, message: 'injected transient failure' } }],
    [{ type: 'transient', code: 503, message: 'down' }, { duration: 100, outcome: { kind: 'transient', code: 503, message: 'down' } }],
    [{ type: 'terminal' }, { duration: 100, outcome: { kind: 'terminal', code: 500, message: 'injected terminal failure' } }],
    [{ type: 'terminal', code: 402, message: 'declined' }, { duration: 100, outcome: { kind: 'terminal', code: 402, message: 'declined' } }],
    [{ type: 'latency', by: '2s' }, { duration: 2100, outcome: { kind: 'success', output: 'ok' } }],
    [{ type: 'latency', by: 50 }, { duration: 150, outcome: { kind: 'success', output: 'ok' } }],
    [{ type: 'suspend', for: '1h' }, { duration: 100, outcome: { kind: 'suspend', sleep: 3_600_000 } }]
  ]
  for (const [effect, expected] of cases) {
    const rules = new FaultRules()
    rules.add({ effect })
    t.same(rules.apply(PLAN, 'S/h', null, new Random(1)), expected, JSON.stringify(effect))
  }
})

t.test('rules apply in insertion order: latency adds up, the last outcome wins', async t => {
  const rules = new FaultRules()
  rules.add({ effect: { type: 'latency', by: '1s' } })
  rules.add({ effect: { type: 'transient', message: 'first' } })
  rules.add({ effect: { type: 'latency', by: '1s' } })
  rules.add({ effect: { type: 'terminal', code: 410, message: 'last' } })
  t.same(rules.apply(PLAN, 'S/h', null, new Random(1)), { duration: 2100, outcome: { kind: 'terminal', code: 410, message: 'last' } })
})

t.test('key: only invocations to that object key', async t => {
  const rules = new FaultRules()
  rules.add({ key: 'k1', effect: { type: 'terminal' } })
  t.equal(rules.apply(PLAN, 'Obj/h', 'k1', new Random(1)).outcome.kind, 'terminal')
  t.equal(rules.apply(PLAN, 'Obj/h', 'k2', new Random(1)).outcome.kind, 'success')
  t.equal(rules.apply(PLAN, 'Svc/h', null, new Random(1)).outcome.kind, 'success', 'a keyed rule never matches a plain service')
})

t.test('count: applies that many times, then the rule is gone', async t => {
  const rules = new FaultRules()
  const rule = rules.add({ count: 3, effect: { type: 'transient' } })
  t.match(rule, { id: 'fault_1', target: '*', probability: 1, remaining: 3, applied: 0 })
  const kinds = Array.from({ length: 5 }, () => rules.apply(PLAN, 'S/h', null, new Random(1)).outcome.kind)
  t.same(kinds, ['transient', 'transient', 'transient', 'success', 'success'])
  t.same(rules.list(), [])
  const unlimited = rules.add({ effect: { type: 'latency', by: 1 } })
  for (let i = 0; i < 10; i++) rules.apply(PLAN, 'S/h', null, new Random(1))
  t.match(rules.list(), [{ id: unlimited.id, remaining: null, applied: 10 }])
  t.equal(unlimited.id, 'fault_2', 'ids are not reused')
})

t.test('probability: about that share of matching attempts; 0 never, 1 always', async t => {
  const random = new Random(77)
  const rules = new FaultRules()
  rules.add({ probability: 0.25, effect: { type: 'transient' } })
  let hits = 0
  for (let i = 0; i < 10_000; i++) if (rules.apply(PLAN, 'S/h', null, random).outcome.kind === 'transient') hits++
  t.ok(Math.abs(hits / 10_000 - 0.25) < 0.015, `${hits}/10000 ≈ 25%`)
  t.equal(rules.list()[0].applied, hits)
  const never = new FaultRules()
  never.add({ probability: 0, count: 1, effect: { type: 'terminal' } })
  for (let i = 0; i < 100; i++) never.apply(PLAN, 'S/h', null, random)
  t.match(never.list(), [{ applied: 0, remaining: 1 }])
})

t.test('non-matching attempts draw nothing from the generator', async t => {
  const rules = new FaultRules()
  rules.add({ target: 'Other/*', probability: 0.5, effect: { type: 'transient' } })
  const a = new Random(5)
  rules.apply(PLAN, 'S/h', null, a)
  t.equal(a.uint32(), new Random(5).uint32())
})

t.test('remove, clear, restore', async t => {
  const rules = new FaultRules()
  const a = rules.add({ effect: { type: 'transient' } })
  const b = rules.add({ target: 'X/*', key: 'k', probability: 0.5, count: 2, effect: { type: 'suspend', for: '1m' } })
  t.ok(rules.remove(a.id))
  t.notOk(rules.remove(a.id), 'removing twice says so')
  t.same(rules.list(), [b])
  const copy = new FaultRules()
  copy.restore({ ...b, id: 'fault_7', applied: 1, remaining: 1 })
  t.match(copy.list(), [{ id: 'fault_7', target: 'X/*', key: 'k', applied: 1, remaining: 1 }])
  t.equal(copy.add({ effect: { type: 'transient' } }).id, 'fault_8', 'restored ids push the counter on')
  rules.clear()
  t.same(rules.list(), [])
  t.equal(rules.add({ effect: { type: 'transient' } }).id, 'fault_1', 'clear starts ids over')
})

t.test('a bad duration in an effect is refused', async t => {
  const rules = new FaultRules()
  t.throws(() => rules.add({ effect: { type: 'latency', by: 'soon' } }), /invalid duration 'soon'/)
  t.throws(() => rules.add({ effect: { type: 'suspend', for: 'later' } }), /invalid duration 'later'/)
  t.same(rules.list(), [])
})

t.test('control API: add, list, remove, clear, with their codes', async t => {
  const emu = await manualEmulator(t)
  const add = await emu.injectAdmin({ method: 'POST', url: '/_emulator/faults', payload: { target: 'Greeter/*', probability: 0.5, count: 3, effect: { type: 'transient', code: 503, message: 'down' } } })
  t.equal(add.statusCode, 201)
  t.same(add.json(), { id: 'fault_1', target: 'Greeter/*', probability: 0.5, remaining: 3, applied: 0, effect: { type: 'transient', code: 503, message: 'down' } })
  const second = await emu.injectAdmin({ method: 'POST', url: '/_emulator/faults', payload: { key: 'k1', effect: { type: 'latency', by: '1s' } } })
  t.match(second.json(), { id: 'fault_2', target: '*', key: 'k1', probability: 1, remaining: null })
  const list = await emu.injectAdmin({ method: 'GET', url: '/_emulator/faults' })
  t.equal(list.statusCode, 200)
  t.same(list.json().faults.map((f: { id: string }) => f.id), ['fault_1', 'fault_2'])
  t.same(emu.faults.list(), list.json().faults, 'the library API sees the same rules')

  const removed = await emu.injectAdmin({ method: 'DELETE', url: '/_emulator/faults/fault_1' })
  t.equal(removed.statusCode, 204)
  const missing = await emu.injectAdmin({ method: 'DELETE', url: '/_emulator/faults/fault_1' })
  t.equal(missing.statusCode, 404)
  t.same(missing.json(), { message: "no fault rule 'fault_1'", restate_code: null })
  const cleared = await emu.injectAdmin({ method: 'DELETE', url: '/_emulator/faults' })
  t.equal(cleared.statusCode, 204)
  t.same((await emu.injectAdmin({ method: 'GET', url: '/_emulator/faults' })).json(), { faults: [] })
})

t.test('control API: a bad rule is a 400 naming the field', async t => {
  const emu = await manualEmulator(t)
  const cases: Array<[unknown, RegExp]> = [
    [{}, /effect/],
    [{ effect: { type: 'explode' } }, /effect/],
    [{ probability: 2, effect: { type: 'transient' } }, /probability/],
    [{ count: 0, effect: { type: 'transient' } }, /count/],
    [{ effect: { type: 'transient', code: 200 } }, /effect/],
    [{ effect: { type: 'latency', by: 'soon' } }, /body\/effect: invalid duration 'soon'/],
    [{ effect: { type: 'suspend', for: 'later' } }, /body\/effect: invalid duration 'later'/],
    [{ target: 'S/h', extra: true, effect: { type: 'transient' } }, /extra|additional/]
  ]
  for (const [payload, message] of cases) {
    const res = await emu.injectAdmin({ method: 'POST', url: '/_emulator/faults', payload: payload as Record<string, unknown> })
    t.equal(res.statusCode, 400, JSON.stringify(payload))
    t.match(res.json().message, message, JSON.stringify(payload))
  }
  t.same(emu.faults.list(), [])
})

t.test('rules apply to the next attempts of invocations already in flight', async t => {
  const emu = await manualEmulator(t, {
    fixture: {
      services: [
        { name: 'S', handlers: { flaky: { duration: '1s', transient: { firstAttempts: 1, message: 'first' } }, sleepy: { duration: '1s', suspend: { duration: '1m' }, output: { value: 'woke' } } } },
        { name: 'Obj', type: 'virtual_object', handlers: { h: { duration: '1s' } } }
      ]
    }
  })
  const send = async (url: string): Promise<string> => (await checked(o => emu.injectIngress(o), { method: 'POST', url })).json().invocationId
  const flaky = await send('/S/flaky/send')
  const sleepy = await send('/S/sleepy/send')
  const running = await send('/Obj/k1/h/send')
  const queued = await send('/Obj/k1/h/send')
  const otherKey = await send('/Obj/k2/h/send')
  emu.clock.advance('1s')
  t.same([flaky, sleepy].map(id => emu.invocations.get(id)?.status), ['backing-off', 'suspended'])
  t.equal(emu.invocations.get(queued)?.status, 'running', 'the second call on k1 now holds the key')
  const holdsKey = queued

  // Added now, while everything is in flight.
  const rule = (await emu.injectAdmin({ method: 'POST', url: '/_emulator/faults', payload: { target: 'S/*', effect: { type: 'terminal', code: 409, message: 'injected' } } })).json()
  await emu.injectAdmin({ method: 'POST', url: '/_emulator/faults', payload: { target: 'Obj/h', key: 'k1', count: 1, effect: { type: 'latency', by: '10s' } } })
  await emu.injectAdmin({ method: 'POST', url: '/_emulator/faults', payload: { target: 'Obj/*', key: 'k2', count: 1, effect: { type: 'suspend', for: '5m' } } })
  const third = await send('/Obj/k1/h/send')
  const k2Again = await send('/Obj/k2/h/send')

  emu.clock.runUntilIdle()
  t.match(emu.invocations.get(flaky), { status: 'completed', completion_failure: '[409] injected', retry_count: 1 }, 'the retry of a backing-off invocation is hit')
  t.match(emu.invocations.get(sleepy), { status: 'completed', completion_failure: '[409] injected' }, 'a suspended invocation is hit when it wakes')
  t.match(emu.invocations.get(holdsKey), { status: 'completed', completion_result: 'success', completed_at: '2026-01-01T00:00:02.000Z' }, 'an attempt already running is not changed')
  t.match(emu.invocations.get(third), { status: 'completed', completed_at: '2026-01-01T00:00:13.000Z' }, 'the next attempt on k1 takes 10s longer')
  t.match(emu.invocations.get(running), { status: 'completed', completed_at: '2026-01-01T00:00:01.000Z' })
  t.match(emu.invocations.get(otherKey), { status: 'completed', completed_at: '2026-01-01T00:00:01.000Z' }, 'k2 already done')
  t.match(emu.invocations.get(k2Again), { status: 'completed', completion_result: 'success', journal_size: 3 }, 'k2 suspended once (journal: start, suspend, restart)')
  t.equal(Date.parse(emu.invocations.get(k2Again)?.completed_at as string) - Date.parse(emu.invocations.get(k2Again)?.created_at as string), 1000 + 300_000 + 1000)
  const rules = emu.faults.list()
  t.same(rules.map(r => r.id), [rule.id], 'count-limited rules went away once used')
  t.equal(rules[0].applied, 2)
})

t.test('a transient fault sends the invocation backing off under its retry policy', async t => {
  const emu = await manualEmulator(t)
  emu.faults.add({ target: 'Greeter/greet', count: 2, effect: { type: 'transient', code: 503, message: 'injected outage' } })
  const created = nextEvent(emu, 'created')
  const pending = emu.injectIngress({ method: 'POST', url: '/Greeter/greet', payload: '"Ada"' })
  const { id } = await created
  emu.clock.advance('100ms')
  t.match(emu.invocations.get(id), { status: 'backing-off', retry_count: 1, last_failure: '[503] injected outage', next_retry_at: '2026-01-01T00:00:00.600Z' })
  emu.clock.runUntilIdle()
  const res = await pending
  t.equal(res.statusCode, 200)
  t.equal(res.json(), 'Hello, Ada!')
  const record = (await checked(o => emu.injectAdmin(o), { method: 'GET', url: `/invocations/${id}` })).json() as Invocation
  t.match(record, { retry_count: 2, completed_at: '2026-01-01T00:00:01.800Z' })
})
