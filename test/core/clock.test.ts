import t, { type Test } from 'tap'
import { ManualClock, RealClock, TimerQueue, iso, RUN_UNTIL_IDLE_BUDGET } from '../../src/core/clock.js'

const T0 = Date.parse('2026-01-01T00:00:00.000Z')

/**
 * A real clock's Node timer is unref'd (an emulator never holds the process open by itself), so
 * a test awaiting one keeps the event loop alive with a timer of its own until it ends.
 */
function keepAlive (t: Test): void {
  const guard = setInterval(() => {}, 60_000)
  t.teardown(() => clearInterval(guard))
}

t.test('TimerQueue pops by time, then by insertion order, skipping cancelled timers', async t => {
  const queue = new TimerQueue()
  const order: string[] = []
  const push = (at: number, name: string, background = false) => queue.push(at, () => order.push(name), background)
  push(30, 'c')
  push(10, 'a1')
  const dropped = push(20, 'dropped')
  push(10, 'a2')
  push(20, 'b', true)
  push(5, 'first')
  t.equal(queue.size, 6)
  t.equal(queue.work, 5, 'background timers are not work')
  queue.cancel(dropped)
  queue.cancel(dropped)
  t.equal(queue.work, 4, 'cancelling twice counts once')
  for (let timer = queue.popDue(25); timer !== undefined; timer = queue.popDue(25)) timer.fire()
  t.same(order, ['first', 'a1', 'a2', 'b'])
  t.equal(queue.peek()?.at, 30)
  t.equal(queue.popDue(29), undefined, 'nothing due before its time')
  t.equal(queue.work, 1)
  queue.clear()
  t.equal(queue.size, 0)
  t.equal(queue.work, 0)
})

t.test('TimerQueue keeps order over many random timers', async t => {
  const queue = new TimerQueue()
  let state = 7
  const next = (): number => { state = (state * 48271) % 2147483647; return state % 1000 }
  const expected: Array<[number, number]> = []
  for (let i = 0; i < 5000; i++) {
    const at = next()
    expected.push([at, i])
    queue.push(at, () => {}, false)
  }
  expected.sort((a, b) => a[0] - b[0] || a[1] - b[1])
  const got: Array<[number, number]> = []
  for (let timer = queue.popDue(Infinity); timer !== undefined; timer = queue.popDue(Infinity)) got.push([timer.at, timer.seq])
  t.same(got, expected)
})

t.test('advance fires due timers in time order, with now() at each timer\'s time, and reports them', async t => {
  const clock = new ManualClock(T0)
  const fired: string[] = []
  const at = (ms: number, name: string) => clock.schedule(T0 + ms, () => fired.push(`${name}@${clock.now() - T0}`))
  at(3000, 'c')
  at(1000, 'a')
  at(2000, 'b')
  at(6000, 'later')
  const run = clock.advance(5000)
  t.same(fired, ['a@1000', 'b@2000', 'c@3000'])
  t.same(run, { from: iso(T0), to: iso(T0 + 5000), fired: 3, truncated: false })
  t.equal(clock.now(), T0 + 5000)
  t.equal(clock.pendingWork(), 1)
  t.equal(clock.nextAt(), T0 + 6000)
})

t.test('a timer scheduled by a firing timer inside the window fires in the same advance', async t => {
  const clock = new ManualClock(T0)
  const fired: number[] = []
  const chain = (): void => {
    fired.push(clock.now() - T0)
    if (fired.length < 10) clock.schedule(clock.now() + 100, chain)
  }
  clock.schedule(T0 + 100, chain)
  t.equal(clock.advance(550).fired, 5)
  t.same(fired, [100, 200, 300, 400, 500])
  clock.schedule(clock.now(), () => fired.push(-1))
  t.equal(clock.advance(0).fired, 1, 'advance(0) fires what is due now, not the chain link at 600')
  t.equal(fired.at(-1), -1)
})

