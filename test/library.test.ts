import t from 'tap'
import { createHook } from 'node:async_hooks'
import { request, type IncomingMessage } from 'node:http'
import { createServer } from 'node:net'
import { createEmulator, startEmulator, type EmulatorInstance } from '../src/index.js'
import { TEST_FIXTURE } from './helpers/emulator.js'
import { assertInvocation } from './helpers/schema.js'

interface Reply {
  status: number
  body: string
}

/**
 * One HTTP exchange on a connection of its own (no keep-alive agent), resolved only once the
 * client socket has closed, so that a test counting sockets sees none left by the client.
 */
function http (url: string, options: { method?: string, headers?: Record<string, string>, body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, method: options.method ?? 'GET', headers: options.headers }, res => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => { body += chunk })
      res.on('end', () => {
        if (res.socket.closed) resolve({ status: res.statusCode ?? 0, body })
        else res.socket.once('close', () => resolve({ status: res.statusCode ?? 0, body }))
      })
    })
    req.on('error', reject)
    req.end(options.body)
  })
}

/** Sends `Service/handler` through `inject()` and returns the invocation id. */
async function send (emu: EmulatorInstance, target: string, input: unknown = 'Ada', behavior?: string): Promise<string> {
  const res = await emu.injectIngress({
    method: 'POST',
    url: `/${target}/send`,
    headers: { 'content-type': 'application/json', ...(behavior === undefined ? {} : { 'x-emulator-behavior': behavior }) },
    payload: JSON.stringify(input)
  })
  if (res.statusCode !== 202) throw new Error(`send ${target}: ${res.statusCode} ${res.body}`)
  return (res.json() as { invocationId: string }).invocationId
}

t.test('startEmulator listens on random ports and returns the whole API', async t => {
  const emu = await startEmulator({ seed: 1, fixture: TEST_FIXTURE })
  t.teardown(() => emu.close())
  for (const key of ['ingressUrl', 'adminUrl', 'clock', 'invocations', 'faults', 'waitFor', 'reset', 'close', 'injectIngress', 'injectAdmin'] as const) {
    t.ok(key in emu, key)
  }
  t.match(emu.ingressUrl, /^http:\/\/127\.0\.0\.1:\d+$/)
  t.match(emu.adminUrl, /^http:\/\/127\.0\.0\.1:\d+$/)
  const ports = [new URL(emu.ingressUrl).port, new URL(emu.adminUrl).port]
  t.not(ports[0], ports[1])
  t.notOk(ports.includes('8080') || ports.includes('9070'), 'not the CLI default ports')
  t.equal(emu.options.logLevel, 'silent', 'the library logs nothing by default')
  t.equal((await http(`${emu.adminUrl}/health`)).status, 200)
  t.equal((await http(`${emu.ingressUrl}/restate/health`)).status, 200)
  const sent = await http(`${emu.ingressUrl}/Greeter/greet/send`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '"Ada"' })
  t.equal(sent.status, 202)
  const id = (JSON.parse(sent.body) as { invocationId: string }).invocationId
  const done = await emu.waitFor(id, 'completed')
  assertInvocation(done)
  t.equal(done.completion_result, 'success')
})

t.test('createEmulator does not listen and answers through inject()', async t => {
  const before = await quietCounts()
  const emu = await createEmulator({ clock: 'manual', seed: 1, fixture: TEST_FIXTURE })
  t.teardown(() => emu.close())
  t.same(watchedCounts(), before, 'no server, socket or timer while built')
  t.notOk('ingressUrl' in emu)
  t.equal((await emu.injectAdmin('/health')).statusCode, 200)
  t.equal((await emu.injectIngress('/restate/health')).statusCode, 200)
  const id = await send(emu, 'Greeter/greet')
  t.equal(emu.invocations.get(id)?.target, 'Greeter/greet')
})

