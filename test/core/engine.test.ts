import t from 'tap'
import { makeEngine, T0 } from '../helpers/engine.js'
import { EmulatorError } from '../../src/core/errors.js'
import type { Fixture } from '../../src/core/behavior.js'

const at = (ms: number): string => new Date(T0 + ms).toISOString()

t.test('a plain call runs for its duration and completes with its output', async t => {
  const { engine, clock, statuses } = makeEngine()
  const { invocation } = engine.invoke({ service: 'Greeter', handler: 'greet', input: 'Ada' })
  t.equal(invocation.status, 'running')
  const done = engine.awaitCompletion(invocation.id)
  clock.advance(99)
  t.equal(engine.get(invocation.id)?.record.status, 'running')
  clock.advance(1)
  t.same(await done, { ok: true, output: 'Hello, Ada!' })
  const record = engine.get(invocation.id)!.record
  t.match(record, { status: 'completed', completion_result: 'success', completed_at: at(100), running_at: at(0), retry_count: 0 })
  t.same(statuses(invocation.id), ['ready', 'running', 'completed'])
})

t.test('retry timing follows the default policy: 0.5s, 1s, 2s, 4s … capped at 1m', async t => {
  const { engine, clock, events } = makeEngine()
  const { invocation } = engine.invoke({ service: 'Flaky', handler: 'always' })
  const expected = [500, 1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000]
  const gaps: number[] = []
  const counts: number[] = []
  for (let i = 0; i < expected.length; i++) {
    clock.advance(10) // the attempt's duration
    const record = engine.get(invocation.id)!.record
    t.equal(record.status, 'backing-off')
    counts.push(record.retry_count!)
    gaps.push(Date.parse(record.next_retry_at!) - clock.now())
    t.equal(record.last_failure, '[500] boom transient')
    clock.advanceTo(Date.parse(record.next_retry_at!))
    t.equal(engine.get(invocation.id)!.record.next_retry_at, null, 'next_retry_at is cleared when retrying')
  }
  t.same(gaps, expected)
  t.same(counts, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
  t.ok(events.length > 30)
})

t.test('fail twice then succeed: backing-off 1, backing-off 2, completed success', async t => {
  const { engine, clock, events } = makeEngine()
  const { invocation } = engine.invoke({ service: 'Flaky', handler: 'twice' })
  clock.runUntilIdle()
  const seen = events.filter(e => e.invocation.id === invocation.id && e.type === 'transition' && e.to === 'backing-off').map(e => e.invocation.retry_count)
  t.same(seen, [1, 2])
  t.match(engine.get(invocation.id)!.record, { status: 'completed', completion_result: 'success', retry_count: 2, last_failure: '[500] boom transient' })
  t.equal(clock.now(), T0 + 10 + 500 + 10 + 1000 + 10)
})

t.test('onMaxAttempts pause suspends with paused: true; kill completes with the failure', async t => {
  const fixture: Fixture = {
    services: [{
      name: 'S',
      handlers: {
        p: { duration: 10, transient: { probability: 1, message: 'down' }, retryPolicy: { maxAttempts: 3, onMaxAttempts: 'pause' } },
        k: { duration: 10, transient: { probability: 1, code: 503, message: 'down' }, retryPolicy: { maxAttempts: 2, onMaxAttempts: 'kill' } }
      }
    }]
  }
  const { engine, clock } = makeEngine(fixture)
  const p = engine.invoke({ service: 'S', handler: 'p' }).invocation.id
  const k = engine.invoke({ service: 'S', handler: 'k' }).invocation.id
  clock.runUntilIdle()
  t.match(engine.get(p)!.record, { status: 'suspended', paused: true, retry_count: 2 })
  t.match(engine.get(k)!.record, { status: 'completed', completion_result: 'failure', completion_failure: '[503] down', retry_count: 1 })
  engine.resume(p)
  t.equal(engine.get(p)!.record.status, 'running')
  t.notOk('paused' in engine.get(p)!.record, 'resume clears paused')
})

t.test('a terminal failure completes with its code and message', async t => {
  const { engine, clock } = makeEngine()
  const id = engine.invoke({ service: 'Flaky', handler: 'terminal' }).invocation.id
  const done = engine.awaitCompletion(id)
  clock.advance(10)
  t.same(await done, { ok: false, code: 422, message: 'nope' })
  t.match(engine.get(id)!.record, { completion_result: 'failure', completion_failure: '[422] nope' })
})

t.test('a suspending handler suspends once for its duration, then runs again and finishes', async t => {
  const { engine, clock, statuses } = makeEngine()
  const id = engine.invoke({ service: 'Flaky', handler: 'sleepy' }).invocation.id
  clock.advance(10)
  t.equal(engine.get(id)!.record.status, 'suspended')
  clock.advance(3_600_000 - 1)
  t.equal(engine.get(id)!.record.status, 'suspended')
  clock.advance(1 + 10)
  t.same(statuses(id), ['ready', 'running', 'suspended', 'ready', 'running', 'completed'])
  t.equal(engine.get(id)!.completion?.ok, true)
})

t.test('exclusive calls on one object key queue pending in arrival order; other keys and shared handlers do not', async t => {
  const { engine, clock } = makeEngine()
  const a = engine.invoke({ service: 'Counter', handler: 'add', key: 'k', input: 1 }).invocation.id
  const b = engine.invoke({ service: 'Counter', handler: 'add', key: 'k', input: 2 }).invocation.id
  const c = engine.invoke({ service: 'Counter', handler: 'add', key: 'k', input: 3 }).invocation.id
  const other = engine.invoke({ service: 'Counter', handler: 'add', key: 'other', input: 4 }).invocation.id
  const shared = engine.invoke({ service: 'Counter', handler: 'get', key: 'k' }).invocation.id
  const status = (id: string) => engine.get(id)!.record.status
  t.same([status(a), status(b), status(c), status(other), status(shared)], ['running', 'pending', 'pending', 'running', 'running'])
  t.ok(engine.get(b)!.record.inboxed_at)
  const order: string[] = []
  engine.on(e => { if (e.type === 'transition' && e.to === 'running') order.push(e.invocation.id) })
  clock.advance(1000)
  t.same([status(a), status(b), status(c)], ['completed', 'running', 'pending'])
  clock.advance(1000)
  t.same([status(b), status(c)], ['completed', 'running'])
  t.same(order, [b, c])
  t.equal(a.slice(0, 18), b.slice(0, 18), 'ids on one key share a long prefix, as in Restate')
})

t.test('a delayed send is pending with scheduled_start_at until the delay elapses', async t => {
  const { engine, clock } = makeEngine()
  const id = engine.invoke({ service: 'Greeter', handler: 'greet', delayMs: 5000 }).invocation.id
  t.match(engine.get(id)!.record, { status: 'pending', scheduled_start_at: at(5000) })
  clock.advance(4999)
  t.equal(engine.get(id)!.record.status, 'pending')
  clock.advance(1)
  t.equal(engine.get(id)!.record.status, 'running')
})

t.test('a delayed exclusive call whose key is busy waits in the inbox when it comes due', async t => {
  const { engine, clock } = makeEngine()
  const first = engine.invoke({ service: 'Counter', handler: 'add', key: 'k' }).invocation.id
  const later = engine.invoke({ service: 'Counter', handler: 'add', key: 'k', delayMs: 100 }).invocation.id
  clock.advance(100)
  t.match(engine.get(later)!.record, { status: 'pending', inboxed_at: at(100) })
  clock.advance(900)
  t.equal(engine.get(first)!.record.status, 'completed')
  t.equal(engine.get(later)!.record.status, 'running')
})

t.test('idempotency keys return the existing invocation', async t => {
  const { engine } = makeEngine()
  const one = engine.invoke({ service: 'Greeter', handler: 'greet', idempotencyKey: 'abc' })
  const two = engine.invoke({ service: 'Greeter', handler: 'greet', idempotencyKey: 'abc' })
  const other = engine.invoke({ service: 'Greeter', handler: 'greet', idempotencyKey: 'xyz' })
  t.equal(one.previouslyAccepted, false)
  t.equal(two.previouslyAccepted, true)
  t.equal(two.invocation.id, one.invocation.id)
  t.not(other.invocation.id, one.invocation.id)
  t.equal(one.invocation.idempotency_key, 'abc')
})

t.test('a workflow runs once per key', async t => {
  const { engine } = makeEngine()
  const one = engine.invoke({ service: 'Signup', handler: 'run', key: 'u1' })
  const two = engine.invoke({ service: 'Signup', handler: 'run', key: 'u1' })
  const three = engine.invoke({ service: 'Signup', handler: 'run', key: 'u2' })
  t.equal(two.invocation.id, one.invocation.id)
  t.equal(two.previouslyAccepted, true)
  t.not(three.invocation.id, one.invocation.id)
  const status = engine.invoke({ service: 'Signup', handler: 'status', key: 'u1' })
  t.equal(status.invocation.status, 'running', 'shared workflow handlers run alongside run')
})

t.test('a concurrency limit keeps extra invocations ready until a slot frees', async t => {
  const fixture: Fixture = { services: [{ name: 'S', concurrency: 2, handlers: { h: { duration: 100 } } }] }
  const { engine, clock } = makeEngine(fixture)
  const ids = [1, 2, 3, 4].map(() => engine.invoke({ service: 'S', handler: 'h' }).invocation.id)
  const status = () => ids.map(id => engine.get(id)!.record.status)
  t.same(status(), ['running', 'running', 'ready', 'ready'])
  clock.advance(100)
  t.same(status(), ['completed', 'completed', 'running', 'running'])
  clock.advance(100)
  t.same(status(), ['completed', 'completed', 'completed', 'completed'])
})

// Cancel / kill / purge / pause / resume in every status.
const setups: Record<string, (e: ReturnType<typeof makeEngine>) => string> = {
  'pending (inboxed)': ({ engine }) => {
    engine.invoke({ service: 'Counter', handler: 'add', key: 'k' })
    return engine.invoke({ service: 'Counter', handler: 'add', key: 'k' }).invocation.id
  },
  'pending (delayed)': ({ engine }) => engine.invoke({ service: 'Greeter', handler: 'greet', delayMs: 10_000 }).invocation.id,
  ready: ({ engine }) => {
    engine.invoke({ service: 'Limited', handler: 'work' })
    return engine.invoke({ service: 'Limited', handler: 'work' }).invocation.id
  },
  running: ({ engine }) => engine.invoke({ service: 'Greeter', handler: 'greet' }).invocation.id,
  'backing-off': ({ engine, clock }) => {
    const id = engine.invoke({ service: 'Flaky', handler: 'always' }).invocation.id
    clock.advance(10)
    return id
  },
  suspended: ({ engine, clock }) => {
    const id = engine.invoke({ service: 'Flaky', handler: 'sleepy' }).invocation.id
    clock.advance(10)
    return id
  },
  completed: ({ engine, clock }) => {
    const id = engine.invoke({ service: 'Greeter', handler: 'greet' }).invocation.id
    clock.advance(100)
    return id
  }
}

const conflictCode = (fn: () => unknown): number | undefined => {
  try {
    fn()
    return undefined
  } catch (err) {
    return (err as EmulatorError).statusCode
  }
}

t.test('cancel in every status', async t => {
  for (const [name, setup] of Object.entries(setups)) {
    const e = makeEngine()
    const id = setup(e)
    t.equal(e.engine.get(id)!.record.status, name.split(' ')[0], `setup reaches ${name}`)
    if (name === 'completed') {
      t.equal(conflictCode(() => e.engine.cancel(id)), 409, 'cancel of completed is 409')
    } else if (name.startsWith('pending')) {
      t.equal(e.engine.cancel(id), 'removed', name)
      t.equal(e.engine.get(id), undefined, `${name}: an invocation that has not started is gone, as in Restate`)
    } else {
      t.equal(e.engine.cancel(id), 'cancelled', name)
      t.match(e.engine.get(id)!.record, { status: 'completed', completion_result: 'failure', completion_failure: '[409] Cancelled' }, name)
      e.clock.runUntilIdle()
      t.equal(e.engine.get(id)!.record.completion_failure, '[409] Cancelled', `${name}: no timer of the old attempt fires after cancel`)
    }
  }
})

t.test('kill in every status', async t => {
  for (const [name, setup] of Object.entries(setups)) {
    const e = makeEngine()
    const id = setup(e)
    if (name === 'completed') {
      t.equal(conflictCode(() => e.engine.kill(id)), 409)
      continue
    }
    if (name.startsWith('pending')) {
      t.equal(e.engine.kill(id), 'removed', name)
      t.equal(e.engine.get(id), undefined, `${name}: gone`)
      continue
    }
    t.equal(e.engine.kill(id), 'killed')
    t.match(e.engine.get(id)!.record, { status: 'completed', completion_failure: '[409] killed' }, name)
    e.clock.runUntilIdle()
    t.equal(e.engine.get(id)!.record.completion_failure, '[409] killed', name)
  }
})

t.test('purge only completed invocations', async t => {
  for (const [name, setup] of Object.entries(setups)) {
    const e = makeEngine()
    const id = setup(e)
    if (name === 'completed') {
      e.engine.purge(id)
      t.equal(e.engine.get(id), undefined)
      t.equal(conflictCode(() => e.engine.require(id)), 404, 'purged invocations are 404')
    } else {
      t.equal(conflictCode(() => e.engine.purge(id)), 409, name)
    }
  }
})

t.test('pause and resume in every status', async t => {
  for (const [name, setup] of Object.entries(setups)) {
    const e = makeEngine()
    const id = setup(e)
    const status = e.engine.get(id)!.record.status
    if (status === 'suspended') {
      t.equal(e.engine.pause(id), 'unchanged', 'pausing a sleeping invocation changes nothing, as in Restate')
      t.notOk(e.engine.get(id)!.record.paused)
      e.clock.runUntilIdle()
      t.equal(e.engine.get(id)!.record.completion_result, 'success', 'it still wakes and completes')
    } else if (status === 'running' || status === 'backing-off') {
      t.equal(e.engine.pause(id), 'paused')
      t.match(e.engine.get(id)!.record, { status: 'suspended', paused: true }, `${name} pauses`)
      e.clock.advance(3_600_000 * 2)
      t.equal(e.engine.get(id)!.record.status, 'suspended', `${name}: a paused invocation stays paused`)
      e.engine.resume(id)
      t.equal(e.engine.get(id)!.record.status, 'running', `${name}: resume runs it again`)
    } else {
      t.equal(conflictCode(() => e.engine.pause(id)), 409, `${name} cannot be paused`)
      if (status === 'completed') t.equal(conflictCode(() => e.engine.resume(id)), 409, 'completed cannot be resumed')
      if (status === 'pending') t.equal(conflictCode(() => e.engine.resume(id)), 425, 'inboxed or scheduled cannot be resumed')
    }
  }
})

t.test('resume of a backing-off invocation retries at once', async t => {
  const { engine, clock } = makeEngine()
  const id = engine.invoke({ service: 'Flaky', handler: 'always' }).invocation.id
  clock.advance(10)
  engine.resume(id)
  t.match(engine.get(id)!.record, { status: 'running', next_retry_at: null })
})

t.test('restart-as-new makes a new invocation sharing the prefix, only for completed ones', async t => {
  const { engine, clock } = makeEngine()
  const id = engine.invoke({ service: 'Greeter', handler: 'greet', input: 'Bo' }).invocation.id
  t.equal(conflictCode(() => engine.restartAsNew(id)), 409)
  clock.advance(100)
  const fresh = engine.restartAsNew(id)
  t.not(fresh.id, id)
  t.equal(fresh.id.slice(0, 18), id.slice(0, 18))
  const done = engine.awaitCompletion(fresh.id)
  clock.advance(100)
  t.same(await done, { ok: true, output: 'Hello, Bo!' }, 'the new invocation keeps the input')
})

t.test('forced transitions are checked against the lifecycle', async t => {
  const { engine } = makeEngine()
  const id = engine.invoke({ service: 'Greeter', handler: 'greet' }).invocation.id
  try {
    engine.transition(id, 'pending')
    t.fail('running -> pending must be refused')
  } catch (err) {
    t.equal((err as EmulatorError).statusCode, 409)
    t.match((err as Error).message, /'running' to 'pending'/)
  }
  t.equal(engine.transition(id, 'suspended').status, 'suspended')
})

t.test('completed invocations expire after the retention; at the cap the oldest completed go first', async t => {
  const { engine, clock } = makeEngine()
  engine.retentionMs = 60_000
  const id = engine.invoke({ service: 'Greeter', handler: 'greet' }).invocation.id
  clock.advance(100)
  clock.advance(59_999)
  t.ok(engine.get(id))
  clock.advance(1)
  t.equal(engine.get(id), undefined)

  engine.maxInvocations = 3
  const a = engine.invoke({ service: 'Greeter', handler: 'greet' }).invocation.id
  clock.advance(100)
  const b = engine.invoke({ service: 'Greeter', handler: 'greet' }).invocation.id
  const c = engine.invoke({ service: 'Greeter', handler: 'greet' }).invocation.id
  const d = engine.invoke({ service: 'Greeter', handler: 'greet' }).invocation.id
  t.equal(engine.get(a), undefined, 'the completed one was dropped')
  t.ok(engine.get(b) && engine.get(c) && engine.get(d))
  t.equal(conflictCode(() => engine.invoke({ service: 'Greeter', handler: 'greet' })), 503, 'all in flight: 503')
})

t.test('unknown targets and missing keys are refused like Restate', async t => {
  const { engine } = makeEngine()
  t.equal(conflictCode(() => engine.invoke({ service: 'Nope', handler: 'x' })), 404)
  t.equal(conflictCode(() => engine.invoke({ service: 'Greeter', handler: 'nope' })), 404)
  t.equal(conflictCode(() => engine.invoke({ service: 'Counter', handler: 'add' })), 400)
  t.equal(conflictCode(() => engine.require('inv_short')), 400)
  t.equal(conflictCode(() => engine.require('inv_1aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa')), 404)
})

t.test('resume of a sleeping invocation runs it again; it suspends again until its sleep is over', async t => {
  const { engine, clock, statuses } = makeEngine()
  const id = engine.invoke({ service: 'Flaky', handler: 'sleepy' }).invocation.id
  clock.advance(10)
  const wake = engine.get(id)!.timerAt!
  t.equal(wake, T0 + 10 + 3_600_000)
  clock.advance(60_000)
  engine.resume(id)
  t.equal(engine.get(id)!.record.status, 'running')
  clock.advance(10)
  t.equal(engine.get(id)!.record.status, 'suspended', 'suspended again')
  t.equal(engine.get(id)!.timerAt, wake, 'until the same wake time')
  clock.advanceTo(wake + 10)
  t.same(statuses(id), ['ready', 'running', 'suspended', 'ready', 'running', 'suspended', 'ready', 'running', 'completed'])
  t.equal(engine.get(id)!.completion?.ok, true)
})

t.test('resume after running out of attempts grants a fresh budget: retry_count 1, 2, then 1, 2', async t => {
  const fixture: Fixture = { services: [{ name: 'S', handlers: { h: { duration: 10, transient: { probability: 1 }, retryPolicy: { maxAttempts: 3 } } } }] }
  const { engine, clock, events } = makeEngine(fixture)
  const id = engine.invoke({ service: 'S', handler: 'h' }).invocation.id
  clock.runUntilIdle()
  t.match(engine.get(id)!.record, { status: 'suspended', paused: true })
  engine.resume(id)
  t.match(engine.get(id)!.record, { status: 'running', retry_count: 0 })
  clock.runUntilIdle()
  const counts = events.filter(e => e.type === 'transition' && e.to === 'backing-off').map(e => e.invocation.retry_count)
  t.same(counts, [1, 2, 1, 2])
  t.match(engine.get(id)!.record, { status: 'suspended', paused: true })
})

t.test('pause while backing off, then resume: it retries at once and the backoff starts over', async t => {
  const { engine, clock } = makeEngine()
  const id = engine.invoke({ service: 'Flaky', handler: 'always' }).invocation.id
  clock.advance(10)
  clock.advance(500)
  clock.advance(10)
  t.match(engine.get(id)!.record, { status: 'backing-off', retry_count: 2 })
  t.equal(Date.parse(engine.get(id)!.record.next_retry_at!) - clock.now(), 1000)
  t.equal(engine.pause(id), 'paused')
  t.equal(engine.pause(id), 'unchanged', 'pausing again changes nothing')
  engine.resume(id)
  t.equal(engine.get(id)!.record.status, 'running')
  clock.advance(10)
  t.match(engine.get(id)!.record, { status: 'backing-off', retry_count: 3 }, 'retry_count keeps counting')
  t.equal(Date.parse(engine.get(id)!.record.next_retry_at!) - clock.now(), 500, 'the delay is the initial interval again')
})

t.test('restart-as-new is refused with Restate\'s codes before completion', async t => {
  const { engine, clock } = makeEngine()
  const running = engine.invoke({ service: 'Greeter', handler: 'greet' }).invocation.id
  const delayed = engine.invoke({ service: 'Greeter', handler: 'greet', delayMs: 60_000 }).invocation.id
  t.equal(conflictCode(() => engine.restartAsNew(running)), 409)
  t.throws(() => engine.restartAsNew(running), { message: `The invocation '${running}' is still running.` })
  t.equal(conflictCode(() => engine.restartAsNew(delayed)), 425)
  t.throws(() => engine.restartAsNew(delayed), { message: `The invocation '${delayed}' cannot be restarted because it's not running yet.` })
  clock.advance(100)
  t.ok(engine.restartAsNew(running).id)
})