t.test('timers due at the same moment fire in the order they were scheduled; past times clamp to now', async t => {
  const clock = new ManualClock(T0)
  const fired: string[] = []
  clock.advance(1000)
  clock.schedule(T0 + 2000, () => fired.push('x'))
  clock.schedule(T0, () => fired.push(`past@${clock.now() - T0}`))
  clock.schedule(T0 + 2000, () => fired.push('y'))
  const past = clock.schedule(T0 - 5000, () => fired.push('past2'))
  t.equal(past.at, T0 + 1000, 'a timer in the past is due now')
  clock.advance(1000)
  t.same(fired, ['past@1000', 'past2', 'x', 'y'])
})

t.test('advanceTo moves to an instant; time never goes back; bad amounts are refused', async t => {
  const clock = new ManualClock(T0)
  let fired = 0
  clock.schedule(T0 + 10_000, () => fired++)
  t.same(clock.advanceTo(T0 + 10_000), { from: iso(T0), to: iso(T0 + 10_000), fired: 1, truncated: false })
  t.equal(fired, 1)
  t.throws(() => clock.advanceTo(T0), /cannot move the clock back from 2026-01-01T00:00:10.000Z to 2026-01-01T00:00:00.000Z/)
  t.throws(() => clock.advance(-1), RangeError)
  t.throws(() => clock.advance(Number.NaN), RangeError)
  t.throws(() => clock.advanceTo(Number.POSITIVE_INFINITY), RangeError)
  t.equal(clock.now(), T0 + 10_000)
})

t.test('cancelled timers never fire', async t => {
  const clock = new ManualClock(T0)
  let fired = 0
  const timer = clock.schedule(T0 + 10, () => fired++)
  clock.cancel(timer)
  clock.cancel(undefined)
  t.equal(clock.pendingWork(), 0)
  t.equal(clock.advance(100).fired, 0)
  t.equal(fired, 0)
})

t.test('runUntilIdle fires work in order and stops when only background timers remain', async t => {
  const clock = new ManualClock(T0)
  const fired: string[] = []
  clock.schedule(T0 + 86_400_000, () => fired.push('retention'), { background: true })
  const tick = (): void => {
    fired.push(`traffic@${clock.now() - T0}`)
    clock.schedule(clock.now() + 1000, tick, { background: true })
  }
  clock.schedule(T0 + 1000, tick, { background: true })
  clock.schedule(T0 + 2500, () => {
    fired.push('work@2500')
    clock.schedule(clock.now() + 500, () => fired.push('more@3000'))
  })
  const run = clock.runUntilIdle()
  // traffic@3000 was scheduled (at 2000) before more@3000 (at 2500), so it fires first.
  t.same(fired, ['traffic@1000', 'traffic@2000', 'work@2500', 'traffic@3000', 'more@3000'], 'background timers due up to the last work fire too')
  t.same(run, { from: iso(T0), to: iso(T0 + 3000), fired: 5, truncated: false })
  t.equal(clock.pendingWork(), 0)
  t.same(clock.runUntilIdle(), { from: iso(T0 + 3000), to: iso(T0 + 3000), fired: 0, truncated: false }, 'idle: nothing moves')
})

t.test('runUntilIdle stops at its budget with work left and says so', async t => {
  const clock = new ManualClock(T0)
  const forever = (): void => { clock.schedule(clock.now() + 1, forever) }
  clock.schedule(T0 + 1, forever)
  const run = clock.runUntilIdle(1000)
  t.match(run, { fired: 1000, truncated: true, to: iso(T0 + 1000) })
  t.ok(RUN_UNTIL_IDLE_BUDGET >= 100_000, 'the default budget is large')
})

t.test('step fires the next timer of any kind; reset drops everything and sets the time', async t => {
  const clock = new ManualClock(T0)
  const fired: string[] = []
  clock.schedule(T0 + 50, () => fired.push('bg'), { background: true })
  clock.schedule(T0 + 70, () => fired.push('work'))
  t.ok(clock.step())
  t.equal(clock.now(), T0 + 50)
  t.ok(clock.step())
  t.notOk(clock.step(), 'nothing left')
  t.same(fired, ['bg', 'work'])
  clock.schedule(T0 + 1000, () => fired.push('dropped'))
  clock.reset(T0 - 1000)
  t.equal(clock.now(), T0 - 1000)
  t.equal(clock.pendingWork(), 0)
  t.equal(clock.nextAt(), undefined)
  clock.advance(10_000)
  t.same(fired, ['bg', 'work'])
})