t.test('waitFor under a manual clock', async t => {
  t.test('moves time forward until the status is reached', async t => {
    const emu = await createEmulator({ clock: 'manual', seed: 1, fixture: TEST_FIXTURE })
    t.teardown(() => emu.close())
    const start = emu.clock.now()
    const id = await send(emu, 'Flaky/twice')
    t.equal(emu.invocations.get(id)?.status, 'running', 'nothing moves by itself')
    t.equal(emu.clock.now(), start)

    const backingOff = await emu.waitFor(id, 'backing-off')
    t.equal(backingOff.status, 'backing-off')
    t.equal(backingOff.retry_count, 1)
    t.equal(backingOff.last_failure, '[500] boom transient')
    t.equal(emu.clock.now(), start + 10, 'stopped right after the first 10 ms attempt failed')

    const done = await emu.waitFor(id, 'completed')
    assertInvocation(done)
    t.equal(done.completion_result, 'success')
    t.equal(done.retry_count, 2)
    // 3 attempts of 10 ms, retries after 500 ms and 1 s (Restate's default policy).
    t.equal(emu.clock.now(), start + 3 * 10 + 500 + 1000)

    t.equal((await emu.waitFor(id, 'completed')).id, id, 'a status already reached resolves at once')
    t.equal(emu.clock.now(), start + 1530, 'and does not move time')
  })

  t.test('stops at an unrelated timer it does not need, leaving the rest to run', async t => {
    const emu = await createEmulator({ clock: 'manual', seed: 1, fixture: TEST_FIXTURE })
    t.teardown(() => emu.close())
    const fast = await send(emu, 'Flaky/terminal')
    const slow = await send(emu, 'Counter/k/add', 1)
    await emu.waitFor(fast, 'completed')
    t.equal(emu.invocations.get(slow)?.status, 'running', 'the 1 s handler is still running')
    await emu.waitFor(slow, 'completed')
    t.equal(emu.invocations.get(slow)?.status, 'completed')
  })

  t.test('fails with a clear message when nothing is left to run', async t => {
    const emu = await createEmulator({ clock: 'manual', seed: 1, fixture: TEST_FIXTURE })
    t.teardown(() => emu.close())
    const greet = await send(emu, 'Greeter/greet')
    await t.rejects(emu.waitFor(greet, 'backing-off'), {
      message: `waitFor: invocation '${greet}' never reached 'backing-off': it is 'completed' at 2026-01-01T00:00:00.100Z and nothing is left to run`
    })

    // Always failing: 70 attempts, then paused (suspended, paused: true) and nothing left to run.
    const always = await send(emu, 'Flaky/always')
    await t.rejects(emu.waitFor(always, 'completed'), { message: /never reached 'completed': it is 'suspended' at .* and nothing is left to run$/ })
    const paused = emu.invocations.get(always)
    t.match(paused, { status: 'suspended', paused: true, retry_count: 69 })

    await t.rejects(emu.waitFor('inv_1PkWF0kG2AHJQDbB2kiLNS8wEqt2qp4nXX', 'completed'), { message: "waitFor: no invocation 'inv_1PkWF0kG2AHJQDbB2kiLNS8wEqt2qp4nXX'" })
  })

  t.test('under a real clock it gives up after timeoutMs, naming the wait', async t => {
    const emu = await createEmulator({ seed: 1, fixture: TEST_FIXTURE })
    t.teardown(() => emu.close())
    const id = await send(emu, 'Greeter/greet', 'Ada', 'duration=1h')
    await t.rejects(emu.waitFor(id, 'completed', { timeoutMs: 20 }), { message: /never reached 'completed': it is 'running' at .* after 20 ms$/ })
  })
})

t.test('reset() goes back to the start: time, records, rules and the seed', async t => {
  const emu = await createEmulator({ clock: 'manual', seed: 42, fixture: TEST_FIXTURE })
  t.teardown(() => emu.close())
  const start = emu.clock.now()
  const first = await send(emu, 'Greeter/greet')
  await send(emu, 'Counter/k/add', 1)
  emu.faults.add({ target: 'Greeter/*', effect: { type: 'terminal', code: 500, message: 'injected' } })
  emu.clock.advance('1h')
  t.equal(emu.invocations.list().length, 2)

  emu.reset()
  t.equal(emu.clock.now(), start)
  t.same(emu.invocations.list(), [])
  t.same(emu.faults.list(), [])
  t.equal(emu.events.all().length, 0)
  const again = await send(emu, 'Greeter/greet')
  t.equal(again, first, 'the generator starts over: the same first id')
  const done = await emu.waitFor(again, 'completed')
  t.equal(done.completion_result, 'success', 'the fault rule is gone')
})

