import t from 'tap'
import { BEHAVIOR_HEADER, parseBehaviorHeader } from '../../src/core/behavior-header.js'
import type { HandlerBehavior } from '../../src/core/behavior.js'
import { EmulatorError } from '../../src/core/errors.js'
import { checked, manualEmulator, nextEvent } from '../helpers/emulator.js'

const BASE: HandlerBehavior = {
  duration: '1s',
  transient: { probability: 0.3, code: 503, message: 'flaky' },
  output: { value: 'base' },
  retryPolicy: { maxAttempts: 5 }
}

t.test('the header name is x-emulator-behavior', async t => {
  t.equal(BEHAVIOR_HEADER, 'x-emulator-behavior')
})

t.test('each key, parsed on its own', async t => {
  const cases: Array<[string, HandlerBehavior, HandlerBehavior]> = [
    ['duration=50ms', BASE, { ...BASE, duration: 50 }],
    ['duration=PT2S', BASE, { ...BASE, duration: 2000 }],
    ['duration=250', BASE, { ...BASE, duration: 250 }],
    ['fail-attempts=2', BASE, { ...BASE, transient: { probability: undefined, code: 503, message: 'flaky', firstAttempts: 2 } }],
    ['fail-attempts=0', {}, { transient: { firstAttempts: 0, probability: undefined } }],
    ['outcome=success', { ...BASE, terminal: { probability: 0.5 } }, { duration: '1s', output: { value: 'base' }, retryPolicy: { maxAttempts: 5 } }],
    ['outcome=terminal', BASE, { ...BASE, terminal: { probability: 1, code: 500, message: 'terminal failure' } }],
    ['outcome=terminal; code=402; message=card declined', BASE, { ...BASE, terminal: { probability: 1, code: 402, message: 'card declined' } }],
    ['code=409', { terminal: { probability: 0.1, code: 400, message: 'base terminal' } }, { terminal: { probability: 1, code: 409, message: 'base terminal' } }],
    ['message=a=b, c', { terminal: { code: 418 } }, { terminal: { probability: 1, code: 418, message: 'a=b, c' } }],
    ['fail-attempts=1; code=502; message=gateway', {}, { transient: { firstAttempts: 1, probability: undefined, code: 502, message: 'gateway' } }],
    ['suspend=10m', BASE, { ...BASE, suspend: { probability: 1, duration: 600_000 } }],
    ['output={"ok":true,"n":[1,2]}', BASE, { ...BASE, output: { value: { ok: true, n: [1, 2] } } }],
    ['output="text"', BASE, { ...BASE, output: { value: 'text' } }],
    ['output=null', BASE, { ...BASE, output: { value: null } }],
    ['output=%7B%22note%22%3A%22a%3Bb%22%7D', BASE, { ...BASE, output: { value: { note: 'a;b' } } }],
    ['outcome=terminal; message=50% off%3B today', {}, { terminal: { probability: 1, code: 500, message: '50% off; today' } }],
    ['', BASE, BASE],
    [' ; ;', BASE, BASE]
  ]
  for (const [header, base, expected] of cases) {
    t.same(parseBehaviorHeader(header, base), expected, header === '' ? '(empty)' : header)
  }
})

t.test('keys combine; spaces and key case do not matter; the base is not changed', async t => {
  const base = structuredClone(BASE)
  const parsed = parseBehaviorHeader('  FAIL-ATTEMPTS = 2 ;Duration=50ms;  suspend=1s ; output=[1] ', base)
  t.same(parsed, {
    duration: 50,
    transient: { probability: undefined, code: 503, message: 'flaky', firstAttempts: 2 },
    suspend: { probability: 1, duration: 1000 },
    output: { value: [1] },
    retryPolicy: { maxAttempts: 5 }
  })
  t.same(base, BASE)
  t.same(parseBehaviorHeader('duration=1s; duration=2s', {}), { duration: 2000 }, 'the last of a repeated key wins')
  t.same(parseBehaviorHeader('outcome=success; fail-attempts=1', BASE).transient, { probability: undefined, code: 503, message: 'flaky', firstAttempts: 1 }, 'success after the failed attempts')
})