t.test('a stopped manual clock forgets its timers', async t => {
  const clock = new ManualClock(T0)
  clock.schedule(T0 + 1, () => t.fail('fired after stop'))
  clock.stop()
  t.equal(clock.advance(10).fired, 0)
})

t.test('RealClock: speed makes emulated time run faster; timers fire in order, and lateness is measured', async t => {
  keepAlive(t)
  const speed = 1000
  const clock = new RealClock(speed, T0)
  t.teardown(() => clock.stop())
  t.equal(clock.mode, 'real')
  t.ok(clock.now() >= T0 && clock.now() < T0 + 60_000, 'starts at the given time')
  const fired: string[] = []
  const start = performance.now()
  const done = new Promise<void>(resolve => {
    // 2 emulated seconds are ~2 real ms at speed 1000.
    clock.schedule(clock.now() + 2000, () => { fired.push('b'); resolve() })
    clock.schedule(clock.now() + 1000, () => fired.push('a'))
    clock.schedule(clock.now() + 1000, () => fired.push('a2'))
  })
  await done
  const realMs = performance.now() - start
  t.same(fired, ['a', 'a2', 'b'])
  t.ok(realMs < 1000, `took ${realMs.toFixed(1)} real ms for 2 emulated seconds`)
  t.equal(clock.lateness.count, 3)
  t.ok(clock.lateness.max >= 0 && clock.lateness.total >= 0)
  t.equal(clock.pendingWork(), 0)
})

t.test('RealClock: a timer scheduled earlier than the armed one re-arms; cancel, reset and stop', async t => {
  keepAlive(t)
  const clock = new RealClock(1000, T0)
  t.teardown(() => clock.stop())
  const fired: string[] = []
  const late = clock.schedule(clock.now() + 3_600_000, () => fired.push('late'))
  const early = new Promise<void>(resolve => clock.schedule(clock.now() + 10, () => { fired.push('early'); resolve() }))
  await early
  t.same(fired, ['early'], 'did not wait for the hour-long timer')
  clock.cancel(late)
  t.equal(clock.pendingWork(), 0)
  clock.schedule(clock.now() + 10, () => fired.push('reset away'))
  clock.reset()
  t.equal(clock.pendingWork(), 0)
  const after = new Promise<void>(resolve => clock.schedule(clock.now() + 5, () => { fired.push('after reset'); resolve() }))
  await after
  t.same(fired, ['early', 'after reset'])
  clock.stop()
  clock.schedule(clock.now(), () => fired.push('after stop'))
  await new Promise<void>(resolve => setImmediate(resolve))
  t.same(fired, ['early', 'after reset'], 'a stopped clock fires nothing')
})

t.test('RealClock refuses a speed that is not a positive number', async t => {
  for (const speed of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) t.throws(() => new RealClock(speed), RangeError, String(speed))
})

t.test('an advance stops at its timer budget where it got to, and says so', async t => {
  const clock = new ManualClock(0)
  // A timer that re-arms itself every millisecond, like endless demo traffic.
  const tick = (): void => { clock.schedule(clock.now() + 1, tick, { background: true }) }
  clock.schedule(1, tick, { background: true })
  const run = clock.advanceTo(10_000_000, 1000)
  t.equal(run.fired, 1000)
  t.equal(run.truncated, true)
  t.equal(clock.now(), 1000, 'the clock is where the last timer fired')
  t.equal(run.to, new Date(1000).toISOString())
  const rest = clock.advance(500)
  t.same([rest.fired, rest.truncated, clock.now()], [500, false, 1500], 'a run within budget reaches its target')
  t.throws(() => clock.advanceTo(8.64e15 + 1), /invalid time/)
})