t.test('two emulators in one process share nothing', async t => {
  const a = await startEmulator({ clock: 'manual', seed: 7, fixture: TEST_FIXTURE })
  t.teardown(() => a.close())
  const b = await startEmulator({ clock: 'manual', seed: 7, fixture: TEST_FIXTURE })
  t.teardown(() => b.close())
  t.not(a.ingressUrl, b.ingressUrl)
  t.not(a.adminUrl, b.adminUrl)

  // Interleaved: with one shared generator the second emulator's ids would differ.
  const idsA: string[] = []
  const idsB: string[] = []
  for (let i = 0; i < 3; i++) {
    idsA.push(await send(a, 'Greeter/greet'))
    idsB.push(await send(b, 'Greeter/greet'))
  }
  t.same(idsB, idsA, 'same seed, same requests: same ids in each')
  t.equal(new Set(idsA).size, 3)

  const c = await createEmulator({ clock: 'manual', seed: 8, fixture: TEST_FIXTURE })
  t.teardown(() => c.close())
  t.not(await send(c, 'Greeter/greet'), idsA[0], 'another seed, other ids')

  a.clock.advance('10m')
  t.equal(a.clock.now() - b.clock.now(), 600_000, 'clocks are separate')
  t.equal(a.invocations.get(idsA[0])?.status, 'completed')
  t.equal(b.invocations.get(idsB[0])?.status, 'running', "a's time did not run b's work")

  await send(a, 'Counter/k/add', 1)
  t.equal(a.invocations.list().length, 4)
  t.equal(b.invocations.list().length, 3, 'stores are separate')

  a.faults.add({ effect: { type: 'latency', by: '1s' } })
  t.equal(a.faults.list().length, 1)
  t.equal(b.faults.list().length, 0, 'fault rules are separate')

  b.reset()
  t.equal(a.invocations.list().length, 4, "b's reset leaves a alone")
  await b.close()
  t.equal((await http(`${a.adminUrl}/health`)).status, 200, "b's close leaves a listening")
})

/** Resource types that would keep the process alive: servers, sockets, timers. */
const WATCHED = ['TCPServerWrap', 'TCPSocketWrap', 'Timeout', 'Immediate', 'PipeWrap', 'FSEventWrap', 'StatWatcher']

function watchedCounts (): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const type of WATCHED) counts[type] = 0
  for (const type of process.getActiveResourcesInfo()) {
    if (type in counts) counts[type]++
  }
  return counts
}

/**
 * Counts once handles closed just before (by an earlier test's teardown) are gone: a closed
 * server's handle is released in the close phase of a later loop turn.
 */
async function quietCounts (): Promise<Record<string, number>> {
  for (let turn = 0; turn < 3; turn++) await new Promise(resolve => setImmediate(resolve))
  return watchedCounts()
}

/**
 * Counts after libuv has had the loop turns it needs to finish closing handles (a closed
 * server's handle goes away in the close phase of a later turn). Bounded by turns, not time.
 */
async function settledCounts (baseline: Record<string, number>): Promise<Record<string, number>> {
  let counts = watchedCounts()
  for (let turn = 0; turn < 8 && JSON.stringify(counts) !== JSON.stringify(baseline); turn++) {
    await new Promise(resolve => setImmediate(resolve))
    counts = watchedCounts()
  }
  return counts
}

/**
 * `getActiveResourcesInfo()` leaves out unref'd timers and servers, and the emulator unrefs its
 * clock's timer. This tracker sees those too: every timer, server and socket created while it is
 * on and not yet destroyed.
 */