t.test('a malformed header is a 400 naming the bad part', async t => {
  const cases: Array<[string, string]> = [
    ['duration', "'duration' is not key=value"],
    ['=5s', "'=5s' is not key=value"],
    ['duration=fast', "duration 'fast' is not a duration"],
    ['duration=-5ms', "duration '-5ms' is not a duration"],
    ['fail-attempts=two', "fail-attempts 'two' is not a whole number"],
    ['fail-attempts=-1', "fail-attempts '-1' is not a whole number"],
    ['fail-attempts=1.5', "fail-attempts '1.5' is not a whole number"],
    ['outcome=maybe', "outcome 'maybe' must be success or terminal"],
    ['outcome=terminal; code=200', "code '200' must be an HTTP error code (400-599)"],
    ['outcome=terminal; code=4000', "code '4000' must be an HTTP error code (400-599)"],
    ['outcome=terminal; code=abc', "code 'abc' must be an HTTP error code (400-599)"],
    ['suspend=later', "suspend 'later' is not a duration"],
    ['output={bad', "output '{bad' is not JSON"],
    ['colour=red', "unknown key 'colour' (known: duration, fail-attempts, outcome, code, message, suspend, output)"],
    ['duration=5ms; speed=9', "unknown key 'speed'"],
    ['code=503', 'code and message need outcome=terminal or fail-attempts'],
    ['message=oops', 'code and message need outcome=terminal or fail-attempts']
  ]
  for (const [header, part] of cases) {
    try {
      parseBehaviorHeader(header, {})
      t.fail(`${header} was accepted`)
    } catch (err) {
      t.ok(err instanceof EmulatorError, header)
      t.equal((err as EmulatorError).statusCode, 400)
      t.match((err as Error).message, `invalid x-emulator-behavior header: ${part}`, header)
    }
  }
})

t.test('over HTTP: a malformed header gets 400 with the bad part, and nothing is created', async t => {
  const emu = await manualEmulator(t)
  for (const header of ['duration=fast', 'fail-attempts=x', 'outcome=maybe', 'code=999; outcome=terminal', 'suspend=?', 'output={', 'nope=1', 'justtext']) {
    for (const url of ['/Greeter/greet', '/Greeter/greet/send', '/Counter/k1/add/send']) {
      const res = await emu.injectIngress({ method: 'POST', url, headers: { [BEHAVIOR_HEADER]: header }, payload: '"x"' })
      t.equal(res.statusCode, 400, `${url} ${header}`)
      t.equal(res.json().code, 400)
      t.match(res.json().message, /^invalid x-emulator-behavior header: /)
      t.ok(res.json().message.includes(header.split(';')[0].split('=')[0].trim()), `message names '${header}': ${res.json().message}`)
    }
  }
  t.equal(emu.invocations.list().length, 0)
})

t.test('over HTTP: fail-attempts=2; duration=50ms fails twice, then succeeds', async t => {
  const emu = await manualEmulator(t)
  const created = nextEvent(emu, 'created')
  const pending = emu.injectIngress({ method: 'POST', url: '/Greeter/greet', headers: { [BEHAVIOR_HEADER]: 'fail-attempts=2; duration=50ms' }, payload: '"Ada"' })
  const { id } = await created
  emu.clock.runUntilIdle()
  const res = await pending
  t.equal(res.statusCode, 200)
  t.equal(res.json(), 'Hello, Ada!')
  const record = (await checked(o => emu.injectAdmin(o), { method: 'GET', url: `/invocations/${id}` })).json()
  t.match(record, { status: 'completed', retry_count: 2, last_failure: '[500] transient failure', completed_at: '2026-01-01T00:00:01.650Z' })
})

t.test('over HTTP: outcome=terminal with code and message; output; suspend', async t => {
  const emu = await manualEmulator(t)
  const call = async (header: string, url = '/Greeter/greet'): Promise<{ status: number, body: unknown, id: string }> => {
    const created = nextEvent(emu, 'created')
    const pending = emu.injectIngress({ method: 'POST', url, headers: { [BEHAVIOR_HEADER]: header }, payload: '"x"' })
    const { id } = await created
    emu.clock.runUntilIdle()
    const res = await pending
    return { status: res.statusCode, body: res.json(), id }
  }
  t.same(await call('outcome=terminal; code=402; message=card declined'), { status: 402, body: { code: 402, message: 'card declined', source: 'invocation' }, id: emu.invocations.list()[0].id })
  t.match(await call('output={"total":42}'), { status: 200, body: { total: 42 } })
  const started = emu.clock.now()
  const slept = await call('suspend=2h; duration=0')
  t.equal(slept.status, 200)
  t.equal(emu.clock.now() - started, 7_200_000)
  t.match(emu.invocations.get(slept.id), { status: 'completed', journal_size: 3 })
  t.match(await call('outcome=success', '/Flaky/terminal'), { status: 200 }, 'a failing handler succeeds for this call')
  const other = await call('')
  t.equal(other.status, 200, 'an empty header changes nothing')
})