function trackResources (): { stop: () => Promise<string[]> } {
  const live = new Map<number, { type: string, resource: unknown }>()
  const hook = createHook({
    init (asyncId, type, _trigger, resource) {
      if (type === 'Timeout' || type === 'TCPSERVERWRAP' || type === 'TCPWRAP') live.set(asyncId, { type, resource })
    },
    destroy (asyncId) { live.delete(asyncId) }
  })
  hook.enable()
  return {
    async stop () {
      // Destroy hooks are queued and run on a later turn; give them the turns they need.
      for (let turn = 0; turn < 3; turn++) await new Promise(resolve => setImmediate(resolve))
      hook.disable()
      return [...live.values()]
        // Node's http keeps one unref'd timer per process to refresh its cached Date header.
        .filter(({ resource }) => (resource as { _onTimeout?: { name?: string } })._onTimeout?.name !== 'resetCache')
        .map(({ type }) => type)
    }
  }
}

t.test('after close() no timer, socket or server of the emulator remains', async t => {
  const baseline = await quietCounts()
  const tracker = trackResources()
  const emu = await startEmulator({ seed: 3, fixture: TEST_FIXTURE, snapshotInterval: '1s' })
  const during = watchedCounts()
  t.equal(during.TCPServerWrap - baseline.TCPServerWrap, 2, 'two listening servers while running')

  // Work that arms the real clock's timer: an hour-long attempt and a delayed send.
  const sent = await http(`${emu.ingressUrl}/Greeter/greet/send`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-emulator-behavior': 'duration=1h' },
    body: '"Ada"'
  })
  t.equal(sent.status, 202)
  t.equal((await http(`${emu.ingressUrl}/Greeter/greet/send?delay=1h`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '"Bo"' })).status, 202)
  t.ok(emu.core.clock.nextAt() !== undefined, 'the clock holds timers')

  // A live event stream and a sync call that are still open when close() is called.
  const stream = await new Promise<IncomingMessage>((resolve, reject) => {
    request(`${emu.adminUrl}/_emulator/events`, { agent: false }, resolve).on('error', reject).end()
  })
  t.equal(stream.statusCode, 200)
  const streamClosed = new Promise(resolve => stream.socket.once('close', resolve))
  stream.resume()
  const syncCall = http(`${emu.ingressUrl}/Greeter/greet`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-emulator-behavior': 'duration=1h' },
    body: '"Cy"'
  })
  await new Promise<void>(resolve => {
    const off = emu.events.subscribe(event => { if (event.type === 'created') { off(); resolve() } })
  })

  await emu.close()
  await streamClosed
  const answered = await syncCall
  t.equal(answered.status, 503, 'the open sync call is answered, not dropped')
  t.match(JSON.parse(answered.body), { message: /shutting down/ })

  const leftover = await tracker.stop()
  t.same(await settledCounts(baseline), baseline, 'the same servers, sockets and timers as before start')
  t.same(leftover, [], 'no timer, server or socket created by the emulator is left, unref\'d ones included')
  t.equal(emu.core.clock.nextAt(), undefined, 'the clock queue is empty')
  await emu.close()
  t.pass('close() twice is harmless')
})

t.test('createEmulator close() leaves nothing either', async t => {
  const baseline = await quietCounts()
  const tracker = trackResources()
  const emu = await createEmulator({ seed: 3, fixture: TEST_FIXTURE })
  await send(emu, 'Greeter/greet', 'Ada', 'duration=1h')
  await emu.close()
  t.same(await tracker.stop(), [])
  t.same(await settledCounts(baseline), baseline)
})

t.test('sanity: the leak checks do catch a leak', async t => {
  const baseline = await quietCounts()
  const tracker = trackResources()
  const server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const timer = setInterval(() => {}, 60_000)
  timer.unref()
  const leftover = await tracker.stop()
  const counts = await settledCounts(baseline)
  server.close()
  clearInterval(timer)
  t.equal(counts.TCPServerWrap - baseline.TCPServerWrap, 1, 'the count check sees a leaked server')
  t.same(leftover.sort(), ['TCPSERVERWRAP', 'Timeout'], 'the tracker sees the server and the unref\'d timer')
  t.same(await settledCounts(baseline), baseline, 'and both are gone once closed')
})
